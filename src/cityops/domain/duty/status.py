"""A member's status now: on duty, busy with an order, or off — from the roster and the
member's open assignments, never typed in by hand (so it cannot go stale)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .roster import ShiftSlot

ON_DUTY = "on_duty"   # 在岗
BUSY = "busy"         # 处置中
OFF = "off"           # 不在岗
ORDER = {BUSY: 0, ON_DUTY: 1, OFF: 2}


@dataclass(frozen=True)
class MemberStatus:
    status: str
    shift: ShiftSlot | None
    on_leave: bool
    open_assignments: int
    handover_needed: bool    # off duty but still holding open assignments: list them for the next shift


def member_status(shift: ShiftSlot | None, on_leave: bool, open_assignments: int) -> MemberStatus:
    on = shift is not None and not on_leave
    if on and open_assignments:
        status = BUSY
    elif on:
        status = ON_DUTY
    else:
        status = OFF
    return MemberStatus(status, shift if on else None, on_leave, open_assignments, (not on) and open_assignments > 0)


def next_change(slots: list[ShiftSlot], now: datetime) -> datetime | None:
    """The next shift start or end after ``now`` (for 'who comes next')."""
    points = [t for s in slots for t in (s.starts_at, s.ends_at) if t > now]
    return min(points) if points else None
