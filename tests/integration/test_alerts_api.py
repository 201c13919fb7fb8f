"""The alerts API: the signed webhook (signature, replay, schema errors), admin-only registry
and rules with readable errors, counters, scoped lists."""
import json
from datetime import datetime, timezone

import pytest

from cityops.domain.alerts.signing import sign

from .alerts_helpers import NIGHT_DOOR, alert_orders, setup_alerts
from .api_helpers import Api

NIGHT = datetime(2022, 3, 25, 15, 10, tzinfo=timezone.utc)


@pytest.fixture
def api(box, clock, district):
    clock.now = NIGHT
    api = Api(box)
    api.secret = setup_alerts(box, NIGHT)["secret"]
    return api


def post_hook(api, body, *, ts=None, secret=None, source="vplat", signature=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = int(NIGHT.timestamp()) if ts is None else ts
    sig = signature or sign((secret or api.secret).encode(), ts, raw)
    return api.client.post(f"/api/v1/alerts/webhook/{source}", content=raw,
                           headers={"X-Cityops-Timestamp": str(ts), "X-Cityops-Signature": sig,
                                    "Content-Type": "application/json"})


SHOP = {"id": "v-1", "type": "shop_open", "device": "CAM-7", "data": {"confidence": 0.9, "shop": "某超市"}}


def test_a_signed_webhook_event_opens_an_order(api, box):
    r = post_hook(api, SHOP)
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == 1
    [o] = alert_orders(box)
    assert o.channel == "video" and o.category == "epi.violation"


def test_a_webhook_replayed_inside_the_window_changes_nothing(api, box):
    assert post_hook(api, SHOP).json()["accepted"] == 1
    r = post_hook(api, SHOP)
    assert r.status_code == 202 and r.json()["duplicates"] == 1 and r.json()["accepted"] == 0
    assert len(alert_orders(box)) == 1


def test_a_replay_outside_the_timestamp_window_is_refused_and_counted(api, box):
    r = post_hook(api, SHOP, ts=int(NIGHT.timestamp()) - 3600)
    assert r.status_code == 401 and "重放" in r.json()["message"]
    assert alert_orders(box) == []
    c = api.get("op", "/api/v1/alerts/counters").json()
    assert c["rejected"]["replayed"]["count"] == 1


def test_a_bad_signature_or_unknown_source_is_refused_and_counted(api, box):
    assert post_hook(api, SHOP, secret="wrong").status_code == 401
    assert post_hook(api, SHOP, signature="sha256=00").status_code == 401
    r = post_hook(api, SHOP, source="nobody")
    assert r.status_code == 401 and "来源" in r.json()["message"]
    c = api.get("op", "/api/v1/alerts/counters").json()
    assert c["rejected"]["bad_signature"]["count"] == 2 and c["rejected"]["unknown_source"]["count"] == 1
    assert alert_orders(box) == []


def test_schema_errors_answer_422_with_a_readable_message(api):
    r = post_hook(api, {"id": "v-2", "type": "shop_open", "device": "CAM-7", "data": {"confidence": 7}})
    assert r.status_code == 422 and r.json()["field"] == "data.confidence" and "超出范围" in r.json()["message"]
    r = post_hook(api, b"\xff not json")
    assert r.status_code == 422 and "JSON" in r.json()["message"]
    r = post_hook(api, {"id": "v-3", "type": "door_open", "device": "DOOR-101"})  # not this source's device
    assert r.status_code == 422 and "来源" in r.json()["message"]


def test_a_batch_with_some_bad_events_keeps_the_good_ones(api, box):
    r = post_hook(api, {"events": [SHOP, {"id": "bad", "type": "shop_open"}]})
    assert r.status_code == 202 and r.json()["accepted"] == 1 and r.json()["rejected"] == 1
    assert r.json()["results"][1]["reason"] == "malformed"


def test_only_an_admin_registers_devices_and_errors_name_the_field(api):
    body = {"code": "DOOR-201", "kind": "door_sensor", "name": "201室", "unit": "S1", "place_kind": "isolation_room"}
    assert api.post("op", "/api/v1/alerts/devices", json=body).status_code == 403
    r = api.post("adm", "/api/v1/alerts/devices", json=body)
    assert r.status_code == 201 and r.json()["code"] == "DOOR-201"
    assert api.post("adm", "/api/v1/alerts/devices", json=body).status_code == 409
    r = api.post("adm", "/api/v1/alerts/devices", json=body | {"code": "a/b"})
    assert r.status_code == 422 and r.json()["field"] == "code"
    r = api.post("adm", "/api/v1/alerts/devices", json=body | {"code": "X1", "unit": "NOPE"})
    assert r.status_code == 404 and r.json()["field"] == "unit"


def test_rules_are_edited_by_an_admin_and_a_bad_rule_names_its_field(api):
    r = api.post("adm", "/api/v1/alerts/rules", json=NIGHT_DOOR | {"urgency": "soon"})
    assert r.status_code == 422 and r.json()["field"] == "urgency"
    rules = api.get("sup", "/api/v1/alerts/rules").json()
    rid = rules[0]["id"]
    r = api.put("adm", f"/api/v1/alerts/rules/{rid}", json=NIGHT_DOOR | {"dedup_minutes": 60})
    assert r.status_code == 200 and r.json()["dedup_minutes"] == 60 and r.json()["version"] == 2
    assert api.post("adm", f"/api/v1/alerts/rules/{rid}/disable").json()["active"] is False
    assert api.get("s1", "/api/v1/alerts/rules").status_code == 403


def test_a_unit_lists_only_its_devices_and_sites(api):
    assert [d["code"] for d in api.get("s1", "/api/v1/alerts/devices").json()["items"]] == ["CAM-7", "DOOR-101"]
    assert api.get("s2", "/api/v1/alerts/devices").json()["total"] == 1
    assert api.get("s1", "/api/v1/alerts/counters").status_code == 403
    assert api.get("cmd", "/api/v1/alerts/sites").json()["summary"]["sites"] == 0
