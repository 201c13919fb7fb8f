from datetime import timedelta

import pytest

from cityops.domain.errors import IllegalTransition, InvalidInput, NotAllowed
from cityops.domain.orders import lifecycle as lc
from cityops.domain.orders.model import Satisfaction, State
from cityops.domain.orders.policy import Urgency

from .helpers import CLOCK, CMD, OP, SUP, T0, UNIT, dispatched, new_order


def test_critical_order_must_be_resolved_within_two_hours_of_the_call():
    o = new_order(Urgency.CRITICAL)
    assert o.resolve_due_at == T0 + timedelta(hours=2)


def test_normal_order_in_epidemic_mode_is_cleared_in_one_day_and_closed_in_two():
    o = lc.dispatch(new_order(Urgency.NORMAL), OP, T0, CLOCK, 10).order
    assert o.accept_due_at == T0 + timedelta(days=1)
    assert o.resolve_due_at == T0 + timedelta(days=2)


def test_urgent_order_must_report_back_within_two_hours_of_dispatch():
    o = lc.dispatch(new_order(Urgency.URGENT), OP, T0 + timedelta(minutes=3), CLOCK, 10).order
    assert o.feedback_due_at == T0 + timedelta(minutes=123)
    assert o.resolve_due_at == T0 + timedelta(hours=24)


def test_unit_cannot_accept_an_order_that_was_not_dispatched():
    with pytest.raises(IllegalTransition) as e:
        lc.accept(new_order(), UNIT, T0, CLOCK)
    assert "已受理" in e.value.message and "accept" in e.value.message


def test_operator_may_not_accept_on_behalf_of_a_unit():
    with pytest.raises(NotAllowed):
        lc.accept(dispatched(), OP, T0, CLOCK)


def test_return_needs_a_reason_and_goes_back_to_the_dispatcher():
    with pytest.raises(InvalidInput) as e:
        lc.return_order(dispatched(), UNIT, T0, CLOCK, "  ")
    assert e.value.field == "reason"
    out = lc.return_order(dispatched(), UNIT, T0, CLOCK, "不属于本街道")
    assert out.order.state == State.RETURNED and out.order.lead_unit_id is None
    assert out.order.return_count == 1
    assert out.events[0].kind == "returned" and out.events[0].reason == "不属于本街道"
    again = lc.dispatch(out.order, OP, T0 + timedelta(minutes=5), CLOCK, 11)
    assert again.events[0].kind == "redispatched" and again.order.lead_unit_id == 11


def test_unsatisfied_and_unsolved_callback_reopens_the_order_to_the_unit():
    o = lc.accept(dispatched(), UNIT, T0, CLOCK).order
    o = lc.submit_feedback(o, UNIT, T0 + timedelta(hours=1), CLOCK, "已处理", True).order
    out = lc.record_callback(o, OP, T0 + timedelta(hours=3), CLOCK, Satisfaction.UNSATISFIED, False, "没人来")
    assert out.order.state == State.DISPATCHED and out.order.reopen_count == 1
    assert [e.kind for e in out.events] == ["callback_recorded", "reopened"]
    assert out.order.resolve_due_at == T0 + timedelta(hours=5)  # a fresh 2-hour window


def test_satisfied_callback_then_close():
    o = lc.accept(dispatched(), UNIT, T0, CLOCK).order
    o = lc.submit_feedback(o, UNIT, T0, CLOCK, "已处理", True).order
    o = lc.record_callback(o, OP, T0, CLOCK, Satisfaction.BASICALLY_SATISFIED, True).order
    assert o.state == State.CALLBACK_DONE
    assert lc.close(o, OP, T0).order.state == State.CLOSED


def test_closing_without_callback_needs_a_reason():
    o = lc.submit_feedback(lc.accept(dispatched(), UNIT, T0, CLOCK).order, UNIT, T0, CLOCK, "完成", True).order
    with pytest.raises(InvalidInput):
        lc.close(o, OP, T0)
    assert lc.close(o, OP, T0, "市民电话无人接听").order.state == State.CLOSED


def test_extension_approved_moves_the_resolve_deadline():
    o = lc.accept(dispatched(), UNIT, T0, CLOCK).order
    until = T0 + timedelta(hours=6)
    o = lc.request_extension(o, UNIT, T0, until, "需要协调医院").order
    with pytest.raises(IllegalTransition):
        lc.request_extension(o, UNIT, T0, until + timedelta(hours=1), "again")
    with pytest.raises(NotAllowed):
        lc.decide_extension(o, UNIT, T0, CLOCK, True)
    out = lc.decide_extension(o, SUP, T0, CLOCK, True)
    assert out.order.resolve_due_at == until and out.order.extension is None


def test_extension_must_ask_for_a_later_deadline():
    o = lc.accept(dispatched(), UNIT, T0, CLOCK).order
    with pytest.raises(InvalidInput) as e:
        lc.request_extension(o, UNIT, T0, T0 + timedelta(hours=1), "x")
    assert e.value.field == "until"


def test_denied_extension_keeps_the_deadline_and_needs_a_reason():
    o = lc.accept(dispatched(), UNIT, T0, CLOCK).order
    o = lc.request_extension(o, UNIT, T0, T0 + timedelta(hours=6), "r").order
    with pytest.raises(InvalidInput):
        lc.decide_extension(o, SUP, T0, CLOCK, False)
    out = lc.decide_extension(o, SUP, T0, CLOCK, False, "特急工单不予延期")
    assert out.order.resolve_due_at == T0 + timedelta(hours=2) and out.events[0].kind == "extension_denied"


def test_pause_stops_the_clock_and_resume_moves_deadlines_by_the_paused_time():
    o = lc.accept(dispatched(), UNIT, T0, CLOCK).order
    o = lc.pause(o, UNIT, T0 + timedelta(minutes=30), CLOCK, "等待市民提供材料").order
    assert o.overdue_at(T0 + timedelta(hours=5)) is False
    o = lc.resume(o, UNIT, T0 + timedelta(hours=3, minutes=30), CLOCK).order
    assert o.resolve_due_at == T0 + timedelta(hours=5)


def test_merged_child_closes_with_its_parent():
    parent, child = new_order().evolve(id=1, number="A"), new_order().evolve(id=2, number="B")
    out_child, out_parent = lc.merge_into(child, parent, OP, T0)
    assert out_child.order.state == State.MERGED and out_child.order.parent_id == 1
    assert out_parent.events[0].kind == "child_merged"
    with pytest.raises(InvalidInput):
        lc.merge_into(parent, parent, OP, T0)
    closed = lc.close_with_parent(out_child.order, "A", OP, T0)
    assert closed.order.state == State.CLOSED


def test_transfer_to_city_keeps_the_reference():
    out = lc.transfer_to_city(new_order(), OP, T0, "涉及市级部门", "SH-12345-1")
    assert out.order.state == State.TRANSFERRED and out.order.external_ref == "SH-12345-1"


def test_urge_counts_and_supervise_toggles():
    o = dispatched()
    o = lc.urge(lc.urge(o, CMD, T0).order, OP, T0).order
    assert o.urge_count == 2
    o = lc.supervise(o, SUP, T0).order
    assert o.supervised
    with pytest.raises(IllegalTransition):
        lc.supervise(o, SUP, T0)


def test_direct_reply_closes_a_consultation_without_dispatch():
    out = lc.direct_reply(new_order(Urgency.NORMAL), OP, T0, "核酸检测点开放时间为 8:00-20:00")
    assert out.order.state == State.CLOSED and [e.kind for e in out.events] == ["direct_replied", "closed"]


def test_oversized_text_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as e:
        lc.pre_contact(new_order(), OP, T0, "x" * 1001)
    assert e.value.field == "note"


def test_allowed_actions_follow_state_and_role():
    o = dispatched()
    assert "accept" in lc.allowed_actions(o, UNIT, handles=True)
    assert "accept" not in lc.allowed_actions(o, UNIT, handles=False)
    assert "accept" not in lc.allowed_actions(o, OP, handles=False)
    assert "urge" in lc.allowed_actions(o, CMD, handles=False)
