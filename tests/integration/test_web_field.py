"""The field phone page over HTTP: my unit's open orders by deadline; accept, arrive with a photo,
resolve with a photo; return with a reason."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from cityops.adapters.db.tables import attachments

from .api_helpers import Api
from .web_helpers import Web, text_of

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture
def web(box, district):
    w = Web(box)
    w.api = Api(box)
    return w


def order_to(web, unit: str, **fields) -> str:
    return web.api.new_order(dispatch_to=unit, **fields)["number"]


def numbers_on(html: str) -> list[str]:
    return re.findall(r'<li class="field-item[^"]*"\s+data-number="(\d+)"', html)


def photo(name="scene.jpg"):
    return {"photo": (name, JPEG, "image/jpeg")}


def test_the_field_list_shows_only_my_units_open_orders_soonest_deadline_first(web, clock):
    normal = order_to(web, "TEAM1", urgency="normal", text="小区门口共享单车堆放")
    urgent = order_to(web, "TEAM1", urgency="urgent", text="独居老人家中断药")
    committee = order_to(web, "S1C1")
    other_street = order_to(web, "S2")
    web.api.post("op", "/api/v1/orders", json={"text": "未派单的咨询"})
    r = web.get("fm", "/field")
    assert r.status_code == 200 and '<body class="phone"' in r.text
    assert numbers_on(r.text) == [urgent, normal]  # the team's orders only, next deadline first
    assert 'hx-trigger="every 30s"' in r.text and 'data-due="' in r.text
    street = numbers_on(web.get("s1", "/field").text)  # a street sees its committees and its team
    assert set(street) == {normal, urgent, committee} and other_street not in street
    assert numbers_on(web.get("s2", "/field").text) == [other_street]


def test_the_phone_page_fits_a_narrow_screen_and_uses_the_camera(web):
    n = order_to(web, "TEAM1")
    web.api.post("fm", f"/api/v1/orders/{n}/accept", json={})
    r = web.get("fm", f"/field/{n}")
    assert r.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in r.text
    assert '<body class="phone"' in r.text and "/static/field.css" in r.text
    assert r.text.count('accept="image/*" capture="environment"') == 2  # arrived and resolved
    assert 'data-action="arrived"' in r.text and 'data-action="resolve"' in r.text and 'data-action="accept"' not in r.text
    css = web.get("fm", "/static/field.css").text
    assert "overflow-wrap: anywhere" in css  # long addresses and texts wrap instead of widening the page


def test_accept_then_arrive_with_a_photo_then_resolve_moves_the_order_to_feedback_with_the_photos(web, box):
    n = order_to(web, "TEAM1")
    page = web.get("fm", f"/field/{n}").text
    assert 'data-action="accept"' in page and 'data-action="resolve"' not in page
    r = web.form("fm", f"/field/{n}/accept")
    assert r.status_code == 204 and r.headers["HX-Redirect"] == f"/field/{n}?done=accept"
    r = web.client("fm").post(f"/field/{n}/arrived", data={"note": "居民在家"}, files=photo("arrive.jpg"),
                              headers={"HX-Request": "true"})
    assert r.status_code == 204, r.text
    r = web.client("fm").post(f"/field/{n}/resolve", data={"result": "已送药上门，老人确认收到", "resolved": "1"},
                              files=photo("done.jpg"), headers={"HX-Request": "true"})
    assert r.status_code == 204 and r.headers["HX-Redirect"] == f"/field?done=resolve&n={n}", r.text
    detail = web.api.get("op", f"/api/v1/orders/{n}").json()
    assert detail["state"] == "feedback_submitted" and detail["resolved"] is True
    kinds = {e["kind"]: e for e in detail["timeline"]}
    assert kinds["progress_noted"]["reason"] == "已到场：居民在家"
    assert len(kinds["progress_noted"]["data"]["attachment_ids"]) == 1
    assert len(kinds["feedback_submitted"]["data"]["attachment_ids"]) == 1
    with box.engine.connect() as conn:
        names = sorted(conn.execute(sa.select(attachments.c.filename)).scalars())
    assert names == ["arrive.jpg", "done.jpg"]
    # the order has left my to-do list; the photo can be opened from the order
    assert n not in numbers_on(web.get("fm", "/field").text)
    att = kinds["feedback_submitted"]["data"]["attachment_ids"][0]
    assert web.get("fm", f"/api/v1/orders/{n}/attachments/{att}").content == JPEG


def test_arrived_without_a_photo_is_a_plain_progress_note(web):
    n = order_to(web, "TEAM1")
    web.form("fm", f"/field/{n}/accept")
    assert web.form("fm", f"/field/{n}/arrived", {"note": ""}).status_code == 204
    page = web.get("fm", f"/field/{n}").text
    assert "已到场" in text_of(page) and "badge ok" in page


def test_resolving_without_a_result_or_with_a_non_image_file_is_refused_readably(web):
    n = order_to(web, "TEAM1")
    web.form("fm", f"/field/{n}/accept")
    r = web.form("fm", f"/field/{n}/resolve", {"result": " ", "resolved": "1"})
    assert r.status_code == 422 and 'data-field="result"' in r.text and "<html" not in r.text
    r = web.client("fm").post(f"/field/{n}/resolve", data={"result": "done"},
                              files={"photo": ("x.exe", b"MZ\x90", "application/x-msdownload")},
                              headers={"HX-Request": "true"})
    assert r.status_code == 422 and 'data-field="file"' in r.text
    assert web.api.get("op", f"/api/v1/orders/{n}").json()["state"] == "accepted"


def test_a_return_with_a_reason_goes_back_to_the_dispatcher(web):
    n = order_to(web, "TEAM1")
    assert web.form("fm", f"/field/{n}/return", {"reason": ""}).status_code == 422
    r = web.form("fm", f"/field/{n}/return", {"reason": "不属于本队负责区域"})
    assert r.status_code == 204
    detail = web.api.get("op", f"/api/v1/orders/{n}").json()
    assert detail["state"] == "returned" and detail["timeline"][-1]["reason"] == "不属于本队负责区域"


def test_another_units_order_is_not_found_and_the_operator_has_no_field_page(web):
    n = order_to(web, "S2")
    assert web.get("fm", f"/field/{n}").status_code == 404
    assert web.form("fm", f"/field/{n}/accept").status_code == 404
    assert web.get("op", "/field").status_code == 403


def test_the_field_list_exports_to_xlsx(web):
    order_to(web, "TEAM1")
    r = web.get("fm", "/field.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
