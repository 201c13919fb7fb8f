from fastapi.testclient import TestClient

from cityops.entrypoints.api.app import create_app


class Api:
    """A logged-in HTTP client per user of the test district."""

    def __init__(self, box):
        self.client = TestClient(create_app(box))
        self.tokens: dict[str, str] = {}

    def login(self, username: str) -> dict:
        r = self.client.post("/api/v1/auth/login", json={"username": username, "password": "password-" + username})
        assert r.status_code == 200, r.text
        self.tokens[username] = r.json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def as_(self, username: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[username]}"} if username in self.tokens else self.login(username)

    def post(self, user: str, path: str, **kw):
        return self.client.post(path, headers=self.as_(user), **kw)

    def get(self, user: str, path: str, **kw):
        return self.client.get(path, headers=self.as_(user), **kw)

    def put(self, user: str, path: str, **kw):
        return self.client.put(path, headers=self.as_(user), **kw)

    def new_order(self, user="op", **fields) -> dict:
        body = {"text": "封控小区三天没有物资，家里老人需要买药", "urgency": "urgent", "category": "epi.supplies",
                "caller_name": "张三丰", "caller_phone": "13912345678", "address": "望潮路88弄"} | fields
        r = self.post(user, "/api/v1/orders", json=body)
        assert r.status_code == 201, r.text
        return r.json()
