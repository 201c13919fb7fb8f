"""The work-order lifecycle through HTTP, with the errors a client sees."""
from datetime import timedelta

import pytest

from .api_helpers import Api


@pytest.fixture
def api(box, district):
    return Api(box)


def test_full_lifecycle_through_http_writes_every_step_on_the_timeline(api, clock):
    o = api.new_order()
    n = o["number"]
    assert o["state"] == "received" and o["caller_phone"] == "139****5678" and o["caller_name"] == "张*丰"
    assert api.post("op", f"/api/v1/orders/{n}/pre-contact", json={"note": "已电话联系市民"}).status_code == 200
    assert api.post("op", f"/api/v1/orders/{n}/dispatch", json={"lead_unit": "S1C1", "co_units": ["HEALTH"]}).json()["state"] == "dispatched"
    clock.advance(minutes=10)
    assert api.post("s1c1", f"/api/v1/orders/{n}/accept", json={}).json()["state"] == "accepted"
    assert api.post("s1c1", f"/api/v1/orders/{n}/progress", json={"note": "已上门"}).json()["state"] == "in_progress"
    r = api.post("s1c1", f"/api/v1/orders/{n}/feedback", json={"result": "物资已送达", "resolved": True})
    assert r.json()["state"] == "feedback_submitted"
    r = api.post("op", f"/api/v1/orders/{n}/callback", json={"satisfaction": "satisfied", "solved": True})
    assert r.json()["state"] == "callback_done"
    assert api.post("op", f"/api/v1/orders/{n}/close", json={}).json()["state"] == "closed"
    detail = api.get("op", f"/api/v1/orders/{n}").json()
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds == ["received", "pre_contacted", "dispatched", "accepted", "progress_noted", "feedback_submitted",
                     "callback_recorded", "closed"]
    assert detail["timeline"][3]["actor_name"] == "S1C1" and detail["co_units"][0]["code"] == "HEALTH"


def test_illegal_transition_is_a_409_with_a_readable_reason(api):
    n = api.new_order()["number"]
    r = api.post("op", f"/api/v1/orders/{n}/close", json={"note": "x"})
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "illegal_transition" and "已受理" in body["message"] and "close" in body["message"]
    assert api.get("op", f"/api/v1/orders/{n}").json()["state"] == "received"  # nothing lost


def test_return_goes_back_to_the_dispatcher_and_is_visible(api, district):
    n = api.new_order()["number"]
    api.post("op", f"/api/v1/orders/{n}/dispatch", json={"lead_unit": "S2"})
    r = api.post("s2", f"/api/v1/orders/{n}/return", json={"reason": "地址属于龙华街道"})
    assert r.status_code == 200 and r.json()["state"] == "returned"
    assert api.get("s2", f"/api/v1/orders/{n}").status_code == 404  # no longer theirs
    inbox = api.get("sup", "/api/v1/notifications").json()["items"]
    assert any(i["kind"] == "returned" and i["order_number"] == n for i in inbox)
    r = api.post("op", f"/api/v1/orders/{n}/dispatch", json={"lead_unit": "S1"})
    assert r.json()["state"] == "dispatched" and r.json()["lead_unit_id"] == district.units["S1"].id
    tl = [e["kind"] for e in api.get("op", f"/api/v1/orders/{n}").json()["timeline"]]
    assert tl == ["received", "dispatched", "returned", "redispatched"]


def test_create_and_dispatch_in_one_step_notifies_the_unit(api):
    o = api.new_order(dispatch_to="S1", urgency="critical")
    assert o["state"] == "dispatched"
    inbox = api.get("s1", "/api/v1/notifications").json()
    assert inbox["total"] >= 1 and inbox["items"][0]["kind"] == "dispatched"
    assert "特急" in inbox["items"][0]["title"]


@pytest.mark.parametrize("body, field", [
    ({"text": ""}, "text"),
    ({"text": "x" * 4001}, "text"),
    ({"text": "ok", "urgency": "very"}, "urgency"),
    ({"text": "ok", "channel": "pigeon"}, "channel"),
    ({"text": "ok", "category": "nope.nope"}, "category"),
    ({"text": "ok", "special_groups": ["aliens"]}, "special_groups"),
    ({"text": "ok", "dispatch_to": "NO-SUCH-UNIT"}, "dispatch_to"),
    ({"urgency": "urgent"}, "text"),
])
def test_bad_intake_is_refused_naming_the_field_and_writes_nothing(api, body, field):
    r = api.post("op", "/api/v1/orders", json=body)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["field"] == field, r.json()
    assert api.get("op", "/api/v1/orders").json()["total"] == 0


def test_non_utf8_body_is_a_readable_4xx(api):
    r = api.client.post("/api/v1/orders", content="{\"text\": \"\xff\xfe\"}".encode("latin-1"),
                        headers=api.as_("op") | {"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert "UTF-8" in r.json()["message"]


def test_unknown_unit_on_dispatch_is_404_and_the_order_stays_received(api):
    n = api.new_order()["number"]
    r = api.post("op", f"/api/v1/orders/{n}/dispatch", json={"lead_unit": "ZZZ"})
    assert r.status_code == 404 and r.json()["field"] == "lead_unit"
    assert api.get("op", f"/api/v1/orders/{n}").json()["state"] == "received"


def test_unauthenticated_requests_are_401(api):
    assert api.client.get("/api/v1/orders").status_code == 401
    assert api.client.get("/api/v1/orders", headers={"Authorization": "Bearer nope"}).status_code == 401
    r = api.client.post("/api/v1/auth/login", json={"username": "op", "password": "wrong"})
    assert r.status_code == 401


def test_expired_tokens_stop_working(api, clock):
    api.login("op")
    assert api.get("op", "/api/v1/orders").status_code == 200
    clock.advance(hours=13)
    assert api.get("op", "/api/v1/orders").status_code == 401


def test_extension_request_and_approval_move_the_deadline(api, clock):
    n = api.new_order(dispatch_to="S1", urgency="urgent")["number"]
    api.post("s1", f"/api/v1/orders/{n}/accept", json={})
    due = api.get("op", f"/api/v1/orders/{n}").json()["resolve_due_at"]
    until = (clock.now + timedelta(days=3)).isoformat()
    r = api.post("s1", f"/api/v1/orders/{n}/extension", json={"until": until, "reason": "需要第三方检测"})
    assert r.status_code == 200 and r.json()["extension_pending"]
    assert api.post("s1", f"/api/v1/orders/{n}/extension/decide", json={"approve": True}).status_code == 403
    queue = api.get("sup", "/api/v1/orders/supervision").json()["items"]
    assert n in [o["number"] for o in queue]
    r = api.post("sup", f"/api/v1/orders/{n}/extension/decide", json={"approve": True})
    assert r.status_code == 200 and r.json()["resolve_due_at"] != due
    assert r.json()["resolve_due_at"].startswith(until[:16])


def test_merge_children_follow_the_parent_and_close_with_it(api):
    parent = api.new_order(dispatch_to="S1")["number"]
    child = api.new_order()["number"]
    r = api.post("op", f"/api/v1/orders/{child}/merge", json={"parent": parent, "reason": "同一小区同一诉求"})
    assert r.json()["state"] == "merged"
    api.post("s1", f"/api/v1/orders/{parent}/accept", json={})
    api.post("s1", f"/api/v1/orders/{parent}/feedback", json={"result": "已解决", "resolved": True})
    api.post("op", f"/api/v1/orders/{parent}/callback", json={"satisfaction": "satisfied", "solved": True})
    api.post("op", f"/api/v1/orders/{parent}/close", json={})
    assert api.get("op", f"/api/v1/orders/{child}").json()["state"] == "closed"
    assert api.get("op", f"/api/v1/orders/{parent}").json()["children"] == [child]


def test_pause_and_resume_through_http(api, clock):
    n = api.new_order(dispatch_to="S1")["number"]
    api.post("s1", f"/api/v1/orders/{n}/accept", json={})
    due = api.get("op", f"/api/v1/orders/{n}").json()["resolve_due_at"]
    assert api.post("s1", f"/api/v1/orders/{n}/pause", json={"reason": "等待市民回复"}).json()["paused_at"]
    clock.advance(hours=3)
    r = api.post("s1", f"/api/v1/orders/{n}/resume", json={})
    assert r.json()["paused_at"] is None and r.json()["resolve_due_at"] > due


def test_urge_supervise_transfer_and_direct_reply(api):
    n = api.new_order(dispatch_to="S1")["number"]
    assert api.post("cmd", f"/api/v1/orders/{n}/urge", json={"note": "请尽快"}).json()["urge_count"] == 1
    assert api.post("sup", f"/api/v1/orders/{n}/supervise", json={}).json()["supervised"] is True
    assert api.post("op", f"/api/v1/orders/{n}/supervise", json={}).status_code == 403
    m = api.new_order()["number"]
    assert api.post("op", f"/api/v1/orders/{m}/transfer", json={"reason": "市级事项", "city_ref": "SH1"}).json()["state"] == "transferred"
    c = api.new_order(category="epi.policy", urgency="normal")["number"]
    r = api.post("op", f"/api/v1/orders/{c}/direct-reply", json={"answer": "按最新通告执行"})
    assert r.json()["state"] == "closed"


def test_reveal_returns_full_caller_data_and_is_audited(api, box):
    import sqlalchemy as sa
    from cityops.adapters.db.tables import audit_log

    n = api.new_order()["number"]
    r = api.post("op", f"/api/v1/orders/{n}/reveal", json={"purpose": "回访"})
    assert r.json() == {"caller_name": "张三丰", "caller_phone": "13912345678"}
    assert api.post("cmd", f"/api/v1/orders/{n}/reveal", json={}).status_code == 403
    with box.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).where(audit_log.c.action == "reveal_caller")).all()
    assert len(rows) == 1 and rows[0].target_id == n


def test_list_filters_and_sorts(api, clock):
    a = api.new_order(urgency="critical", dispatch_to="S1")["number"]
    b = api.new_order(urgency="normal", category="city.noise", special_groups=["elderly"])["number"]
    clock.advance(hours=3)
    got = lambda q: [o["number"] for o in api.get("op", "/api/v1/orders" + q).json()["items"]]
    assert got("?urgency=critical") == [a]
    assert got("?category=city") == [b]
    assert got("?special_group=elderly") == [b]
    assert got("?overdue=true") == [a]
    assert got("?unit=S1") == [a]
    assert got("?sort=received_asc") == [a, b]


def test_openapi_declares_error_responses_for_every_operation(api):
    spec = api.client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path in ("/healthz", "/api/v1/ping"):
                continue
            codes = set(op["responses"])
            public = path == "/api/v1/auth/login" or any("public" in t for t in op.get("tags", []))
            assert "401" in codes or public, (method, path)
            assert "422" in codes, (method, path)


def test_feedback_carries_a_photo_uploaded_to_the_order(api):
    n = api.new_order(dispatch_to="S1")["number"]
    api.post("s1", f"/api/v1/orders/{n}/accept", json={})
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    r = api.post("s1", f"/api/v1/orders/{n}/attachments", files={"file": ("现场.png", png, "image/png")})
    assert r.status_code == 201, r.text
    att = r.json()["id"]
    assert api.post("s1", f"/api/v1/orders/{n}/attachments", files={"file": ("x.exe", b"MZ", "application/x-msdownload")}).status_code == 422
    other = api.new_order(dispatch_to="S1")["number"]
    r = api.post("s1", f"/api/v1/orders/{other}/progress", json={"note": "x", "attachment_ids": [att]})
    assert r.status_code == 422 and r.json()["field"] == "attachment_ids"
    r = api.post("s1", f"/api/v1/orders/{n}/feedback", json={"result": "已清理", "resolved": True, "attachment_ids": [att]})
    assert r.status_code == 200
    tl = api.get("op", f"/api/v1/orders/{n}").json()["timeline"]
    assert tl[-1]["data"]["attachment_ids"] == [att]
    r = api.get("op", f"/api/v1/orders/{n}/attachments/{att}")
    assert r.content == png and r.headers["content-disposition"].startswith("inline")  # a photo opens in place
    assert r.headers["x-content-type-options"] == "nosniff"
    assert api.get("s2", f"/api/v1/orders/{n}/attachments/{att}").status_code == 404


def test_an_ordinary_order_in_time_is_not_in_the_supervision_queue(api):
    quiet = api.new_order(dispatch_to="S1", urgency="normal", text="小区路灯不亮", category="city.environment")["number"]
    urged = api.new_order(dispatch_to="S1")["number"]
    api.post("op", f"/api/v1/orders/{urged}/urge", json={})
    queue = [o["number"] for o in api.get("sup", "/api/v1/orders/supervision").json()["items"]]
    assert urged in queue and quiet not in queue


@pytest.mark.parametrize("sort", ["received_asc", "received", "urgency"])
def test_a_later_page_holds_the_next_orders_in_the_same_order(api, clock, sort):
    numbers = []
    for i in range(7):
        numbers.append(api.new_order(dispatch_to="S1", urgency=["normal", "urgent"][i % 2],
                                     text=f"第{i}件：小区门口垃圾没人清理")["number"])
        clock.advance(minutes=1)
    whole = [o["number"] for o in api.get("s1", f"/api/v1/orders?sort={sort}&limit=50").json()["items"]]
    assert sorted(whole) == sorted(numbers)
    pages = [[o["number"] for o in api.get("s1", f"/api/v1/orders?sort={sort}&limit=3&offset={k}").json()["items"]]
             for k in (0, 3, 6)]
    assert pages == [whole[0:3], whole[3:6], whole[6:7]]
    assert api.get("s1", f"/api/v1/orders?sort={sort}&limit=3&offset=9").json()["items"] == []
