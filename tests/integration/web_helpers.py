"""Driving the web console over HTTP (no browser): one cookie-holding client per user."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient

from cityops.entrypoints.api.app import create_app


class Web:
    def __init__(self, box):
        self.app = create_app(box)
        self.clients: dict[str, TestClient] = {}

    def client(self, user: str) -> TestClient:
        if user not in self.clients:
            c = TestClient(self.app, follow_redirects=False)
            r = c.post("/login", data={"username": user, "password": "password-" + user})
            assert r.status_code == 303, r.text
            self.clients[user] = c
        return self.clients[user]

    def get(self, user: str, path: str, **kw):
        return self.client(user).get(path, **kw)

    def form(self, user: str, path: str, data: dict | None = None, htmx: bool = True, **kw):
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client(user).post(path, data=data or {}, headers=headers, **kw)

    def act(self, user: str, number: str, action: str, **data):
        return self.form(user, f"/orders/{number}/act/{action}", data)


def text_of(html: str) -> str:
    """The page's visible text, tags removed, whitespace collapsed."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
