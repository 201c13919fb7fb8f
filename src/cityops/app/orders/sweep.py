"""The deadline sweeper: act on the deadline steps that have come, exactly once each.

One call handles one batch in one transaction: it claims due rows (``FOR UPDATE SKIP LOCKED``
on PostgreSQL, the write lock on SQLite), writes the step events and notices, and stores
each order's fired steps and next deadline. A worker killed half-way loses its transaction,
its locks go with it, and another worker takes the same rows: nothing is sent twice,
nothing is missed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from ...domain.orders.model import Event
from ...domain.orders.schedule import advance
from ..ports import UnitOfWork
from . import notices
from .usecases import clock_for

log = logging.getLogger("cityops.sweep")
RETRY_FAILED = timedelta(minutes=5)
_EVENT_KIND = {"remind_unaccepted": "reminder_sent", "warning": "warning_raised", "escalation": "escalated"}


@dataclass
class SweepResult:
    orders: int = 0
    steps: int = 0
    notices: int = 0

    def __iadd__(self, other: "SweepResult") -> "SweepResult":
        self.orders += other.orders
        self.steps += other.steps
        self.notices += other.notices
        return self


def sweep_once(uow: UnitOfWork, now: datetime, batch: int = 500) -> SweepResult:
    result = SweepResult()
    with uow:
        due = uow.orders.claim_due(now, batch)
        if not due:
            return result
        center = uow.units.center()
        units: dict[int, object] = {}
        events: list[tuple[int, Event]] = []
        inapp: list[dict] = []
        out: list[dict] = []
        updates = []
        clocks: dict[tuple, object] = {}
        for order in due:
            try:
                key = (order.policy.clock,)
                clock = clocks.get(key) or clocks.setdefault(key, clock_for(uow, order.policy))
                steps, fired, nxt = advance(order, clock, now)
                lead = None
                if order.lead_unit_id:
                    lead = units.get(order.lead_unit_id) or uow.units.get(order.lead_unit_id)
                    units[order.lead_unit_id] = lead
                o_events, o_inapp, o_out = [], [], []
                for step in steps.act:
                    data = {"step": step.key, "due_at": step.due_at.isoformat()}
                    if step.level is not None:
                        data["level"] = str(step.level)
                    if step.fraction is not None:
                        data["fraction"] = step.fraction
                    kind = _EVENT_KIND.get(step.kind, step.kind)
                    o_events.append((order.id, Event(kind=kind, at=now, actor_id=None, actor_unit_id=None, data=data)))
                    a, b = notices.for_step(order, step, lead, center, now)
                    o_inapp += a
                    o_out += b
            except Exception as e:  # one broken order must not hold up every other deadline
                log.exception("deadline sweep: order %s failed", order.number)
                events.append((order.id, Event(kind="sweep_failed", at=now, actor_id=None, actor_unit_id=None,
                                               reason=f"{type(e).__name__}: {e}"[:1000], data={})))
                updates.append((order, now + RETRY_FAILED))
                continue
            events += o_events
            inapp += o_inapp
            out += o_out
            updates.append((fired, nxt))
            result.steps += len(steps.act)
        uow.orders.add_events(events)
        uow.notices.inapp(inapp)
        uow.notices.outbox(out)
        uow.orders.save_deadline_state(updates, now)
        uow.commit()
    result.orders = len(due)
    result.notices = len(inapp) + len(out)
    return result


def sweep_until_idle(uow_factory, now_fn, batch: int = 500, max_batches: int = 10_000) -> SweepResult:
    total = SweepResult()
    for _ in range(max_batches):
        r = sweep_once(uow_factory(), now_fn(), batch)
        total += r
        if r.orders < batch:
            break
    return total
