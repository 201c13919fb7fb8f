from datetime import timedelta

from cityops.domain.orders import lifecycle as lc
from cityops.domain.orders.policy import Urgency
from cityops.domain.orders.schedule import advance, due_steps, mark_fired, next_due, schedule

from .helpers import CLOCK, OP, SUP, T0, UNIT, dispatched, new_order


def test_undispatched_order_is_reminded_thirty_minutes_after_dispatch():
    o = dispatched()
    assert next_due(o, CLOCK) == T0 + timedelta(minutes=15)  # critical: accept within 15 min comes first
    kinds = {s.kind: s.due_at for s in schedule(o, CLOCK)}
    assert kinds["remind_unaccepted"] == T0 + timedelta(minutes=30)


def test_accepting_removes_the_accept_steps():
    o = lc.accept(dispatched(), UNIT, T0 + timedelta(minutes=5), CLOCK).order
    kinds = {s.kind for s in schedule(o, CLOCK)}
    assert "remind_unaccepted" not in kinds and "accept_overdue" not in kinds
    assert "overdue" in kinds


def test_each_step_fires_once_and_the_next_deadline_moves_on():
    o = dispatched()
    now = T0 + timedelta(minutes=31)
    due = due_steps(o, CLOCK, now)
    assert {s.kind for s in due.act} == {"accept_overdue", "remind_unaccepted"}
    o2 = mark_fired(o, CLOCK, due.act + due.skip)
    assert due_steps(o2, CLOCK, now).act == []
    assert next_due(o2, CLOCK) == T0 + timedelta(minutes=60)  # the 50% warning of the 2-hour window


def test_a_worker_catching_up_late_sends_the_overdue_alarm_not_stale_warnings():
    o = lc.accept(dispatched(), UNIT, T0, CLOCK).order
    due = due_steps(o, CLOCK, T0 + timedelta(hours=2, minutes=5))
    assert "overdue" in {s.kind for s in due.act}
    assert all(s.kind != "warning" for s in due.act)
    assert {s.kind for s in due.skip} == {"warning"}


def test_closed_or_paused_orders_have_no_deadline():
    o = lc.accept(dispatched(), UNIT, T0, CLOCK).order
    assert next_due(lc.pause(o, UNIT, T0, CLOCK, "等待").order, CLOCK) is None
    assert next_due(lc.transfer_to_city(new_order(), OP, T0, "r").order, CLOCK) is None


def test_escalation_ladder_follows_the_overdue_alarm():
    o = lc.accept(dispatched(), UNIT, T0, CLOCK).order
    esc = [s for s in schedule(o, CLOCK) if s.kind == "escalation"]
    assert [str(s.level) for s in esc] == ["unit_lead", "supervising_leader", "center_supervisor"]
    assert [s.due_at - o.resolve_due_at for s in esc] == [timedelta(0), timedelta(minutes=30), timedelta(minutes=60)]


def test_an_approved_extension_gives_fresh_steps_for_the_new_deadline():
    o = lc.accept(dispatched(), UNIT, T0, CLOCK).order
    late = T0 + timedelta(hours=2, minutes=1)
    o = mark_fired(o, CLOCK, due_steps(o, CLOCK, late).act)
    o = lc.request_extension(o, UNIT, late, T0 + timedelta(hours=10), "协调").order
    o = lc.decide_extension(o, SUP, late, CLOCK, True).order
    assert next_due(o, CLOCK) > late
    assert {s.kind for s in due_steps(o, CLOCK, T0 + timedelta(hours=10, minutes=1)).act} >= {"overdue"}


def test_a_step_that_fired_before_a_pause_does_not_fire_again_after_resume():
    o = lc.dispatch(new_order(Urgency.URGENT),
                    OP, T0, CLOCK, 10).order
    o = lc.accept(o, UNIT, T0 + timedelta(minutes=5), CLOCK).order
    late = T0 + timedelta(hours=2, minutes=5)  # the 2-hour feedback deadline has passed
    due = due_steps(o, CLOCK, late)
    assert "feedback_overdue" in {s.kind for s in due.act}
    o = mark_fired(o, CLOCK, due.act + due.skip)
    o = lc.pause(o, UNIT, late, CLOCK, "等待市民").order
    o = lc.resume(o, UNIT, late + timedelta(hours=1), CLOCK).order
    again = due_steps(o, CLOCK, late + timedelta(hours=1))
    assert "feedback_overdue" not in {s.kind for s in again.act}


def test_advance_agrees_with_the_step_by_step_functions():
    o = lc.accept(dispatched(), UNIT, T0, CLOCK).order
    for minutes in (10, 61, 97, 121, 151, 181, 400):
        now = T0 + timedelta(minutes=minutes)
        due, new, nxt = advance(o, CLOCK, now)
        ref = due_steps(o, CLOCK, now)
        assert due == ref
        assert new == mark_fired(o, CLOCK, ref.act + ref.skip) and nxt == next_due(new, CLOCK)
        o = new
