"""Alerts domain: event schemas, rules (time windows, sustained thresholds, sealed areas),
dedup and flap suppression, the testing-site monitor, webhook signatures."""
from datetime import datetime, timedelta, timezone

import pytest

from cityops.domain.alerts import dedup, sites
from cityops.domain.alerts.devices import Device, DeviceKind, PlaceKind
from cityops.domain.alerts.events import AlertEvent, Rejected, check_for, parse_event
from cityops.domain.alerts.rules import Rule
from cityops.domain.alerts.signing import sign, verify
from cityops.domain.errors import InvalidInput

TZ = "Asia/Shanghai"
NIGHT = datetime(2022, 3, 25, 15, 10, tzinfo=timezone.utc)  # 23:10 in Shanghai
DAY = datetime(2022, 3, 25, 6, 0, tzinfo=timezone.utc)      # 14:00 in Shanghai
DOOR = Device("DOOR-101", DeviceKind.DOOR_SENSOR, "101室门磁", 3, "隔离酒店101室", PlaceKind.ISOLATION_ROOM, id=1)
CAM = Device("CAM-7", DeviceKind.CAMERA, "沿街摄像头", 3, "望潮路88号", PlaceKind.SHOP, ("sealed",), id=2)
SITE = Device("SITE-1", DeviceKind.SITE_TERMINAL, "四川北路采样点", 5, "四川北路1号", PlaceKind.TESTING_SITE, id=3)

NIGHT_DOOR = {"name": "隔离房间夜间开门", "event_type": "door_open", "place": {"place_kinds": ["isolation_room"]},
              "conditions": [{"type": "time_window", "start": "22:00", "end": "06:00"}],
              "category": "epi.isolation_site", "urgency": "critical", "template": "{place}夜间开门 {time}",
              "resolve_on_clear": True, "flap": {"changes": 4, "window_minutes": 10}}
LONG_QUEUE = {"name": "采样点排队过长", "event_type": "site_status", "category": "epi.testing", "urgency": "urgent",
              "conditions": [{"type": "threshold", "field": "queue_length", "op": ">", "value": 200, "for_minutes": 10}],
              "standby": True}


def ev(type_, at, data=None, eid="e1", device="DOOR-101"):
    return AlertEvent(eid, type_, at, device, data or {})


def test_door_opened_at_night_fires_and_in_the_afternoon_does_not():
    rule = Rule.from_dict(NIGHT_DOOR)
    assert rule.judge(ev("door_open", NIGHT), DOOR, TZ, None).fire
    assert not rule.judge(ev("door_open", DAY), DOOR, TZ, None).fire
    assert rule.judge(ev("door_closed", DAY), DOOR, TZ, None).clear


def test_a_rule_for_isolation_rooms_ignores_a_door_elsewhere():
    rule = Rule.from_dict(NIGHT_DOOR)
    other = Device("DOOR-9", DeviceKind.DOOR_SENSOR, "仓库门", 3, place_kind=PlaceKind.OTHER, id=9)
    assert not rule.judge(ev("door_open", NIGHT, device="DOOR-9"), other, TZ, None).fire


def test_queue_fires_only_after_staying_above_the_threshold_for_ten_minutes():
    rule = Rule.from_dict(LONG_QUEUE)
    data = {"queue_length": 250, "samples_per_hour": 120, "staff_on_site": 2}
    j1 = rule.judge(ev("site_status", DAY, data), SITE, TZ, None)
    assert not j1.fire and j1.breach_since == DAY
    j2 = rule.judge(ev("site_status", DAY + timedelta(minutes=9), data), SITE, TZ, j1.breach_since)
    assert not j2.fire
    j3 = rule.judge(ev("site_status", DAY + timedelta(minutes=10), data), SITE, TZ, j2.breach_since)
    assert j3.fire
    normal = rule.judge(ev("site_status", DAY + timedelta(minutes=11), data | {"queue_length": 50}), SITE, TZ, j3.breach_since)
    assert normal.clear and normal.breach_since is None


def test_a_normal_reading_in_between_restarts_the_sustain_clock():
    rule = Rule.from_dict(LONG_QUEUE)
    high = {"queue_length": 250, "samples_per_hour": 120, "staff_on_site": 2}
    j = rule.judge(ev("site_status", DAY, high), SITE, TZ, None)
    j = rule.judge(ev("site_status", DAY + timedelta(minutes=5), high | {"queue_length": 10}), SITE, TZ, j.breach_since)
    j = rule.judge(ev("site_status", DAY + timedelta(minutes=11), high), SITE, TZ, j.breach_since)
    assert not j.fire and j.breach_since == DAY + timedelta(minutes=11)


def test_shop_open_rule_applies_to_sealed_areas_only():
    rule = Rule.from_dict({"name": "封控区商铺开门", "event_type": "shop_open", "place": {"tags": ["sealed"]},
                           "conditions": [{"type": "threshold", "field": "confidence", "op": ">=", "value": 0.8}],
                           "category": "epi.violation", "urgency": "urgent"})
    open_shop = ev("shop_open", DAY, {"confidence": 0.93}, device="CAM-7")
    assert rule.judge(open_shop, CAM, TZ, None).fire
    unsealed = Device("CAM-8", DeviceKind.CAMERA, "cam", 3, place_kind=PlaceKind.SHOP, id=8)
    assert not rule.judge(open_shop, unsealed, TZ, None).fire
    assert not rule.judge(ev("shop_open", DAY, {"confidence": 0.5}, device="CAM-7"), CAM, TZ, None).fire


def test_event_schema_errors_name_the_field_and_the_reason():
    now = DAY
    with pytest.raises(Rejected) as e:
        check_for(parse_event({"id": "x", "type": "site_status", "data": {"queue_length": "many"}}, now=now,
                              device_code="SITE-1"), DeviceKind.SITE_TERMINAL)
    assert e.value.reason == "schema" and e.value.field == "data.queue_length" and "整数" in e.value.message
    with pytest.raises(Rejected) as e:
        check_for(parse_event({"id": "x", "type": "site_status", "data": {}}, now=now, device_code="S"),
                  DeviceKind.SITE_TERMINAL)
    assert e.value.reason == "schema" and "required" in e.value.message
    with pytest.raises(Rejected) as e:
        parse_event({"id": "x", "type": "explosion"}, now=now, device_code="S")
    assert e.value.reason == "unknown_kind"
    with pytest.raises(Rejected) as e:
        check_for(parse_event({"id": "x", "type": "door_open"}, now=now, device_code="CAM-7"), DeviceKind.CAMERA)
    assert e.value.reason == "unknown_kind"
    with pytest.raises(Rejected) as e:
        parse_event({"id": "x", "type": "door_open", "at": (now + timedelta(hours=1)).isoformat()}, now=now,
                    device_code="D")
    assert e.value.reason == "stale"
    with pytest.raises(Rejected) as e:
        parse_event(["not", "an", "object"], now=now)
    assert e.value.reason == "malformed"


def test_undeclared_fields_are_dropped_so_personal_data_is_never_stored():
    e = check_for(parse_event({"id": "x", "type": "sos", "data": {"note": "摔倒", "id_number": "310101199001011234"}},
                              now=DAY, device_code="B1"), DeviceKind.BODY_CAMERA)
    assert e.data == {"note": "摔倒"}


def test_rule_errors_name_the_field():
    with pytest.raises(InvalidInput) as e:
        Rule.from_dict(NIGHT_DOOR | {"conditions": [{"type": "time_window", "start": "25:00", "end": "06:00"}]})
    assert e.value.field == "conditions[0].start"
    with pytest.raises(InvalidInput) as e:
        Rule.from_dict(LONG_QUEUE | {"conditions": [{"type": "threshold", "field": "staff", "op": ">", "value": 1}]})
    assert e.value.field == "conditions[0].field"
    with pytest.raises(InvalidInput) as e:
        Rule.from_dict(NIGHT_DOOR | {"template": "{place.__class__}"})
    assert e.value.field == "template"
    with pytest.raises(InvalidInput) as e:
        Rule.from_dict(NIGHT_DOOR | {"event_type": "door_closed"})
    assert e.value.field == "event_type"


def test_rule_round_trips_through_its_json_form():
    rule = Rule.from_dict(NIGHT_DOOR)
    assert Rule.from_dict(rule.to_dict()) == rule


def test_template_renders_place_time_and_data():
    rule = Rule.from_dict(LONG_QUEUE | {"template": "{place} 排队 {data[queue_length]} 人 {data[nope]}"})
    text = rule.render(ev("site_status", DAY, {"queue_length": 250}), SITE, TZ)
    assert text == "四川北路1号 排队 250 人 ?"


def _run(rule, events):
    t, out = dedup.Track(), []
    for e in events:
        t, actions = dedup.step(t, rule, e, rule.judge(e, DOOR, TZ, t.breach_since))
        out.append(actions)
    return t, out


def test_repeats_within_the_window_update_one_order_and_later_ones_open_another():
    rule = Rule.from_dict(NIGHT_DOOR | {"dedup_minutes": 30})
    t, out = _run(rule, [ev("door_open", NIGHT), ev("door_open", NIGHT + timedelta(minutes=5)),
                         ev("door_open", NIGHT + timedelta(minutes=50))])
    assert out == [["open"], ["update"], ["open"]] and t.opened == 2 and t.count == 1


def test_a_cleared_event_resolves_when_the_rule_says_so():
    rule = Rule.from_dict(NIGHT_DOOR)
    _, out = _run(rule, [ev("door_open", NIGHT), ev("door_closed", NIGHT + timedelta(minutes=2))])
    assert out == [["open"], ["clear", "resolve"]]
    no_resolve = Rule.from_dict(NIGHT_DOOR | {"resolve_on_clear": False})
    _, out = _run(no_resolve, [ev("door_open", NIGHT), ev("door_closed", NIGHT + timedelta(minutes=2))])
    assert out == [["open"], ["clear"]]


def test_a_flapping_sensor_is_reported_once_and_stops_resolving():
    rule = Rule.from_dict(NIGHT_DOOR)  # 4 changes in 10 minutes
    events = []
    for i in range(5):
        events += [ev("door_open", NIGHT + timedelta(minutes=2 * i)), ev("door_closed", NIGHT + timedelta(minutes=2 * i + 1))]
    t, out = _run(rule, events)
    flat = [a for actions in out for a in actions]
    assert flat.count("flapping") == 1 and flat.count("open") == 1
    assert "resolve" not in flat[flat.index("flapping"):]
    assert t.flapping


def test_a_site_with_a_long_queue_gets_a_standby_proposal():
    a = sites.assess({"queue_length": 300, "samples_per_hour": 120, "staff_on_site": 2, "pda_working": 1,
                      "pda_total": 4, "supplies": {"swabs": 50, "tubes": 100}})
    assert a.level == "alert" and a.standby_staff == 3 and a.pda_to_send == 3 and a.supplies_to_send == {"swabs": 350}
    assert {f.code for f in a.findings} == {"queue", "wait", "pda", "supplies"}
    assert sites.proposal_text(a).startswith("建议增派备勤采样人员 3 名")
    assert sites.assess({"queue_length": 20, "samples_per_hour": 120, "staff_on_site": 2}).level == "ok"


def test_a_signed_fresh_body_verifies_and_a_tampered_or_old_one_does_not():
    secret, body, now = b"s3cret", b'{"id":"1"}', DAY
    ts = int(now.timestamp())
    verify(secret, str(ts), sign(secret, ts, body), body, now)
    with pytest.raises(Rejected) as e:
        verify(secret, str(ts), sign(secret, ts, body), body + b" ", now)
    assert e.value.reason == "bad_signature"
    old = ts - 3600
    with pytest.raises(Rejected) as e:
        verify(secret, str(old), sign(secret, old, body), body, now)
    assert e.value.reason == "replayed"
    with pytest.raises(Rejected) as e:
        verify(secret, None, None, body, now)
    assert e.value.reason == "bad_signature"
