"""Passes end to end over HTTP: apply with an SMS code, the 48-hour rule, signing, scanning,
revocation, offline uploads, trace and statistics."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.api_helpers import Api
from tests.integration.passes_helpers import apply, id_number, import_results, local, setup_area


@pytest.fixture
def api(box, district):
    a = Api(box)
    setup_area(a)
    return a


def negative(clock, n, hours_ago=10, tube="T1"):
    return [id_number(n), "张三丰", local(clock.now - timedelta(hours=hours_ago)), "阴性", "混管", "徐汇采样点", tube]


def scan(api, qr, direction="in", checkpoint="G1", user="fm", **kw):
    r = api.post(user, "/api/v1/passes/scan", json={"qr": qr, "checkpoint": checkpoint, "direction": direction, **kw})
    assert r.status_code == 200, r.text
    return r.json()


def test_an_applicant_with_a_recent_negative_test_gets_a_signed_pass_that_the_gate_allows(api, box, clock):
    import_results(api, [negative(clock, 1)])
    out = apply(api, box, clock, number=id_number(1))
    assert out["status"] == "issued", out
    qr = out["pass"]["qr_text"]
    assert qr.startswith("CO1:")
    # exp = min(end of period, sample time + 48 h): the period (24 h) ends first here
    assert scan(api, qr)["result"] == "ALLOW"
    png = api.client.get(f"/api/v1/passes/applications/{out['id']}/qr.png", params={"t": out["token"]})
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    svg = api.client.get(f"/api/v1/passes/applications/{out['id']}/qr.svg", params={"t": out["token"]})
    assert b"<svg" in svg.content


def test_no_negative_result_within_48_hours_is_refused_with_the_reason_and_the_last_result_time(api, box, clock):
    import_results(api, [negative(clock, 2, hours_ago=50)])
    out = apply(api, box, clock, number=id_number(2))
    assert out["status"] == "refused"
    assert [f["id"] for f in out["failures"]] == ["TEST-RECENT"]
    assert "48" in out["refusal"]
    assert out["last_test_at"] is not None
    assert "pass" not in out


def test_an_applicant_without_any_result_is_refused(api, box, clock):
    out = apply(api, box, clock, number=id_number(3))
    assert out["status"] == "refused"
    assert out["failures"][0]["id"] == "TEST-PRESENT" and out["last_test_at"] is None


def test_the_pass_expires_48_hours_after_the_sample_even_if_the_period_is_longer(api, box, clock):
    import_results(api, [negative(clock, 4, hours_ago=40)])
    out = apply(api, box, clock, number=id_number(4), hours=72)
    assert out["status"] == "issued"
    qr = out["pass"]["qr_text"]
    clock.advance(hours=7)
    assert scan(api, qr)["result"] == "ALLOW"
    clock.advance(hours=2)
    got = scan(api, qr)
    assert (got["result"], got["reason"]) == ("DENY", "expired")


def test_a_wrong_code_is_refused_and_the_code_cannot_be_reused(api, box, clock):
    import_results(api, [negative(clock, 5)])
    r = api.client.post("/api/v1/passes/code", json={"phone": "13700000000"})
    otp = r.json()["otp_id"]
    body = {"name": "李四", "id_number": id_number(5), "phone": "13700000000", "otp_id": otp, "code": "000000",
            "employer": "顺丰", "reason": "supplies", "area": "A1", "directions": ["in"],
            "period_start": clock.now.isoformat(), "period_end": (clock.now + timedelta(hours=5)).isoformat()}
    from tests.integration.passes_helpers import sms_code
    real = sms_code(box, "13700000000")
    if real == "000000":
        body["code"] = "111111"
    r = api.client.post("/api/v1/passes/applications", json=body)
    assert r.status_code == 422 and r.json()["field"] == "code"
    r = api.client.post("/api/v1/passes/applications", json=body | {"code": real})
    assert r.status_code == 201 and r.json()["status"] == "issued"
    r = api.client.post("/api/v1/passes/applications", json=body | {"code": real})
    assert r.status_code == 422 and "已使用" in r.json()["message"]


def test_the_code_goes_out_through_the_outbox_sms_channel_and_is_rate_limited(api, box, clock):
    assert api.client.post("/api/v1/passes/code", json={"phone": "13800001111"}).status_code == 201
    r = api.client.post("/api/v1/passes/code", json={"phone": "13800001111"})
    assert r.status_code == 409
    import sqlalchemy as sa
    from cityops.adapters.db.tables import outbox, pass_otps
    with box.engine.connect() as c:
        assert c.execute(sa.select(outbox.c.channel, outbox.c.status).where(
            outbox.c.recipient == "13800001111")).all() == [("sms", "pending")]
        stored = c.execute(sa.select(pass_otps.c.code_hash)).scalar()
    assert len(stored) == 64  # only the hash


def test_a_manual_area_queues_the_application_for_its_street_office_which_approves_it(api, box, clock):
    setup_area(api, code="A2", manual=True, unit="S2", checkpoint="G2")
    import_results(api, [negative(clock, 6)])
    out = apply(api, box, clock, number=id_number(6), area="A2")
    assert out["status"] == "pending"
    queue = api.get("s2", "/api/v1/passes/applications", params={"status": "pending"}).json()
    assert [a["id"] for a in queue["items"]] == [out["id"]] and queue["items"][0]["name"] == "张*丰"
    assert api.get("s1", "/api/v1/passes/applications", params={"status": "pending"}).json()["total"] == 0
    r = api.post("s1", f"/api/v1/passes/applications/{out['id']}/decision", json={"approve": True})
    assert r.status_code == 403
    r = api.post("s2", f"/api/v1/passes/applications/{out['id']}/decision", json={"approve": True})
    assert r.status_code == 200 and r.json()["status"] == "issued"
    st = api.client.get(f"/api/v1/passes/applications/{out['id']}/status", params={"t": out["token"]}).json()
    assert scan(api, st["pass"]["qr_text"], checkpoint="G2")["result"] == "ALLOW"


def test_wrong_area_and_wrong_direction_are_denied_with_their_reasons(api, box, clock):
    setup_area(api, code="A3", unit="S2", checkpoint="G3")
    import_results(api, [negative(clock, 7)])
    qr = apply(api, box, clock, number=id_number(7), directions=("in",))["pass"]["qr_text"]
    assert scan(api, qr, checkpoint="G3")["reason"] == "wrong_area"
    assert scan(api, qr, direction="out")["reason"] == "wrong_direction"


def test_a_revoked_pass_is_denied_online_at_once_and_appears_in_the_signed_revocation_list(api, box, clock):
    import_results(api, [negative(clock, 8)])
    out = apply(api, box, clock, number=id_number(8))
    pid = out["pass"]["id"]
    before = api.client.get("/api/v1/passes/revocations").json()
    r = api.post("s1", f"/api/v1/passes/{pid}/revoke", json={"reason": "单位申请注销"})
    assert r.status_code == 200 and r.json()["seq"] == 1
    got = scan(api, out["pass"]["qr_text"])
    assert (got["result"], got["reason"]) == ("DENY", "revoked")
    from cityops.adapters.crypto.passkeys import b64u_decode
    import json
    doc = json.loads(b64u_decode(api.client.get("/api/v1/passes/revocations").json()["payload"]))
    from cityops.domain.passes.model import revocation_hash
    assert doc["hashes"] == [revocation_hash(pid)] and doc["upto"] == 1
    newer = json.loads(b64u_decode(api.client.get("/api/v1/passes/revocations", params={"since": 1}).json()["payload"]))
    assert newer["hashes"] == [] and json.loads(b64u_decode(before["payload"]))["hashes"] == []


def test_a_positive_result_revokes_the_persons_passes_and_raises_a_critical_order(api, box, clock):
    import_results(api, [negative(clock, 9)])
    out = apply(api, box, clock, number=id_number(9))
    rep = import_results(api, [[id_number(9), "张三丰", local(clock.now - timedelta(hours=1)), "阳性", "单管", "点", "T9"]])
    assert rep["passes_revoked"] == [out["pass"]["id"]] and len(rep["orders"]) == 1
    order = api.get("sup", f"/api/v1/orders/{rep['orders'][0]}").json()
    assert order["urgency"] == "critical"
    assert scan(api, out["pass"]["qr_text"])["reason"] == "revoked"


def test_importing_the_same_results_twice_adds_nothing_and_bad_rows_are_reported(api, clock):
    rows = [negative(clock, 10), ["31010419850312000X", "王五", local(clock.now), "阴性", "混管", "", ""],
            [id_number(11), "赵六", "昨天", "阴性", "混管", "", ""], [id_number(12), "钱七", local(clock.now), "可疑", "", "", ""]]
    first = import_results(api, rows)
    assert first["added"] == 1 and [p["line"] for p in first["problems"]] == [3, 4, 5]
    assert import_results(api, rows)["added"] == 0


def test_offline_scans_uploaded_twice_are_stored_once_and_show_in_the_trace(api, box, clock):
    import_results(api, [negative(clock, 13)])
    out = apply(api, box, clock, number=id_number(13), employer="叮咚买菜")
    qr = out["pass"]["qr_text"]
    scans = [{"scan_id": f"gate1-{i:04d}", "qr": qr, "checkpoint": "G1", "direction": "in",
              "scanned_at": (clock.now - timedelta(minutes=30 - i)).isoformat(), "result": "allow", "reason": "ok"}
             for i in range(3)]
    scans.append({"scan_id": "gate1-bad", "qr": qr, "checkpoint": "NOPE", "direction": "in",
                  "scanned_at": clock.now.isoformat(), "result": "allow"})
    r1 = api.post("fm", "/api/v1/passes/scans", json={"scans": scans}).json()
    r2 = api.post("fm", "/api/v1/passes/scans", json={"scans": scans}).json()
    assert (r1["stored"], r1["duplicates"], len(r1["rejected"])) == (3, 0, 1)
    assert (r2["stored"], r2["duplicates"]) == (0, 3)
    t = api.get("cmd", "/api/v1/passes/trace/checkpoint/G1",
                params={"since": (clock.now - timedelta(hours=1)).isoformat(), "until": clock.now.isoformat()}).json()
    assert t["count"] == 3 and {i["mode"] for i in t["items"]} == {"offline"} and t["items"][0]["name"] == "张*丰"
    h = api.get("cmd", f"/api/v1/passes/trace/pass/{out['pass']['id']}").json()
    assert h["count"] == 3
    e = api.get("cmd", "/api/v1/passes/trace/employer", params={"employer": "叮咚买菜"}).json()
    assert [p["id"] for p in e["items"]] == [out["pass"]["id"]]
    x = api.get("cmd", "/api/v1/passes/trace/employer", params={"employer": "叮咚买菜", "format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert api.get("s1", f"/api/v1/passes/trace/pass/{out['pass']['id']}").status_code == 403


def test_statistics_count_issued_refused_by_rule_scans_and_denials(api, box, clock):
    import_results(api, [negative(clock, 14), negative(clock, 15, hours_ago=60)])
    ok = apply(api, box, clock, number=id_number(14))
    apply(api, box, clock, number=id_number(15))
    scan(api, ok["pass"]["qr_text"])
    scan(api, "HC1:garbage")
    s = api.get("cmd", "/api/v1/passes/stats").json()
    assert s["issued"] == 1 and s["applications"] == {"issued": 1, "refused": 1}
    assert s["refused_by_rule"] == {"TEST-RECENT": 1}
    assert s["scans"] == {"total": 2, "allow": 1, "deny": 1} and s["denials_by_reason"] == {"wrong_prefix": 1}


def test_key_rollover_old_passes_verify_until_the_old_key_is_withdrawn(api, box, clock):
    import_results(api, [negative(clock, 16), negative(clock, 17)])
    old = apply(api, box, clock, number=id_number(16))["pass"]
    new_key = api.post("adm", "/api/v1/passes/admin/keys/rotate").json()
    new = apply(api, box, clock, number=id_number(17))["pass"]
    assert new["kid"] == new_key["kid"] != old["kid"]
    assert scan(api, old["qr_text"])["result"] == "ALLOW" and scan(api, new["qr_text"])["result"] == "ALLOW"
    assert api.post("adm", f"/api/v1/passes/admin/keys/{new_key['kid']}/withdraw").status_code == 409
    assert api.post("adm", f"/api/v1/passes/admin/keys/{old['kid']}/withdraw").status_code == 200
    assert scan(api, old["qr_text"])["reason"] == "key_withdrawn"
    assert scan(api, new["qr_text"])["result"] == "ALLOW"
    keys = api.get("adm", "/api/v1/passes/admin/keys").json()
    assert all("private" not in k for k in keys for k in k)


def test_the_id_number_is_stored_only_as_a_keyed_hash(api, box, clock):
    import sqlalchemy as sa
    from cityops.adapters.db.tables import pass_applications, test_results
    number = id_number(18)
    import_results(api, [negative(clock, 18)])
    apply(api, box, clock, number=number)
    with box.engine.connect() as c:
        dump = repr(c.execute(sa.select(pass_applications)).all()) + repr(c.execute(sa.select(test_results)).all())
    assert number not in dump and number[6:14] not in dump
