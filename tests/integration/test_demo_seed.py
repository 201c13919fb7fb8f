"""The demo district seeder: org, users who can log in, and two weeks of orders with every path."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from cityops.adapters.db.tables import notifications, order_events, orders, units, users
from cityops.app import demo, identity
from cityops.domain.roles import Role

OPEN = ("received", "dispatched", "returned", "accepted", "in_progress")


def _count(conn, table, *where) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def _totals(box) -> dict[str, int]:
    with box.engine.connect() as conn:
        return {t.name: _count(conn, t) for t in (units, users, orders, order_events, notifications)}


def test_seed_demo_builds_a_district_with_two_weeks_of_orders(box, clock):
    report = demo.seed_demo(box, orders=120, seed=7)
    now = clock()

    assert "WARNING" not in report, report  # no use case refused a step
    assert demo.DEMO_PASSWORD in report and "operator1" in report and "field_member" in report

    with box.engine.connect() as conn:
        district = conn.execute(sa.select(units).where(units.c.code == demo.DISTRICT_CODE)).one()
        assert district.name == "滨江示范区"
        assert _count(conn, units, units.c.kind == "street") >= 8
        assert _count(conn, units, units.c.kind.in_(("committee", "village"))) >= 60
        assert _count(conn, units, units.c.kind == "center") == 1
        assert _count(conn, units, units.c.kind == "hospital") == 2
        assert _count(conn, units, units.c.kind == "field_team") >= 3
        assert _count(conn, units, units.c.kind == "department") >= 11
        streets = conn.execute(sa.select(units).where(units.c.kind == "street")).all()
        assert all(s.hotline_lead_name and s.hotline_lead_phone.startswith("1380000") and s.leader_phone
                   for s in streets)

        o = orders.c
        assert _count(conn, orders) == 120
        by_urgency = dict(conn.execute(sa.select(o.urgency, sa.func.count()).group_by(o.urgency)).all())
        assert set(by_urgency) == {"critical", "urgent", "normal"}, by_urgency
        assert 0.03 <= by_urgency["critical"] / 120 <= 0.2
        epidemic = _count(conn, orders, o.category.like("epi.%"))
        assert 0.6 <= epidemic / 120 <= 0.92, epidemic
        channels = set(conn.execute(sa.select(o.channel).distinct()).scalars())
        assert {"hotline_12345", "direct_line"} <= channels
        assert _count(conn, orders, o.special_groups != "") >= 5

        # the life of the orders: every path shows up at least once
        overdue = _count(conn, orders, o.state.in_(OPEN), o.resolve_due_at < now, o.paused_at.is_(None))
        assert overdue >= 1
        assert _count(conn, orders, o.state == "closed") >= 60
        assert _count(conn, orders, o.reopen_count > 0) >= 1
        assert _count(conn, orders, o.return_count > 0) >= 1
        assert _count(conn, orders, o.satisfaction.is_not(None)) >= 40
        assert _count(conn, orders, o.state == "transferred") >= 2
        e = order_events.c
        kinds = set(conn.execute(sa.select(e.kind).distinct()).scalars())
        for kind in ("received", "dispatched", "accepted", "returned", "redispatched", "feedback_submitted",
                     "callback_recorded", "reopened", "closed", "extension_requested", "merged", "direct_replied",
                     "transferred", "pre_contacted", "supervised", "urged", "overdue", "reminder_sent"):
            assert kind in kinds, kind
        # the sweep left alarms and notices behind
        assert _count(conn, notifications, notifications.c.kind == "overdue") >= 1

        # time only moved forward, and never past box.now()
        assert conn.execute(sa.select(sa.func.max(e.at))).scalar_one() <= now
        assert conn.execute(sa.select(sa.func.max(o.received_at))).scalar_one() <= now
        assert conn.execute(sa.select(sa.func.min(o.received_at))).scalar_one() >= now - timedelta(days=14)
        before_intake = _count(conn, order_events.join(orders, orders.c.id == e.order_id), e.at < o.received_at)
        assert before_intake == 0

    # one user per role, each can log in with the demo password
    for role in Role:
        username = next(u for u, r, *_ in demo.PEOPLE if r == role.value)
        token, actor = identity.login(box.uow(), box.hasher, username, demo.DEMO_PASSWORD, now, 12)
        assert token and actor.role == role


def test_seed_demo_is_idempotent_and_force_adds_only_orders(box, clock):
    demo.seed_demo(box, orders=30, seed=1)
    first = _totals(box)

    again = demo.seed_demo(box, orders=30, seed=1)
    assert "already seeded" in again and demo.DEMO_PASSWORD in again
    assert _totals(box) == first

    clock.advance(hours=1)
    more = demo.seed_demo(box, orders=10, seed=2, force=True)
    assert "WARNING" not in more, more
    after = _totals(box)
    assert after["orders"] == first["orders"] + 10
    assert after["units"] == first["units"] and after["users"] == first["users"]
