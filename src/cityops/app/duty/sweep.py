"""The duty sweeper's steps: escalate assignments not accepted in time, end assignments whose
order has left the team, and raise coverage gaps ahead of time. Run by the workers beside the
order deadline sweeper; any number may run (row claims and dedup keys keep each step once)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .assign import cancel_stale, escalate_due
from .rosters import raise_gaps


@dataclass
class DutySweepResult:
    escalated: int = 0
    cancelled: int = 0
    gaps: int = 0


def sweep_duty(uow_factory, now: datetime, *, coverage: bool = True, batch: int = 200) -> DutySweepResult:
    r = DutySweepResult()
    while True:
        n = escalate_due(uow_factory(), now, batch)
        r.escalated += n
        if n < batch:
            break
    r.cancelled = cancel_stale(uow_factory(), now)
    if coverage:
        r.gaps = raise_gaps(uow_factory(), now)
    return r
