"""Every endpoint that returns orders or personal data is scoped by the caller's unit."""
import pytest

from .api_helpers import Api

ACTIONS = ["dispatch", "direct-reply", "pre-contact", "accept", "return", "progress", "feedback", "callback",
           "reopen", "close", "extension", "extension/decide", "pause", "resume", "transfer", "merge", "urge",
           "supervise", "reveal"]


@pytest.fixture
def api(box, district):
    return Api(box)


@pytest.fixture
def s1_order(api):
    """An order of committee S1C1 (inside street S1), co-handled by the health commission."""
    return api.new_order(dispatch_to="S1C1", co_units=["HEALTH"], special_groups=["elderly"])["number"]


def test_a_street_sees_its_own_subtree_and_not_another_street(api, s1_order):
    other = api.new_order(dispatch_to="S2")["number"]
    listed = lambda user: {o["number"] for o in api.get(user, "/api/v1/orders").json()["items"]}
    assert listed("s1") == {s1_order}
    assert listed("s1c1") == {s1_order}
    assert listed("s2") == {other}
    assert listed("hw") == {s1_order}  # co-handler
    assert listed("op") == {s1_order, other}


def test_another_street_cannot_open_the_order_by_number(api, s1_order):
    r = api.get("s2", f"/api/v1/orders/{s1_order}")
    assert r.status_code == 404 and s1_order in r.json()["message"]
    assert api.get("s1", f"/api/v1/orders/{s1_order}").status_code == 200


@pytest.mark.parametrize("action", ACTIONS)
def test_another_street_cannot_act_on_the_order(api, s1_order, action):
    r = api.post("s2", f"/api/v1/orders/{s1_order}/{action}",
                 json={"reason": "x", "note": "x", "lead_unit": "S2", "answer": "x", "result": "x", "resolved": True,
                       "satisfaction": "satisfied", "solved": True, "until": "2030-01-01T00:00:00+08:00",
                       "approve": True, "parent": s1_order, "purpose": "x"})
    assert r.status_code in (403, 404), (action, r.status_code, r.text)
    assert api.get("op", f"/api/v1/orders/{s1_order}").json()["timeline"][-1]["kind"] == "dispatched"


def test_co_handler_can_note_progress_but_not_accept_for_the_lead(api, s1_order):
    assert api.post("hw", f"/api/v1/orders/{s1_order}/accept", json={}).status_code == 403
    api.post("s1c1", f"/api/v1/orders/{s1_order}/accept", json={})
    assert api.post("hw", f"/api/v1/orders/{s1_order}/progress", json={"note": "已派医生"}).status_code == 200


def test_supervision_queue_and_stats_are_scoped(api, s1_order):
    api.new_order(dispatch_to="S2", special_groups=["patient"])
    assert [o["number"] for o in api.get("s1", "/api/v1/orders/supervision").json()["items"]] == [s1_order]
    assert api.get("s1", "/api/v1/stats").json()["received"] == 1
    assert api.get("op", "/api/v1/stats").json()["received"] == 2


def test_inbox_holds_only_my_units_notices(api, s1_order):
    api.new_order(dispatch_to="S2")
    s2 = api.get("s2", "/api/v1/notifications").json()["items"]
    assert s2 and all(i["order_number"] != s1_order for i in s2)


def test_personal_data_is_masked_in_every_list_and_detail(api, s1_order):
    for user in ("op", "s1", "cmd"):
        for o in api.get(user, "/api/v1/orders").json()["items"]:
            assert o["caller_phone"] == "139****5678" and "三丰" not in o["caller_name"]
        d = api.get(user, f"/api/v1/orders/{s1_order}").json()
        assert d["caller_phone"] == "139****5678"
    users = api.get("adm", "/api/v1/users").json()
    assert all("password_hash" not in u for u in users)
    assert api.get("op", "/api/v1/users").status_code == 403


def test_unit_handlers_may_only_file_patrol_reports(api):
    r = api.post("s1", "/api/v1/orders", json={"text": "路灯坏了", "channel": "hotline_12345"})
    assert r.status_code == 403
    r = api.post("s1", "/api/v1/orders", json={"text": "巡查发现路灯坏了", "channel": "patrol"})
    assert r.status_code == 201
