"""Statistics against a hand-computed fixture."""
from datetime import datetime, timedelta, timezone

import pytest

from cityops.adapters.db.stats import statistics
from cityops.app.orders import usecases as uc

from ..conftest import START


def make(box, a, clock, *, text="求助", urgency="normal", category="city.noise", groups=(), to="S1"):
    return uc.create_order(box.uow(), a["op"], uc.NewOrder(text=text, urgency=urgency, category=category,
                                                           special_groups=tuple(groups), dispatch_to=to), clock())


def finish(box, a, clock, number, *, late=False, sat="satisfied", solved=True, unit="s1"):
    uc.accept_order(box.uow(), a[unit], number, clock())
    if late:
        clock.advance(days=3)
    uc.submit_feedback(box.uow(), a[unit], number, "处理完毕", True, clock())
    return uc.record_callback(box.uow(), a["op"], number, sat, solved, clock())


@pytest.fixture
def fixture_orders(box, district, clock):
    """Previous week: 2 orders. This week (from START): 8 orders:
    1 critical epi.medical elderly   → closed on time, satisfied, solved
    2 urgent   epi.supplies          → closed late (3 days), basically satisfied, solved
    3 urgent   epi.testing  patient  → returned once, re-dispatched, still open, overdue at the end
    4 normal   city.noise            → unsatisfied + unsolved → reopened (open)
    5 normal   city.noise            → closed on time, unsatisfied but solved
    6 normal   epi.policy            → direct reply (closed, no dispatch)
    7 critical epi.medical           → transferred to city
    8 normal   city.traffic          → received only
    """
    a = district.actors
    clock.now = START - timedelta(days=5)
    make(box, a, clock)
    make(box, a, clock, category="epi.testing")
    clock.now = START
    n1 = make(box, a, clock, urgency="critical", category="epi.medical", groups=["elderly"]).number
    n2 = make(box, a, clock, urgency="urgent", category="epi.supplies").number
    n3 = make(box, a, clock, urgency="urgent", category="epi.testing", groups=["patient"], to="S2").number
    n4 = make(box, a, clock).number
    n5 = make(box, a, clock).number
    n6 = uc.create_order(box.uow(), a["op"], uc.NewOrder(text="咨询", category="epi.policy"), clock()).number
    n7 = uc.create_order(box.uow(), a["op"], uc.NewOrder(text="x", urgency="critical", category="epi.medical"), clock()).number
    uc.create_order(box.uow(), a["op"], uc.NewOrder(text="y", category="city.traffic"), clock())
    finish(box, a, clock, n1)
    uc.close_order(box.uow(), a["op"], n1, clock())
    uc.return_order(box.uow(), a["s2"], n3, "不属于本街道", clock())
    uc.dispatch_order(box.uow(), a["op"], n3, "S2", [], clock())
    finish(box, a, clock, n4, sat="unsatisfied", solved=False)
    finish(box, a, clock, n5, sat="unsatisfied", solved=True)
    uc.close_order(box.uow(), a["op"], n5, clock())
    uc.direct_reply(box.uow(), a["op"], n6, "按通告执行", clock())
    uc.transfer_to_city(box.uow(), a["op"], n7, "市级事项", clock())
    finish(box, a, clock, n2, late=True, sat="basically_satisfied")
    uc.close_order(box.uow(), a["op"], n2, clock())
    return clock.now


def test_statistics_match_the_hand_computed_figures(box, district, fixture_orders):
    now = fixture_orders
    with box.engine.connect() as conn:
        s = statistics(conn, district.actors["sup"], START, START + timedelta(days=7), now)
    assert s["received"] == 8 and s["previous_received"] == 2
    assert s["growth_ratio"] == 4.0
    assert s["closed"] == 4  # n1, n2, n5, n6
    assert s["transferred"] == 1 and s["remaining"] == 3
    assert s["epidemic_share"] == 0.625  # n1 n2 n3 n6 n7 of 8
    # feedback standing: n1 (on time), n2 (late), n5 (on time), n6 direct reply (on time);
    # n4's feedback was cleared when it was reopened
    assert s["on_time_rate"] == 0.75
    # called back: n1 solved, n2 solved, n4 unsolved, n5 solved
    assert s["solve_rate"] == 0.75
    # satisfied or basically satisfied: n1, n2 of 4
    assert s["satisfaction_rate"] == 0.5
    # dispatched: n1..n5 (5); returned: n3
    assert s["return_rate"] == 0.2
    # a snapshot over the whole scope, 3 days on: n3 (urgent, 24 h), n4 (reopened, 2 days), n8 (received,
    # 2 days) and both of last week's orders, never accepted
    assert s["overdue_now"] == 5
    assert s["urgent"] == {"received": 4, "closed": 2, "remaining": 1, "on_time_rate": 0.5, "solve_rate": 1.0,
                           "satisfaction_rate": 1.0, "return_rate": 0.3333}
    assert s["critical"]["received"] == 2 and s["critical"]["closed"] == 1
    assert s["special_groups"]["received"] == 2 and s["special_groups"]["closed"] == 1
    assert {r["category"]: r["count"] for r in s["by_category"]} == {
        "city.noise": 2, "epi.medical": 2, "epi.supplies": 1, "epi.testing": 1, "epi.policy": 1, "city.traffic": 1}
    assert {r["urgency"]: r["count"] for r in s["by_urgency"]} == {"critical": 2, "urgent": 2, "normal": 4}
    assert s["by_day"] == [{"day": "2022-03-25", "count": 8}]
    by_unit = {r["name"]: r["count"] for r in s["by_unit"]}
    assert by_unit["龙华街道"] == 4 and by_unit["四川北路街道"] == 1


def test_statistics_for_a_street_count_only_its_orders(box, district, fixture_orders):
    with box.engine.connect() as conn:
        s = statistics(conn, district.actors["s2"], START, START + timedelta(days=7), fixture_orders)
    assert s["received"] == 1 and s["overdue_now"] == 1 and s["return_rate"] == 1.0


def test_by_day_uses_the_local_calendar_day(box, district, clock):
    a = district.actors
    clock.now = datetime(2022, 3, 25, 15, 30, tzinfo=timezone.utc)  # 23:30 in Shanghai
    make(box, a, clock)
    clock.now = datetime(2022, 3, 25, 16, 30, tzinfo=timezone.utc)  # 00:30 on the 26th
    make(box, a, clock)
    with box.engine.connect() as conn:
        s = statistics(conn, a["sup"], START - timedelta(days=1), START + timedelta(days=2), clock.now)
    assert s["by_day"] == [{"day": "2022-03-25", "count": 1}, {"day": "2022-03-26", "count": 1}]
