"""Rosters (排班表): shifts generated for a period from a pattern and the people, then edited
by hand (swaps, replacements, leave); overlaps for one person are found and reported.

A roster is a list of ``ShiftSlot`` values with absolute (timezone-aware) start and end times.
Generation is linear in the number of slots: the people are split into the pattern's groups
once, then every (day, group) pair adds one slot per person of the group.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from ..errors import InvalidInput
from .patterns import Pattern

MAX_DAYS = 366
WORK = "work"
LEAVE = "leave"


@dataclass(frozen=True)
class ShiftSlot:
    user_id: int
    starts_at: datetime
    ends_at: datetime
    shift_code: str = ""
    group: str = ""
    kind: str = WORK          # work | leave
    id: int | None = None
    note: str = ""

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.starts_at < end and start < self.ends_at

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


def split_groups(pattern: Pattern, people: Sequence[int]) -> dict[str, list[int]]:
    """People dealt round-robin into the pattern's groups, in the order given (so a list sorted
    by seniority or skill spreads those evenly)."""
    groups: dict[str, list[int]] = {g: [] for g in pattern.groups}
    names = list(groups)
    for i, uid in enumerate(dict.fromkeys(people)):
        groups[names[i % len(names)]].append(uid)
    return groups


def check_groups(pattern: Pattern, groups: dict[str, Sequence[int]]) -> None:
    unknown = sorted(set(groups) - set(pattern.groups))
    if unknown:
        raise InvalidInput(f"排班模式 {pattern.code} 没有班组 {unknown} (the pattern has no such group; "
                           f"groups: {list(pattern.groups)})", field="groups")
    seen: dict[int, str] = {}
    for g, people in groups.items():
        for uid in people:
            if uid in seen:
                raise InvalidInput(f"同一人员不能同时在班组 {seen[uid]} 和 {g} (a person is in two groups)",
                                   field="groups")
            seen[uid] = g


def generate(pattern: Pattern, groups: dict[str, Sequence[int]], start: date, days: int, tz: str,
             cycle_offset: int = 0) -> list[ShiftSlot]:
    """The shifts of ``days`` days from ``start`` (local dates in ``tz``). ``cycle_offset``: the
    cycle day that ``start`` is (to continue a rotation already running)."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"排班天数须为 1-{MAX_DAYS} 天 (a roster covers 1-{MAX_DAYS} days)", field="days")
    check_groups(pattern, groups)
    zone = ZoneInfo(tz)
    n = pattern.cycle_days
    members = [(g, tuple(groups.get(g, ()))) for g in pattern.groups]
    shift_len = {s.code: timedelta(minutes=s.minutes) for s in pattern.shifts}
    out: list[ShiftSlot] = []
    append = out.append
    for i in range(days):
        day = start + timedelta(days=i)
        k = (i + cycle_offset) % n
        for g, people in members:
            code = pattern.rotation[g][k]
            if not code or not people:
                continue
            s = pattern.shift(code)
            # local wall time → absolute: correct across daylight-saving changes where they exist
            begin = datetime.combine(day, s.start, zone)
            end = begin + shift_len[code]
            for uid in people:
                append(ShiftSlot(uid, begin, end, code, g))
    return out


@dataclass(frozen=True)
class Overlap:
    user_id: int
    first: ShiftSlot
    second: ShiftSlot


def overlaps(slots: Iterable[ShiftSlot]) -> list[Overlap]:
    """Work shifts of one person that overlap in time (sorted per person: O(n log n))."""
    per: dict[int, list[ShiftSlot]] = {}
    for s in slots:
        if s.kind == WORK:
            per.setdefault(s.user_id, []).append(s)
    out = []
    for uid, items in per.items():
        items.sort(key=lambda s: (s.starts_at, s.ends_at))
        latest = items[0]
        for s in items[1:]:
            if s.starts_at < latest.ends_at:
                out.append(Overlap(uid, latest, s))
            if s.ends_at > latest.ends_at:
                latest = s
    return out


def on_leave(slot: ShiftSlot, leaves: Iterable[ShiftSlot]) -> bool:
    """Does a leave of the same person overlap this work shift?"""
    return any(lv.user_id == slot.user_id and lv.overlaps(slot.starts_at, slot.ends_at) for lv in leaves)


def check_period(start: datetime, end: datetime, field: str = "ends_at", max_hours: float = 24 * MAX_DAYS) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("时间须带时区 (times must carry a time zone, e.g. 2022-03-28T08:00+08:00)", field=field)
    if end <= start:
        raise InvalidInput("结束时间须晚于开始时间 (the end must be after the start)", field=field)
    if (end - start) > timedelta(hours=max_hours):
        raise InvalidInput(f"时段过长：不能超过 {max_hours:g} 小时 (the period is longer than {max_hours:g} hours)",
                           field=field)


def swapped(a: ShiftSlot, b: ShiftSlot) -> tuple[ShiftSlot, ShiftSlot]:
    """换班: the two people exchange these two shifts."""
    if a.user_id == b.user_id:
        raise InvalidInput("换班的两个班次属于同一人 (both shifts belong to the same person)", field="with_shift")
    if a.kind != WORK or b.kind != WORK:
        raise InvalidInput("只能交换值班班次，不能交换请假 (only work shifts can be swapped)", field="with_shift")
    return replace(a, user_id=b.user_id), replace(b, user_id=a.user_id)
