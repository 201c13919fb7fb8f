"""The demo's alerts and passes data: sites live in the monitor with two over the threshold (their
orders propose standby staff), night door openings become orders, passes issued / refused /
pending, scans with denials, the big screen's sections filled — and a second run adds nothing."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cityops.adapters.db.tables import (alert_devices, alert_events, order_events, orders, pass_applications,
                                        pass_scans, passes)
from cityops.app import demo
from cityops.app.alerts import sites as site_uc
from cityops.app.passes import trace
from cityops.domain.roles import SYSTEM
from cityops.entrypoints.api.app import create_app
from cityops.entrypoints.demo_alerts_passes import SITES, seed_demo_alerts_passes


def _totals(box) -> dict[str, int]:
    with box.engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in (alert_devices, alert_events, order_events, orders, pass_applications, passes, pass_scans)}


def test_the_demo_gets_live_testing_sites_night_door_orders_passes_and_a_full_big_screen(box, clock):
    demo.seed_demo(box, orders=0)  # the demo org only: streets, teams, users
    report = seed_demo_alerts_passes(box)
    now = clock()

    # the testing-site monitor: every site reporting, two over the threshold with their standby orders
    m = site_uc.monitor(box.uow(), None, now)
    assert m["summary"]["sites"] == len(SITES) and m["summary"]["stale"] == 0, m["summary"]
    alert = [s for s in m["items"] if s["level"] == "alert"]
    assert sorted(s["device"] for s in alert) == ["BJ-SITE-01", "BJ-SITE-03"]
    assert all(s["status"]["queue_length"] > 200 and s["open_order"] for s in alert)
    assert [s["device"] for s in m["items"] if s["level"] == "watch"] == ["BJ-SITE-05"]
    with box.engine.connect() as conn:
        site_orders = conn.execute(sa.select(orders).where(orders.c.category == "epi.testing",
                                                           orders.c.external_ref.like("ALERT-%"))).all()
        door_orders = conn.execute(sa.select(orders).where(orders.c.category == "epi.isolation_site",
                                                           orders.c.external_ref.like("ALERT-%"))).all()
        shop_orders = conn.execute(sa.select(orders).where(orders.c.category == "epi.violation",
                                                           orders.c.external_ref.like("ALERT-%"))).all()
    # 01 and 03 now, 02 this morning (its outcomes recorded); each proposes standby samplers
    assert len(site_orders) == 3 and all("建议增派备勤采样人员" in o.text for o in site_orders)
    assert {o.details["site"]["figures"]["queue_length"] > 200 for o in site_orders} == {True}
    assert len(door_orders) == 2 and all(o.urgency == "critical" and o.state == "dispatched" for o in door_orders)
    assert len(shop_orders) == 1
    with box.engine.connect() as conn:
        outcomes = conn.execute(sa.select(sa.func.count()).select_from(order_events)
                                .where(order_events.c.kind == "site_outcome")).scalar_one()
    assert outcomes == 3

    # passes: issued, refused for lacking a 48-hour negative test, pending at the street office
    s = trace.stats(box.uow(), SYSTEM, now - timedelta(hours=9), now + timedelta(seconds=1))
    apps = s["applications"]
    assert sum(apps.values()) == 36
    assert apps == {"issued": 24, "refused": 8, "pending": 3, "rejected": 1}, apps
    # six with a test older than 48 hours, one with none on record (fails both), one with no reason to enter
    by_rule = s["refused_by_rule"]
    assert (by_rule["TEST-RECENT"], by_rule["TEST-PRESENT"], by_rule["SEALED-REASON"]) == (7, 1, 1), by_rule
    assert s["issued"] == 24 and s["revoked"] == 1
    assert s["scans"]["allow"] > 20 and s["scans"]["deny"] >= 5
    assert {"wrong_direction", "wrong_area", "revoked"} <= set(s["denials_by_reason"])
    assert "WARNING" not in report and "issued" in report, report

    # the big screen for the commander: both sections have something to show
    client = TestClient(create_app(box))
    token = client.post("/api/v1/auth/login", json={"username": "commander1", "password": demo.DEMO_PASSWORD}).json()
    screen = client.get("/api/v1/screen", headers={"Authorization": f"Bearer {token['token']}"}).json()
    sites, pas = screen["sites"], screen["passes"]
    assert sites["available"] and not sites["empty"] and sites["summary"]["alert"] == 2
    assert sites["items"][0]["level"] == "alert" and sites["items"][0]["standby_staff"] >= 1
    assert pas["available"] and not pas["empty"]
    assert (pas["issued"], pas["refused"], pas["pending"]) == (24, 8, 3) and pas["denied"] >= 5

    # a second run adds nothing, and says so
    before = _totals(box)
    clock.advance(minutes=30)
    again = seed_demo_alerts_passes(box)
    assert again.count("nothing added") == 2, again
    assert _totals(box) == before


def test_without_the_demo_org_it_adds_nothing_and_says_what_is_missing(box):
    before = _totals(box)
    report = seed_demo_alerts_passes(box)
    assert "run seed_demo first" in report and "BJ-S02" in report
    assert _totals(box) == before
