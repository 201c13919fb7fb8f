"""Duty rules without a database: patterns, generation, overlaps, coverage, areas, ranking, assignments."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from cityops.domain.duty import assignment as da
from cityops.domain.duty.area import Area, check_position, checked_polygons, km_between
from cityops.domain.duty.coverage import gaps, on_duty_at
from cityops.domain.duty.inspection import checked_places, progress
from cityops.domain.duty.patterns import BUILTIN, Pattern, Shift
from cityops.domain.duty.roster import LEAVE, ShiftSlot, generate, overlaps, split_groups, swapped
from cityops.domain.duty.suggest import Candidate, best, rank
from cityops.domain.errors import IllegalTransition, InvalidInput

TZ = "Asia/Shanghai"
T0 = datetime(2022, 3, 25, 0, 0, tzinfo=timezone.utc)
P = {p.code: p for p in BUILTIN}


def test_every_built_in_pattern_covers_7x24_in_a_steady_rotation():
    assert {code: p.uncovered_hours() for code, p in P.items()} == {code: [] for code in P}


def test_a_pattern_with_a_hole_says_which_hours_are_uncovered():
    p = Pattern("day_only", "只有白班", (Shift("D", "白班", time(8), 12),), {"A": ("D",)})
    assert len(p.uncovered_hours()) == 12 and (0, 20) in p.uncovered_hours()


def test_a_pattern_using_an_unknown_shift_is_refused():
    with pytest.raises(InvalidInput, match="unknown shift"):
        Pattern("x", "x", (Shift("D", "白班", time(8), 12),), {"A": ("D", "N")})


def test_seven_fourteen_keeps_exactly_one_group_on_site_every_day():
    groups = split_groups(P["seven_fourteen"], list(range(1, 10)))
    slots = generate(P["seven_fourteen"], groups, date(2022, 3, 1), 63, TZ)
    for d in range(63):
        at = datetime(2022, 3, 1, 12, tzinfo=timezone.utc) + timedelta(days=d)
        on = on_duty_at(slots, at)
        assert len(on) == 3 and len({slots_group(slots, u, at) for u in on}) == 1


def slots_group(slots, uid, at):
    return next(s.group for s in slots if s.user_id == uid and s.covers(at))


def test_a_generated_two_shift_roster_leaves_no_gap_from_its_first_shift_on():
    slots = generate(P["two_shifts"], {"A": [1], "B": [2]}, date(2022, 3, 25), 14, TZ)
    assert len(slots) == 28 and slots[0].starts_at == T0  # 08:00 in Shanghai
    assert gaps(slots, T0, T0 + timedelta(days=14)) == []
    assert [g.hours for g in gaps(slots, T0 - timedelta(hours=8), T0)] == [8.0]  # the night before: nobody


def test_leave_cuts_a_person_out_and_opens_a_gap():
    a = ShiftSlot(1, T0, T0 + timedelta(hours=12))
    b = ShiftSlot(2, T0 + timedelta(hours=12), T0 + timedelta(hours=24))
    leave = ShiftSlot(2, T0 + timedelta(hours=14), T0 + timedelta(hours=16), kind=LEAVE)
    g = gaps([a, b, leave], T0, T0 + timedelta(hours=24))
    assert [(x.starts_at, x.ends_at, x.on_duty) for x in g] == [(T0 + timedelta(hours=14), T0 + timedelta(hours=16), 0)]


def test_too_few_is_a_gap_when_two_are_required_and_overlapping_shifts_count_a_person_once():
    a = ShiftSlot(1, T0, T0 + timedelta(hours=8))
    a2 = ShiftSlot(1, T0 + timedelta(hours=4), T0 + timedelta(hours=8))
    b = ShiftSlot(2, T0, T0 + timedelta(hours=4))
    g = gaps([a, a2, b], T0, T0 + timedelta(hours=8), required=2)
    assert [(x.starts_at, x.on_duty) for x in g] == [(T0 + timedelta(hours=4), 1)]
    assert len(overlaps([a, a2, b])) == 1


def test_a_swap_exchanges_people_and_refuses_the_same_person():
    a, b = ShiftSlot(1, T0, T0 + timedelta(hours=1)), ShiftSlot(2, T0, T0 + timedelta(hours=1))
    a2, b2 = swapped(a, b)
    assert (a2.user_id, b2.user_id) == (2, 1)
    with pytest.raises(InvalidInput):
        swapped(a, a)


def test_an_area_covers_a_committee_below_a_street_and_a_point_inside_a_polygon():
    ring = ((121.40, 31.20), (121.42, 31.20), (121.42, 31.22), (121.40, 31.22))
    area = Area(frozenset({3}), (ring,))
    within = lambda u, a: (u, a) in {(4, 3), (3, 3)}
    assert area.covers({4}, None, within)
    assert area.covers(set(), (121.41, 31.21), within)
    assert not area.covers({5}, (121.50, 31.21), within)


def test_polygons_with_lat_lng_swapped_out_of_range_are_refused_with_the_reason():
    with pytest.raises(InvalidInput, match="invalid coordinate"):
        checked_polygons([[[31.2, 121.4], [31.3, 200.0], [31.2, 121.5]]])


def test_a_position_far_from_the_area_is_flagged_and_a_near_one_is_not():
    ring = ((121.40, 31.20), (121.42, 31.20), (121.42, 31.22), (121.40, 31.22))
    near = check_position((121.425, 31.21), T0, [ring])
    assert near.ok and 0 < near.km_outside < 1
    far = check_position((121.60, 31.21), T0, [ring])
    assert not far.ok and far.km_outside > 5
    assert round(km_between((121.0, 31.0), (121.0, 32.0))) == 111


def test_the_ranking_prefers_on_duty_covering_least_loaded_then_skill_then_nearest():
    now = T0
    cands = [
        Candidate(1, "off", on_duty=False, covers=True, load=0),
        Candidate(2, "outside", on_duty=True, covers=False, load=0),
        Candidate(3, "busy", on_duty=True, covers=True, load=2, skills=frozenset({"delivery"})),
        Candidate(4, "free-far", on_duty=True, covers=True, load=0, distance_km=3.0),
        Candidate(5, "free-near", on_duty=True, covers=True, load=0, distance_km=0.5),
    ]
    assert [r.candidate.name for r in rank(cands, now, "delivery")] == ["free-near", "free-far", "busy", "outside", "off"]
    assert best([cands[0]], now) is None


def test_an_assignment_accepts_once_escalates_once_and_needs_a_reason_to_decline():
    a, ev = da.assign(1, 9, 7, T0, timedelta(minutes=15), 3, 9, member_name="x", outside_area=False)
    assert ev.kind == "member_assigned" and a.next_due_at == T0 + timedelta(minutes=15)
    with pytest.raises(IllegalTransition):
        da.escalate(a, T0 + timedelta(minutes=5), "队长")
    esc, ev = da.escalate(a, T0 + timedelta(minutes=16), "队长")
    assert ev.kind == "member_escalated" and esc.next_due_at is None
    acc, ev = da.accept(esc, T0 + timedelta(minutes=20))
    assert ev.data["late"] is True
    with pytest.raises(IllegalTransition):
        da.accept(acc, T0 + timedelta(minutes=21))
    with pytest.raises(InvalidInput):
        da.decline(acc, T0, "  ")


def test_critical_orders_get_a_shorter_accept_window():
    assert da.accept_window(15, "critical") == timedelta(minutes=5)
    assert da.accept_window(None, "normal") == timedelta(minutes=15)


def test_inspection_rows_are_checked_one_by_one_and_progress_is_counted():
    good, bad = checked_places([{"name": "A"}, {"name": ""}, {"name": "B", "lat": 91, "lng": 0}, "x",
                                {"name": "A"}, {"name": "C", "lat": "31.2", "lng": "121.4"}])
    assert [p.name for p in good] == ["A", "C"] and [e["row"] for e in bad] == [2, 3, 4, 5]
    assert progress({"pending": 3, "ok": 1}) ["percent"] == 25.0
