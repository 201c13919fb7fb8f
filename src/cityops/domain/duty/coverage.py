"""7×24 coverage (值守覆盖): every stretch of time in a window where fewer people are on duty
than required — nobody at all, or too few — found before it happens.

Each person's work shifts are merged and their leave cut out first (a person counts once,
however their shifts overlap), then one sweep over the sorted start/end points gives the
headcount between consecutive points: O(n log n) in the number of shifts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from .roster import LEAVE, WORK, ShiftSlot

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Gap:
    starts_at: datetime
    ends_at: datetime
    on_duty: int        # how many are on duty in this stretch
    required: int

    @property
    def nobody(self) -> bool:
        return self.on_duty == 0

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    def to_dict(self) -> dict:
        return {"starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat(), "on_duty": self.on_duty,
                "required": self.required, "nobody": self.nobody, "hours": round(self.hours, 2)}


def _merge(intervals: list[Interval]) -> list[Interval]:
    intervals.sort()
    out: list[Interval] = []
    for s, e in intervals:
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _subtract(base: list[Interval], cuts: list[Interval]) -> list[Interval]:
    if not cuts:
        return base
    out = []
    cuts = _merge(cuts)
    for s, e in base:
        cur = s
        for cs, ce in cuts:
            if ce <= cur or cs >= e:
                continue
            if cs > cur:
                out.append((cur, cs))
            cur = max(cur, ce)
            if cur >= e:
                break
        if cur < e:
            out.append((cur, e))
    return out


def duty_intervals(slots: Iterable[ShiftSlot], start: datetime, end: datetime) -> dict[int, list[Interval]]:
    """Per person: the merged stretches on duty within [start, end), leave cut out."""
    work: dict[int, list[Interval]] = {}
    leave: dict[int, list[Interval]] = {}
    for s in slots:
        if s.ends_at <= start or s.starts_at >= end:
            continue
        iv = (max(s.starts_at, start), min(s.ends_at, end))
        (work if s.kind == WORK else leave if s.kind == LEAVE else {}).setdefault(s.user_id, []).append(iv)
    return {uid: _subtract(_merge(ivs), leave.get(uid, [])) for uid, ivs in work.items()}


def headcount(slots: Iterable[ShiftSlot], start: datetime, end: datetime) -> list[tuple[datetime, datetime, int]]:
    """Consecutive stretches covering [start, end) with the number of people on duty in each."""
    points: dict[datetime, int] = {start: 0, end: 0}
    for ivs in duty_intervals(slots, start, end).values():
        for s, e in ivs:
            points[s] = points.get(s, 0) + 1
            points[e] = points.get(e, 0) - 1
    out: list[tuple[datetime, datetime, int]] = []
    count = 0
    keys = sorted(points)
    for a, b in zip(keys, keys[1:]):
        count += points[a]
        if out and out[-1][2] == count:
            out[-1] = (out[-1][0], b, count)
        else:
            out.append((a, b, count))
    return out


def gaps(slots: Iterable[ShiftSlot], start: datetime, end: datetime, required: int = 1) -> list[Gap]:
    """Every stretch of [start, end) with fewer than ``required`` people on duty."""
    if end <= start:
        return []
    out: list[Gap] = []
    for a, b, n in headcount(slots, start, end):
        if n < required:
            out.append(Gap(a, b, n, required))
    return out


def on_duty_at(slots: Iterable[ShiftSlot], at: datetime) -> dict[int, ShiftSlot]:
    """Who is on duty at ``at`` (not on leave), with the shift they are on."""
    working: dict[int, ShiftSlot] = {}
    away: set[int] = set()
    for s in slots:
        if s.covers(at):
            if s.kind == WORK:
                prev = working.get(s.user_id)
                if prev is None or s.ends_at > prev.ends_at:
                    working[s.user_id] = s
            elif s.kind == LEAVE:
                away.add(s.user_id)
    return {uid: s for uid, s in working.items() if uid not in away}
