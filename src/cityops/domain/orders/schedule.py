"""Which deadline steps an order has, which are due, and when the next one falls.

An open order stores its next deadline (``next_due_at``); the sweeper only looks at rows
whose next deadline has come. Steps are keyed by kind and the deadline they belong to, so a
deadline that moves (extension, reopening, re-dispatch) gets fresh steps, and a step never
fires twice for the same deadline.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import Clock
from .model import Order, State
from .policy import EscalationLevel

UNRESOLVED = frozenset({State.RECEIVED, State.DISPATCHED, State.RETURNED, State.ACCEPTED, State.IN_PROGRESS})


@dataclass(frozen=True)
class Step:
    key: str
    kind: str  # remind_unaccepted | accept_overdue | feedback_overdue | warning | overdue | escalation
    due_at: datetime
    fraction: float | None = None
    level: EscalationLevel | None = None


def schedule(order: Order, clock: Clock) -> list[Step]:
    """Every deadline step the order has in its current state, fired or not."""
    if order.is_paused or order.state not in UNRESOLVED:
        return []
    p = order.policy
    steps: list[Step] = []
    if order.state == State.DISPATCHED and order.dispatched_at is not None:
        if p.remind_unaccepted_minutes:
            at = clock.add(order.dispatched_at, p.remind_unaccepted_minutes)
            steps.append(Step(f"remind@{order.dispatched_at.isoformat()}", "remind_unaccepted", at))
        if order.accept_due_at is not None:
            steps.append(Step(f"accept@{order.accept_due_at.isoformat()}", "accept_overdue", order.accept_due_at))
    if order.state in (State.DISPATCHED, State.ACCEPTED) and order.feedback_due_at is not None:
        steps.append(Step(f"feedback@{order.feedback_due_at.isoformat()}", "feedback_overdue", order.feedback_due_at))
    due = order.resolve_due_at
    if due is not None:
        start = order.window_start_at or order.received_at
        tag = due.isoformat()
        for f in p.warn_fractions:
            at = start + (due - start) * f
            steps.append(Step(f"warn{f:g}@{tag}", "warning", at, fraction=f))
        steps.append(Step(f"overdue@{tag}", "overdue", due))
        for i, esc in enumerate(p.escalation):
            at = due + timedelta(minutes=esc.after_minutes)
            steps.append(Step(f"esc{i}@{tag}", "escalation", at, level=esc.level))
    return steps


def next_due(order: Order, clock: Clock) -> datetime | None:
    """When the next unfired step falls, or None when nothing is left to watch."""
    pending = [s.due_at for s in schedule(order, clock) if s.key not in order.fired]
    return min(pending) if pending else None


@dataclass(frozen=True)
class DueSteps:
    act: list[Step]      # steps to act on now (events, notifications)
    skip: list[Step]     # steps overtaken by a later one (a 50% warning once overdue): mark only


def due_steps(order: Order, clock: Clock, now: datetime, steps: list[Step] | None = None) -> DueSteps:
    """The unfired steps whose time has come. A warning overtaken by the overdue alarm of the
    same deadline is marked as done without a notice (a worker catching up after downtime
    should not send a 50% warning for an order that is already late)."""
    steps = schedule(order, clock) if steps is None else steps
    due = [s for s in steps if s.key not in order.fired and s.due_at <= now]
    due.sort(key=lambda s: s.due_at)
    overdue_due = any(s.kind == "overdue" for s in due) or any(
        k.startswith("overdue@") for k in order.fired
    )
    act = [s for s in due if not (s.kind == "warning" and overdue_due)]
    # Of several warnings due at once, only the latest one is worth a notice.
    warnings = [s for s in act if s.kind == "warning"]
    if len(warnings) > 1:
        act = [s for s in act if s.kind != "warning" or s is warnings[-1]]
    skip = [s for s in due if s not in act]
    return DueSteps(act=act, skip=skip)


def advance(order: Order, clock: Clock, now: datetime) -> tuple[DueSteps, Order, datetime | None]:
    """One sweep of one order: the steps to act on, the order with them recorded, and its
    next deadline — from a single computation of its schedule."""
    steps = schedule(order, clock)
    due = due_steps(order, clock, now, steps)
    live = {s.key for s in steps}
    fired = order.fired | {s.key for s in due.act + due.skip}
    if not order.is_paused:
        fired &= live
    new = order.evolve(fired=frozenset(fired))
    pending = [s.due_at for s in steps if s.key not in new.fired]
    return due, new, (min(pending) if pending else None)


def mark_fired(order: Order, clock: Clock, steps: list[Step]) -> Order:
    """The order with these steps recorded, and stale step keys dropped."""
    return prune_fired(order.evolve(fired=order.fired | {s.key for s in steps}), clock)


def prune_fired(order: Order, clock: Clock) -> Order:
    """Drop the keys of steps the order no longer has (a moved deadline, a state left behind).
    A paused order keeps its record: its steps come back, unchanged where already passed, on resume."""
    if order.is_paused:
        return order
    live = {s.key for s in schedule(order, clock)}
    return order.evolve(fired=frozenset(order.fired & live))
