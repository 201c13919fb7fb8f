"""Deadline clocks: 7×24 (epidemic mode) and working hours with a holiday calendar.

All datetimes are timezone-aware. Working hours are read in the calendar's local time zone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..errors import InvalidInput


@dataclass(frozen=True)
class WorkCalendar:
    """Working hours and the holiday calendar used by the business clock.

    ``holidays`` are days off even on a weekday; ``workdays`` are make-up working days
    (调休) even on a weekend.
    """

    tz: str = "Asia/Shanghai"
    day_start: time = time(9, 0)
    day_end: time = time(17, 30)
    weekend: frozenset[int] = frozenset({5, 6})
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.day_end <= self.day_start:
            raise InvalidInput("working day must end after it starts", field="day_end")

    def is_workday(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() not in self.weekend

    def _bounds(self, d: date) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.tz)
        return (datetime.combine(d, self.day_start, zone), datetime.combine(d, self.day_end, zone))


_MAX_DAYS = 3660  # a decade of calendar days: no policy needs more, and it bounds the loops


def add_working_time(cal: WorkCalendar, start: datetime, minutes: float) -> datetime:
    """The moment when ``minutes`` of working time have passed since ``start``."""
    if minutes < 0:
        raise InvalidInput("duration must not be negative")
    zone = ZoneInfo(cal.tz)
    local = start.astimezone(zone)
    remaining = timedelta(minutes=minutes)
    day = local.date()
    for _ in range(_MAX_DAYS):
        if cal.is_workday(day):
            open_, close = cal._bounds(day)
            begin = max(open_, local)
            if begin < close:
                available = close - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
        day += timedelta(days=1)
        local = datetime.combine(day, time(0, 0), zone)
    raise InvalidInput("no working time in the calendar within ten years")


def working_time_between(cal: WorkCalendar, a: datetime, b: datetime) -> timedelta:
    """Working time from ``a`` to ``b`` (negative if ``b`` is before ``a``)."""
    if b < a:
        return -working_time_between(cal, b, a)
    zone = ZoneInfo(cal.tz)
    la, lb = a.astimezone(zone), b.astimezone(zone)
    total = timedelta()
    day = la.date()
    for _ in range(_MAX_DAYS):
        if day > lb.date():
            break
        if cal.is_workday(day):
            open_, close = cal._bounds(day)
            begin, end = max(open_, la), min(close, lb)
            if end > begin:
                total += end - begin
        day += timedelta(days=1)
    return total


class Clock:
    """Adds durations to instants under one policy's clock kind."""

    def __init__(self, kind: str, calendar: WorkCalendar | None = None):
        if kind not in ("24x7", "business"):
            raise InvalidInput(f"unknown clock kind {kind!r}: use 24x7 or business", field="clock")
        self.kind = kind
        self.calendar = calendar or WorkCalendar()

    def add(self, start: datetime, minutes: float) -> datetime:
        if self.kind == "24x7":
            return start + timedelta(minutes=minutes)
        return add_working_time(self.calendar, start, minutes)

    def between(self, a: datetime, b: datetime) -> timedelta:
        if self.kind == "24x7":
            return b - a
        return working_time_between(self.calendar, a, b)
