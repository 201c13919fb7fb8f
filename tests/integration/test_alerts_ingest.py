"""Ingesting device events: orders through the work-order use cases, exactly once, deduplicated,
resolved on clear, refusals counted; the testing-site monitor; dry-run; scope."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from cityops.adapters.db.tables import alert_events, alert_tracks, order_events
from cityops.app.alerts import devices as dev_uc
from cityops.app.alerts import ingest as ing
from cityops.app.alerts import rules as rule_uc
from cityops.app.alerts import sites as site_uc
from cityops.app.orders import usecases as uc

from .alerts_helpers import alert_orders, event_count, setup_alerts

NIGHT = datetime(2022, 3, 25, 15, 10, tzinfo=timezone.utc)  # 23:10 Shanghai


@pytest.fixture
def night(box, clock, district):
    clock.now = NIGHT
    setup_alerts(box, NIGHT)
    return box


def mqtt(payload, device, kind, at):
    return ing.Incoming(payload, "mqtt", at, device_code=device, device_kind=kind)


def door(eid, type_="door_open", device="DOOR-101", at=None):
    return mqtt({"id": eid, "type": type_, **({"at": at.isoformat()} if at else {})}, device, "door_sensor", at or NIGHT)


def test_a_door_opened_at_night_becomes_one_critical_order_dispatched_to_the_owning_unit(night, district):
    res = ing.ingest(night.uow(), [door("e1")], NIGHT)
    assert [r.status for r in res] == ["accepted"]
    [o] = alert_orders(night)
    assert o.channel == "sensor" and o.urgency == "critical" and o.category == "epi.isolation_site"
    assert o.state == "dispatched" and o.lead_unit_id == district.units["S1"].id
    assert o.text.startswith("隔离酒店101室夜间开门") and o.details["alert"]["device"] == "DOOR-101"


def test_the_same_event_delivered_twice_creates_the_order_once(night):
    ing.ingest(night.uow(), [door("e1")], NIGHT)
    res = ing.ingest(night.uow(), [door("e1"), door("e1")], NIGHT)
    assert [r.status for r in res] == ["duplicate", "duplicate"]
    assert len(alert_orders(night)) == 1 and event_count(night) == 1


def test_a_redelivered_event_in_a_batch_of_new_ones_changes_nothing_and_the_new_ones_count_once(night):
    ing.ingest(night.uow(), [door("e1"), door("e2", at=NIGHT + timedelta(minutes=1))], NIGHT + timedelta(minutes=1))
    res = ing.ingest(night.uow(), [door("e1"), door("e3", at=NIGHT + timedelta(minutes=2)),
                                   door("e2", at=NIGHT + timedelta(minutes=1))], NIGHT + timedelta(minutes=2))
    assert [r.status for r in res] == ["duplicate", "accepted", "duplicate"]
    [o] = alert_orders(night)
    assert res[1].orders == [o.id]
    with night.engine.connect() as conn:
        t = conn.execute(sa.select(alert_tracks)).one()
        linked = dict(conn.execute(sa.select(alert_events.c.event_id, alert_events.c.order_id)).all())
    assert t.count == 3 and t.order_id == o.id and event_count(night) == 3
    assert linked == {"e1": None, "e2": None, "e3": o.id}  # the order did not exist yet when e1 and e2 committed


def test_a_deactivated_device_is_refused_at_once_although_the_consumer_caches_devices(night):
    ing.ingest(night.uow(), [door("e1")], NIGHT)  # the device is now in this process's cache
    dev_uc.update_device(night.uow(), None, "DOOR-101", {"active": False}, NIGHT)
    [r] = ing.ingest(night.uow(), [door("e2", at=NIGHT + timedelta(minutes=1))], NIGHT + timedelta(minutes=1))
    assert r.reason == "unknown_device"
    dev_uc.register_device(night.uow(), None, code="DOOR-201", kind="door_sensor", name="201室门磁", unit="S1",
                           place="隔离酒店201室", place_kind="isolation_room", now=NIGHT)
    [r] = ing.ingest(night.uow(), [door("e3", device="DOOR-201")], NIGHT)
    assert r.status == "accepted" and len(alert_orders(night)) == 2


def test_repeats_from_one_device_update_its_open_order_instead_of_opening_more(night):
    ing.ingest(night.uow(), [door(f"e{i}", at=NIGHT + timedelta(minutes=i)) for i in range(5)], NIGHT + timedelta(minutes=5))
    ing.ingest(night.uow(), [door("e9", at=NIGHT + timedelta(minutes=9))], NIGHT + timedelta(minutes=9))
    [o] = alert_orders(night)
    with night.engine.connect() as conn:
        t = conn.execute(sa.select(alert_tracks)).one()
    assert t.count == 6 and t.order_id == o.id and t.state == "open"


def test_a_clear_on_an_order_not_yet_dispatched_resolves_it(night, clock):
    cam = lambda eid, t: ing.Incoming({"id": eid, "type": t, "device": "CAM-7"}, "mqtt", NIGHT, device_code="CAM-7",
                                      device_kind="camera")
    ing.ingest(night.uow(), [cam("c1", "shop_open")], NIGHT)
    [o] = alert_orders(night)
    assert o.state == "received" and o.channel == "video"
    ing.ingest(night.uow(), [cam("c2", "shop_closed")], NIGHT + timedelta(minutes=3))
    [o] = alert_orders(night)
    assert o.state == "closed"
    with night.engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(sa.select(order_events.c.kind).where(order_events.c.order_id == o.id)
                                              .order_by(order_events.c.id))]
    assert kinds == ["received", "alert_cleared", "direct_replied", "closed"]


def test_a_clear_on_an_order_with_the_unit_is_noted_for_the_unit_to_confirm(night):
    ing.ingest(night.uow(), [door("e1"), door("e2", "door_closed")], NIGHT)
    [o] = alert_orders(night)
    assert o.state == "dispatched"
    with night.engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(sa.select(order_events.c.kind).where(order_events.c.order_id == o.id))]
    assert "alert_cleared" in kinds


def test_bad_events_are_refused_and_counted_and_the_rest_of_the_batch_goes_through(night):
    batch = [mqtt(b"{not json", "DOOR-101", "door_sensor", NIGHT), door("e1"),
             mqtt({"id": "x", "type": "door_open"}, "DOOR-999", "door_sensor", NIGHT),
             mqtt({"id": "y", "type": "site_status", "data": {"queue_length": -1, "samples_per_hour": 1,
                                                              "staff_on_site": 1}}, "SITE-1", "site_terminal", NIGHT),
             mqtt({"id": "z", "type": "door_open"}, "DOOR-101", "camera", NIGHT)]
    res = ing.ingest(night.uow(), batch, NIGHT)
    assert [r.reason for r in res] == ["malformed", None, "unknown_device", "schema", "unknown_device"]
    assert len(alert_orders(night)) == 1
    c = ing.counters(night.uow())
    assert c["accepted"] == 1 and c["rejected"]["malformed"]["count"] == 1
    assert c["rejected"]["unknown_device"]["count"] == 2 and c["rejected"]["schema"]["count"] == 1
    assert "data.queue_length" in c["rejected"]["schema"]["last_message"]


def test_an_order_left_pending_by_a_dead_consumer_is_created_exactly_once_on_resume(night, clock):
    # the batch committed (event + pending note) and the process died before creating the order
    results, pending = ing._batch(night.uow(), [door("e1")], NIGHT, "Asia/Shanghai")
    assert pending and alert_orders(night) == []
    assert ing.resume_pending(night.uow(), NIGHT + timedelta(seconds=10)) == 0  # too fresh: maybe still running
    assert ing.resume_pending(night.uow(), NIGHT + timedelta(minutes=2)) == 1
    assert ing.resume_pending(night.uow(), NIGHT + timedelta(minutes=4)) == 0
    assert len(alert_orders(night)) == 1


def test_an_order_created_just_before_a_crash_is_found_by_its_reference_not_created_again(night):
    _, [track_id] = ing._batch(night.uow(), [door("e1")], NIGHT, "Asia/Shanghai")
    with night.uow() as uow:
        rec = uow.alerts.track_by_id(track_id)
    # the order was created, but the process died before linking it to the track
    uc.create_order(night.uow(), ing.ALERT_ACTOR, uc.NewOrder(text="开门", channel="sensor",
                                                              external_ref=rec.pending["ref"]), NIGHT)
    ing.resume_pending(night.uow(), NIGHT + timedelta(minutes=2))
    [o] = alert_orders(night)
    with night.engine.connect() as conn:
        assert conn.execute(sa.select(alert_tracks.c.order_id)).scalar_one() == o.id


def _site(eid, at, queue):
    return mqtt({"id": eid, "type": "site_status", "at": at.isoformat(),
                 "data": {"queue_length": queue, "samples_per_hour": 120, "staff_on_site": 2, "pda_working": 2,
                          "pda_total": 4, "supplies": {"swabs": 500, "tubes": 10}}}, "SITE-1", "site_terminal", at)


def test_a_long_queue_for_ten_minutes_raises_a_standby_order_and_its_outcome_is_recorded(night, district, clock):
    t0 = NIGHT
    ing.ingest(night.uow(), [_site("s1", t0, 260), _site("s2", t0 + timedelta(minutes=5), 270)], t0 + timedelta(minutes=5))
    assert alert_orders(night) == []
    ing.ingest(night.uow(), [_site("s3", t0 + timedelta(minutes=10), 280)], t0 + timedelta(minutes=10))
    [o] = alert_orders(night)
    assert "备勤采样人员" in o.text and o.lead_unit_id == district.units["S2"].id
    assert o.details["site"]["figures"]["queue_length"] == 280
    mon = site_uc.monitor(night.uow(), district.actors["cmd"], t0 + timedelta(minutes=10))
    assert mon["summary"]["alert"] == 1 and mon["items"][0]["open_order"] == o.number
    assert mon["items"][0]["assessment"]["supplies_to_send"] == {"tubes": 30}
    site_uc.record_outcome(night.uow(), district.actors["s2"], o.number, "standby_arrived", t0 + timedelta(minutes=30))
    ing.ingest(night.uow(), [_site("s4", t0 + timedelta(minutes=40), 30)], t0 + timedelta(minutes=40))
    with night.engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(sa.select(order_events.c.kind).where(order_events.c.order_id == o.id))]
    assert kinds[-2:] == ["site_outcome", "alert_cleared"]
    assert site_uc.monitor(night.uow(), district.actors["s1"], t0)["items"] == []  # S1 does not see S2's site


def test_a_dry_run_shows_what_a_draft_rule_would_have_matched_without_writing(night, district):
    ing.ingest(night.uow(), [door("e1"), door("e2", at=NIGHT + timedelta(minutes=1))], NIGHT + timedelta(minutes=1))
    draft = {"name": "任何时候开门", "event_type": "door_open", "category": "epi.isolation_site", "urgency": "urgent"}
    r = rule_uc.dry_run(night.uow(), district.actors["sup"], draft, NIGHT + timedelta(minutes=2))
    assert r["events_considered"] == 2 and r["orders_opened"] == 1 and r["orders_updated"] == 1
    assert len(alert_orders(night)) == 1 and len(rule_uc.list_rules(night.uow(), None)) == 3


def test_a_unit_sees_only_the_devices_of_its_own_subtree(night, district):
    s2 = dev_uc.list_devices(night.uow(), district.actors["s2"])
    assert [d["code"] for d in s2["items"]] == ["SITE-1"]
    assert len(dev_uc.list_devices(night.uow(), district.actors["op"])["items"]) == 3


def test_a_rule_naming_a_missing_category_is_refused(night):
    from cityops.domain.errors import NotFound

    with pytest.raises(NotFound) as e:
        rule_uc.create_rule(night.uow(), None, {"name": "x", "event_type": "door_open", "category": "epi.nope"}, NIGHT)
    assert e.value.field == "category"
