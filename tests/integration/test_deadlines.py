"""The deadline sweeper on a real database: due rows only, each step once, notices to the right people."""
from datetime import timedelta

import sqlalchemy as sa

from cityops.adapters.db.tables import notifications, order_events, orders, outbox
from cityops.app.orders import usecases as uc
from cityops.app.orders.sweep import sweep_once, sweep_until_idle


def kinds(box, number):
    with box.engine.connect() as conn:
        oid = conn.execute(sa.select(orders.c.id).where(orders.c.number == number)).scalar_one()
        return [r.kind for r in conn.execute(sa.select(order_events.c.kind).where(order_events.c.order_id == oid)
                                             .order_by(order_events.c.id))]


def test_unaccepted_order_reminds_hotline_lead_and_supervising_leader_after_30_minutes(box, district, clock):
    o = uc.create_order(box.uow(), district.actors["op"],
                        uc.NewOrder(text="家中老人透析需外出", urgency="urgent", dispatch_to="S1"), clock())
    clock.advance(minutes=29)
    assert sweep_once(box.uow(), clock()).orders == 0  # nothing due yet: not even looked at
    clock.advance(minutes=2)
    r = sweep_until_idle(box.uow, clock)
    assert r.steps == 2  # accept overdue (30 min for urgent) and the reminder
    assert sorted(kinds(box, o.number)[-2:]) == ["accept_overdue", "reminder_sent"]
    with box.engine.connect() as conn:
        sms = sorted(r.recipient for r in conn.execute(sa.select(outbox).where(outbox.c.channel == "sms")))
        inbox = conn.execute(sa.select(notifications.c.kind).where(notifications.c.unit_id == district.units["S1"].id)).scalars().all()
    assert sms == ["13800000001", "13800000002"]  # Putuo: hotline lead and supervising leader
    assert "remind_unaccepted" in inbox
    assert sweep_until_idle(box.uow, clock).steps == 0  # never twice


def test_critical_order_goes_overdue_after_two_hours_and_escalates_up_the_ladder(box, district, clock):
    a = district.actors
    o = uc.create_order(box.uow(), a["op"], uc.NewOrder(text="独居老人摔倒", urgency="critical", dispatch_to="S1"), clock())
    uc.accept_order(box.uow(), a["s1"], o.number, clock.advance(minutes=5))
    clock.advance(minutes=60)
    sweep_until_idle(box.uow, clock)
    assert "warning_raised" in kinds(box, o.number)
    clock.advance(minutes=56)  # 2h01 after the call
    sweep_until_idle(box.uow, clock)
    assert kinds(box, o.number).count("overdue") == 1
    clock.advance(minutes=61)
    sweep_until_idle(box.uow, clock)
    esc = [k for k in kinds(box, o.number) if k == "escalated"]
    assert len(esc) == 3  # unit lead at once, supervising leader +30, center supervisor +60
    with box.engine.connect() as conn:
        center = conn.execute(sa.select(notifications.c.kind).where(
            notifications.c.unit_id == district.units["CENTER"].id)).scalars().all()
        next_due = conn.execute(sa.select(orders.c.next_due_at).where(orders.c.number == o.number)).scalar_one()
    assert "overdue" in center and "escalation" in center
    assert next_due is None  # the ladder is exhausted; the order still shows as overdue in lists


def test_a_worker_that_was_down_sends_the_overdue_alarm_without_stale_warnings(box, district, clock):
    a = district.actors
    o = uc.create_order(box.uow(), a["op"], uc.NewOrder(text="x", urgency="critical", dispatch_to="S1"), clock())
    uc.accept_order(box.uow(), a["s1"], o.number, clock())
    clock.advance(hours=2, minutes=10)
    sweep_until_idle(box.uow, clock)
    k = kinds(box, o.number)
    assert "overdue" in k and "warning_raised" not in k


def test_accepting_in_time_cancels_the_reminder(box, district, clock):
    a = district.actors
    o = uc.create_order(box.uow(), a["op"], uc.NewOrder(text="x", urgency="urgent", dispatch_to="S1"), clock())
    uc.accept_order(box.uow(), a["s1"], o.number, clock.advance(minutes=10))
    clock.advance(minutes=25)
    sweep_until_idle(box.uow, clock)
    assert "reminder_sent" not in kinds(box, o.number)


def test_an_extension_moves_the_deadline_row_so_no_false_alarm(box, district, clock):
    a = district.actors
    o = uc.create_order(box.uow(), a["op"], uc.NewOrder(text="x", urgency="critical", dispatch_to="S1"), clock())
    uc.accept_order(box.uow(), a["s1"], o.number, clock())
    uc.request_extension(box.uow(), a["s1"], o.number, clock.now + timedelta(hours=8), "需要协调", clock())
    uc.decide_extension(box.uow(), a["sup"], o.number, True, clock())
    clock.advance(hours=3)
    sweep_until_idle(box.uow, clock)
    assert "overdue" not in kinds(box, o.number)
    clock.advance(hours=6)
    sweep_until_idle(box.uow, clock)
    assert "overdue" in kinds(box, o.number)


def test_policy_change_applies_to_new_orders_only(box, district, clock):
    from cityops.app.orders.policies import put_policies

    a = district.actors
    old = uc.create_order(box.uow(), a["op"], uc.NewOrder(text="x", urgency="critical"), clock())
    put_policies(box.uow(), a["adm"], [{"mode": "epidemic", "urgency": "critical", "accept_minutes": 10,
                                        "feedback_minutes": 60, "resolve_minutes": 60}], clock())
    new = uc.create_order(box.uow(), a["op"], uc.NewOrder(text="y", urgency="critical"), clock())
    assert old.resolve_due_at == clock.now + timedelta(hours=2)
    assert new.resolve_due_at == clock.now + timedelta(hours=1)
