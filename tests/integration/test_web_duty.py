"""The duty pages over HTTP: who is on duty now, the team page (roster, gaps, assign, handover),
the phone's assigned-to-me list with accept, patrol reports, inspections, and /api/v1/duty/now."""
from __future__ import annotations

import re

import pytest

from cityops.app.duty import assign, patrol

from .api_helpers import Api
from .duty_helpers import team_order, team_with_roster
from .web_helpers import Web, text_of

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture
def web(box, district):
    team_with_roster(box, district)
    w = Web(box)
    w.api = Api(box)
    return w


def test_the_duty_page_shows_each_teams_members_with_their_status(web):
    r = web.get("sup", "/duty")
    assert r.status_code == 200
    statuses = dict(re.findall(r'data-member="(\w+)" data-status="(\w+)"', r.text))
    assert statuses == {"fm": "on_duty", "fm2": "on_duty", "fm3": "off"}
    assert "当前在岗" in r.text


def test_the_team_page_lists_orders_to_assign_and_assigning_reaches_the_members_phone(web, box, district):
    order = team_order(box, district)
    page = web.get("fm", "/duty/team/TEAM1")
    assert page.status_code == 200 and order.number in page.text and 'id="roster"' in page.text
    r = web.form("fm", "/duty/team/TEAM1/assign", {"number": order.number, "username": "fm2"})
    assert r.status_code == 204
    phone = web.get("fm2", "/field")
    block = phone.text.split('id="assigned"')[1].split("field-list")[0]
    assert order.number in block and 'data-action="accept-assignment"' in block
    aid = re.search(r'data-assignment="(\d+)"', block).group(1)
    r = web.form("fm2", f"/duty/assignments/{aid}/accept")
    assert r.status_code == 204 and r.headers["HX-Redirect"] == f"/field/{order.number}?done=accept"
    detail = web.get("fm2", f"/field/{order.number}")
    assert 'data-state="accepted"' in detail.text
    r = web.form("fm2", f"/field/{order.number}/arrived", {"note": "到楼下"}, files={"photo": ("a.jpg", JPEG, "image/jpeg")})
    assert r.status_code == 204
    r = web.form("fm2", f"/field/{order.number}/resolve", {"result": "已送药", "resolved": "1"})
    assert r.status_code == 204
    kinds = [e["kind"] for e in web.api.get("op", f"/api/v1/orders/{order.number}").json()["timeline"]]
    assert {"member_assigned", "member_accepted", "member_arrived", "member_resolved"} <= set(kinds)


def test_a_plain_member_sees_the_team_page_but_cannot_assign(web, box, district):
    order = team_order(box, district)
    r = web.form("fm2", "/duty/team/TEAM1/assign", {"number": order.number})
    assert r.status_code == 403


def test_a_roster_with_a_gap_shows_the_gap_on_the_team_page(web, box, district):
    r = web.form("sup", "/duty/team/TEAM1/leave", {"username": "fm3", "from": "2022-03-25T20:00",
                                                  "to": "2022-03-26T08:00", "note": "病假"})
    assert r.status_code == 204 and "leave-1" in r.headers["HX-Redirect"]
    page = web.get("sup", "/duty/team/TEAM1")
    assert "无人在岗" in text_of(page.text.split('id="gaps"')[1])


def test_bad_roster_input_answers_a_clear_message_in_the_form(web):
    r = web.form("sup", "/duty/team/TEAM1/generate", {"pattern": "two_shifts", "start": "2022-03-25", "days": "7"})
    assert r.status_code == 409 and "已有" in r.text  # the roster is there; nothing replaced silently
    r = web.form("sup", "/duty/team/TEAM1/generate", {"pattern": "nope", "start": "2022-03-25", "days": "7"})
    assert r.status_code == 404


def test_a_patrol_report_from_the_phone_becomes_a_patrol_order(web, box):
    form = web.get("fm2", "/patrol/new")
    key = re.search(r'name="key" value="([^"]+)"', form.text).group(1)
    data = {"text": "路灯杆倾斜", "category": "city.safety", "address": "龙华路 10 号", "key": key}
    r = web.form("fm2", "/patrol/new", data, files={"photo": ("p.jpg", JPEG, "image/jpeg")})
    assert r.status_code == 204
    number = re.search(r"n=(\d+)", r.headers["HX-Redirect"]).group(1)
    again = web.form("fm2", "/patrol/new", data)  # a double submit gives the same order
    assert re.search(r"n=(\d+)", again.headers["HX-Redirect"]).group(1) == number
    o = web.api.get("op", f"/api/v1/orders/{number}").json()
    assert o["channel"] == "patrol"


def test_the_inspection_page_shows_progress_and_records_a_check(web, box, district):
    ins = patrol.create_inspection(box.uow(), district.actors["fm"], "TEAM1", "沿街商铺", "shop",
                                   [{"name": "便利店", "address": "龙华路1号"}, {"name": "药房", "address": "龙华路2号"}],
                                   box.now())
    r = web.form("fm2", f"/duty/inspections/{ins['id']}/1", {"result": "ok"})
    assert r.status_code == 204
    page = web.get("fm2", f"/duty/inspections/{ins['id']}")
    assert 'data-done="1" data-total="2"' in page.text


def test_the_api_answers_who_is_on_duty_now(web):
    r = web.api.get("cmd", "/api/v1/duty/now")
    assert r.status_code == 200
    body = r.json()
    assert body["totals"]["on_duty"] == 2 and body["teams"][0]["code"] == "TEAM1"
    assert all("*" in m["phone"] or not m["phone"] for m in body["teams"][0]["members"])  # masked


def test_the_api_refuses_a_roster_edit_from_a_member_and_reports_a_far_position(web):
    r = web.api.post("fm2", "/api/v1/duty/teams/TEAM1/rosters", json={"pattern": "two_shifts", "start": "2022-04-10",
                                                                     "days": 3})
    assert r.status_code == 403
    r = web.api.post("fm2", "/api/v1/duty/me/position", json={"lat": 95, "lng": 0})
    assert r.status_code == 422
