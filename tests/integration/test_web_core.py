"""The web console's core: login and role homes, the queue, the order page and its actions."""
from io import BytesIO

import pytest
from openpyxl import load_workbook

from .api_helpers import Api
from .web_helpers import Web, text_of


@pytest.fixture
def web(box, district):
    return Web(box)


@pytest.fixture
def api(box, district):
    return Api(box)


@pytest.mark.parametrize("user, home", [("op", "/intake"), ("sup", "/supervise"), ("s1", "/queue"),
                                        ("fm", "/field"), ("cmd", "/screen"), ("adm", "/admin")])
def test_each_role_lands_on_its_own_home_after_login(web, user, home):
    r = web.client(user).get("/")
    assert r.status_code == 303 and r.headers["location"] == home


def test_a_wrong_password_is_refused_with_a_readable_message_and_keeps_the_user_name(web):
    from fastapi.testclient import TestClient
    c = TestClient(web.app, follow_redirects=False)
    r = c.post("/login", data={"username": "op", "password": "nope"})
    assert r.status_code == 401
    assert "用户名或密码错误" in text_of(r.text) and 'value="op"' in r.text
    assert "cityops_token" not in r.cookies


def test_a_page_without_login_redirects_to_the_login_page_and_back_after(web):
    from fastapi.testclient import TestClient
    c = TestClient(web.app, follow_redirects=False)
    r = c.get("/queue?state=open")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/queue")
    r = c.post("/login", data={"username": "s1", "password": "password-s1", "next": "/queue"})
    assert r.headers["location"] == "/queue"


def test_login_never_redirects_to_another_site(web):
    from fastapi.testclient import TestClient
    c = TestClient(web.app, follow_redirects=False)
    r = c.post("/login", data={"username": "s1", "password": "password-s1", "next": "//evil.example/x"})
    assert r.headers["location"] == "/queue"


def test_the_console_speaks_chinese_by_default_and_english_after_the_switch(web):
    assert "工单队列" in text_of(web.get("s1", "/queue").text)
    r = web.get("s1", "/lang/en?next=/queue")
    assert r.status_code == 303 and r.headers["location"] == "/queue"
    page = text_of(web.get("s1", "/queue").text)
    assert "Queue" in page and "工单队列" not in page


def test_the_queue_shows_only_the_units_orders_with_masked_callers(web, api):
    mine = api.new_order(dispatch_to="S1C1", caller_name="张三丰", caller_phone="13912345678")["number"]
    other = api.new_order(dispatch_to="S2")["number"]
    page = web.get("s1", "/queue").text
    assert mine in page and other not in page
    assert "13912345678" not in page and "张三丰" not in page


def test_the_queue_filters_by_urgency_and_counts_the_matches(web, api):
    urgent = api.new_order(dispatch_to="S1", urgency="urgent")["number"]
    normal = api.new_order(dispatch_to="S1", urgency="normal", text="路灯坏了好几天了，晚上很黑")["number"]
    page = web.get("op", "/queue?urgency=normal").text
    assert normal in page and urgent not in page
    assert 'data-total="1"' in page


def test_an_overdue_order_is_coloured_red_with_a_negative_countdown(web, api, clock):
    number = api.new_order(dispatch_to="S1", urgency="urgent")["number"]
    clock.advance(hours=30)
    page = web.get("op", "/queue").text
    row = page[page.index(f'data-number="{number}"') - 40:page.index(f'data-number="{number}"') + 400]
    assert "risk-overdue" in row and 'data-due="' in row


def test_a_street_user_cannot_open_another_streets_order_by_url(web, api):
    number = api.new_order(dispatch_to="S1C1")["number"]
    r = web.get("s2", f"/orders/{number}")
    assert r.status_code == 404 and "不存在" in text_of(r.text)
    assert web.get("s1", f"/orders/{number}").status_code == 200


def test_the_order_page_offers_only_the_actions_the_role_may_take_now(web, api):
    number = api.new_order(dispatch_to="S1C1")["number"]
    unit_page = web.get("s1c1", f"/orders/{number}").text
    assert 'data-action="accept"' in unit_page and 'data-action="return"' in unit_page
    assert 'data-action="close"' not in unit_page and 'data-action="dispatch"' not in unit_page
    op_page = web.get("op", f"/orders/{number}").text
    assert 'data-action="accept"' not in op_page and 'data-action="urge"' in op_page


def test_a_whole_life_through_the_pages_accept_feedback_with_a_photo_callback_close(web, api, box):
    number = api.new_order(dispatch_to="S1C1")["number"]
    assert web.act("s1c1", number, "accept").headers["HX-Redirect"] == f"/orders/{number}?done=accept"
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    r = web.client("s1c1").post(f"/orders/{number}/act/feedback", headers={"HX-Request": "true"},
                                data={"result": "已送药上门", "resolved": "1"},
                                files=[("files", ("photo.png", png, "image/png"))])
    assert r.status_code == 204, r.text
    assert web.act("op", number, "callback", satisfaction="satisfied", solved="1").status_code == 204
    assert web.act("op", number, "close").status_code == 204
    page = web.get("op", f"/orders/{number}").text
    assert 'data-state="closed"' in page and "photo.png" in page
    kinds = [e["kind"] for e in api.get("op", f"/api/v1/orders/{number}").json()["timeline"]]
    assert kinds[-4:] == ["accepted", "feedback_submitted", "callback_recorded", "closed"]


def test_a_return_without_a_reason_is_refused_and_the_order_stays_with_the_unit(web, api):
    number = api.new_order(dispatch_to="S1C1")["number"]
    r = web.act("s1c1", number, "return", reason="  ")
    assert r.status_code == 422 and 'role="alert"' in r.text and "请填写" in r.text
    assert api.get("op", f"/api/v1/orders/{number}").json()["state"] == "dispatched"


def test_return_and_redispatch_through_the_pages(web, api):
    number = api.new_order(dispatch_to="S1C1")["number"]
    assert web.act("s1c1", number, "return", reason="不属于本居委，应由漕溪居委处理").status_code == 204
    assert web.act("op", number, "dispatch", lead_unit="S1C2", note="改派漕溪").status_code == 204
    detail = api.get("op", f"/api/v1/orders/{number}").json()
    assert detail["state"] == "dispatched" and detail["lead_unit_code"] == "S1C2"


def test_an_illegal_action_gets_the_state_machines_message_not_a_crash(web, api):
    number = api.new_order(dispatch_to="S1C1")["number"]
    r = web.act("s1c1", number, "feedback", result="办好了")
    assert r.status_code == 409 and "不能" in r.text


def test_without_javascript_a_form_post_redirects_back_to_the_order(web, api):
    number = api.new_order(dispatch_to="S1C1")["number"]
    r = web.form("s1c1", f"/orders/{number}/act/accept", {}, htmx=False)
    assert r.status_code == 303 and r.headers["location"] == f"/orders/{number}?done=accept"


def test_reveal_shows_the_full_phone_and_is_audited(web, api, box):
    number = api.new_order(dispatch_to="S1C1", caller_phone="13912345678")["number"]
    r = web.form("s1c1", f"/orders/{number}/reveal", {"purpose": "回电核实地址"})
    assert r.status_code == 200 and "13912345678" in r.text
    import sqlalchemy as sa
    from cityops.adapters.db.tables import audit_log
    with box.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.target_id, audit_log.c.detail)).all()
    assert [(r.action, r.target_id, r.detail["purpose"]) for r in rows if r.action == "reveal_caller"] == \
        [("reveal_caller", number, "回电核实地址")]
    assert web.form("cmd", f"/orders/{number}/reveal", {"purpose": "看看"}).status_code == 403


def test_a_cross_site_form_post_is_refused(web, api):
    number = api.new_order(dispatch_to="S1C1")["number"]
    r = web.client("s1c1").post(f"/orders/{number}/act/accept", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = web.client("s1c1").post(f"/orders/{number}/act/accept", headers={"Origin": "null"})
    assert r.status_code == 403
    assert api.get("op", f"/api/v1/orders/{number}").json()["state"] == "dispatched"


def test_the_queue_exports_what_it_lists_to_xlsx_with_formula_text_kept_as_text(web, api):
    api.new_order(dispatch_to="S1", text='=HYPERLINK("http://x","点我")小区门口垃圾没人清理')
    api.new_order(dispatch_to="S2")
    r = web.get("s1", "/queue.xlsx")
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    ws = load_workbook(BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "工单号" and len(rows) == 2
    text_col = rows[0].index("诉求内容")
    assert rows[1][text_col].startswith("=HYPERLINK")
    assert ws.cell(row=2, column=text_col + 1).data_type == "s"


def test_the_vendored_browser_libraries_are_served_by_the_app(web):
    r = web.get("s1", "/static/vendor/htmx.min.js")
    assert r.status_code == 200 and "htmx" in r.text[:2000]
    assert web.get("s1", "/static/vendor/nope.js").status_code == 404


def test_an_error_page_keeps_the_users_navigation_and_home_link(web, api):
    number = api.new_order(dispatch_to="S1C1")["number"]
    r = web.get("s2", f"/orders/{number}")
    assert r.status_code == 404
    assert 'href="/queue"' in r.text and 'data-role="unit_handler"' in r.text
