"""Use cases on in-memory fakes: who hears about what, scope, one commit per use case."""
from datetime import datetime, timedelta, timezone

import pytest

from cityops.app.orders import usecases as uc
from cityops.app.orders.sweep import sweep_once
from cityops.domain.errors import InvalidInput, NotAllowed, NotFound
from cityops.domain.roles import Actor, Role

from ...fakes import FakeUnitOfWork

NOW = datetime(2022, 3, 25, 1, 0, tzinfo=timezone.utc)
OP = Actor(1, "op", Role.OPERATOR, 2)
S1 = Actor(2, "s1", Role.UNIT_HANDLER, 3)
S1C1 = Actor(3, "s1c1", Role.UNIT_HANDLER, 4)
S2 = Actor(4, "s2", Role.UNIT_HANDLER, 5)


@pytest.fixture
def uow():
    return FakeUnitOfWork()


def test_dispatch_notifies_the_unit_inbox_and_its_robot_webhook(uow):
    o = uc.create_order(uow, OP, uc.NewOrder(text="小区门口堆满垃圾", dispatch_to="S1"), NOW)
    assert o.state == "dispatched" and uow.commits == 2  # the day's number, then the order itself
    assert [(n["unit_id"], n["kind"]) for n in uow.notices.inapp_items] == [(3, "dispatched")]
    assert [m["channel"] for m in uow.notices.outbox_items] == ["webhook"]


def test_a_committee_order_is_visible_to_its_street_but_not_the_next(uow):
    o = uc.create_order(uow, OP, uc.NewOrder(text="x", dispatch_to="S1C1"), NOW)
    assert uc.load_visible(uow, S1, o.number).id == o.id
    with pytest.raises(NotFound):
        uc.load_visible(uow, S2, o.number)
    with pytest.raises(NotFound):
        uc.accept_order(uow, S2, o.number, NOW)


def test_the_street_may_accept_for_its_committee(uow):
    o = uc.create_order(uow, OP, uc.NewOrder(text="x", dispatch_to="S1C1"), NOW)
    assert uc.accept_order(uow, S1, o.number, NOW).state == "accepted"


def test_return_tells_the_center(uow):
    o = uc.create_order(uow, OP, uc.NewOrder(text="x", dispatch_to="S1"), NOW)
    uc.return_order(uow, S1, o.number, "非本辖区", NOW)
    assert uow.notices.inapp_items[-1]["unit_id"] == 2 and uow.notices.inapp_items[-1]["kind"] == "returned"


def test_reveal_is_audited_and_refused_to_the_commander(uow):
    o = uc.create_order(uow, OP, uc.NewOrder(text="x", caller_phone="13911112222"), NOW)
    assert uc.reveal_caller(uow, OP, o.number, NOW, "回访")["caller_phone"] == "13911112222"
    assert uow.audit.rows[-1][2] == "reveal_caller"
    with pytest.raises(NotAllowed):
        uc.reveal_caller(uow, Actor(9, "cmd", Role.COMMANDER, 2), o.number, NOW)


def test_unknown_special_group_and_channel_are_refused(uow):
    with pytest.raises(NotFound):
        uc.create_order(uow, OP, uc.NewOrder(text="x", special_groups=("vip",)), NOW)
    with pytest.raises(InvalidInput):
        uc.create_order(uow, OP, uc.NewOrder(text="x", channel="fax"), NOW)
    assert uow.orders.rows == {}


def test_sweep_writes_reminder_events_and_sms_once(uow):
    o = uc.create_order(uow, OP, uc.NewOrder(text="x", urgency="urgent", dispatch_to="S1"), NOW)
    sweep_once(uow, NOW + timedelta(minutes=31))
    sweep_once(uow, NOW + timedelta(minutes=32))
    kinds = [e.kind for oid, e in uow.orders.events if oid == o.id]
    assert kinds.count("reminder_sent") == 1
    sms = sorted(m["recipient"] for m in uow.notices.outbox_items if m["channel"] == "sms")
    assert sms == ["13800000001", "13800000002"]


def test_the_same_intake_key_twice_gives_the_first_order_and_takes_no_second_number(uow):
    first = uc.create_order(uow, OP, uc.NewOrder(text="路灯不亮", client_key="form-1", dispatch_to="S1"), NOW)
    again = uc.create_order(uow, OP, uc.NewOrder(text="路灯不亮", client_key="form-1", dispatch_to="S1"), NOW)
    assert again.number == first.number and len(uow.orders.rows) == 1 and uow.orders.seq == 1
    other = uc.create_order(uow, S1, uc.NewOrder(text="路灯不亮", channel="patrol", client_key="form-1"), NOW)
    assert other.number != first.number and len(uow.orders.rows) == 2


def test_an_intake_key_claimed_meanwhile_returns_the_winners_order(uow):
    winner = uc.create_order(uow, OP, uc.NewOrder(text="井盖缺失", client_key="k"), NOW)
    real_lookup = uow.orders.intake_key_order
    calls = []

    def late_lookup(user_id, key):  # the other submission commits between our check and our insert
        calls.append(key)
        return None if len(calls) == 1 else real_lookup(user_id, key)

    uow.orders.intake_key_order = late_lookup
    got = uc.create_order(uow, OP, uc.NewOrder(text="井盖缺失", client_key="k"), NOW)
    assert got.number == winner.number and len(calls) == 2
    assert not [e for oid, e in uow.orders.events if oid != winner.id]  # the loser wrote no events


@pytest.mark.parametrize("key", ["x" * 65, "含中文", "a b"])
def test_a_malformed_intake_key_is_refused(uow, key):
    with pytest.raises(InvalidInput):
        uc.create_order(uow, OP, uc.NewOrder(text="x", client_key=key), NOW)
