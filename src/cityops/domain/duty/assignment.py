"""A member's assignment to an order (派给队员): assigned → accepted → arrived → resolved, or
declined, escalated to the leader when not accepted in time, handed over at a shift change,
reassigned by the leader, or cancelled when the order leaves the team.

Each transition returns the new assignment and the events for the order's timeline (kinds
``member_*``), written by the app through the orders' event mechanism.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ..errors import IllegalTransition, InvalidInput
from ..orders.model import Event


class AState(StrEnum):
    ASSIGNED = "assigned"        # 待接单
    ACCEPTED = "accepted"        # 已接单
    ARRIVED = "arrived"          # 已到场
    RESOLVED = "resolved"        # 已处置
    DECLINED = "declined"        # 已拒绝
    REASSIGNED = "reassigned"    # 已改派
    HANDED_OVER = "handed_over"  # 已交接
    CANCELLED = "cancelled"      # 已撤销


ACTIVE = frozenset({AState.ASSIGNED, AState.ACCEPTED, AState.ARRIVED})
DEFAULT_ACCEPT_MINUTES = 15
CRITICAL_ACCEPT_MINUTES = 5


@dataclass(frozen=True)
class Assignment:
    order_id: int
    team_unit_id: int
    user_id: int
    assigned_at: datetime
    accept_due_at: datetime
    state: AState = AState.ASSIGNED
    assigned_by: int | None = None
    accepted_at: datetime | None = None
    arrived_at: datetime | None = None
    resolved_at: datetime | None = None
    escalated_at: datetime | None = None
    ended_at: datetime | None = None
    outside_area: bool = False
    note: str = ""
    warnings: tuple[str, ...] = ()
    previous_id: int | None = None          # the assignment this one took over (reassignment, handover)
    id: int | None = None
    version: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def next_due_at(self) -> datetime | None:
        """The accept deadline, while it can still fire (not accepted, not yet escalated)."""
        if self.state == AState.ASSIGNED and self.escalated_at is None:
            return self.accept_due_at
        return None


def accept_window(team_minutes: int | None, urgency: str) -> timedelta:
    minutes = team_minutes or DEFAULT_ACCEPT_MINUTES
    if urgency == "critical":
        minutes = min(minutes, CRITICAL_ACCEPT_MINUTES)
    return timedelta(minutes=minutes)


def _ev(kind: str, a: Assignment, at: datetime, actor_id: int | None, actor_unit_id: int | None,
        reason: str | None = None, **data: Any) -> Event:
    return Event(kind=kind, at=at, actor_id=actor_id or None, actor_unit_id=actor_unit_id or None, reason=reason,
                 data={"assignment_id": a.id, "member_id": a.user_id, **data})


def assign(order_id: int, team_unit_id: int, user_id: int, now: datetime, window: timedelta,
           actor_id: int | None, actor_unit_id: int | None, *, member_name: str, outside_area: bool,
           warnings: tuple[str, ...] = (), note: str = "", previous_id: int | None = None,
           kind: str = "member_assigned") -> tuple[Assignment, Event]:
    a = Assignment(order_id=order_id, team_unit_id=team_unit_id, user_id=user_id, assigned_at=now,
                   accept_due_at=now + window, assigned_by=actor_id or None, outside_area=outside_area,
                   warnings=tuple(warnings), note=note, previous_id=previous_id)
    return a, _ev(kind, a, now, actor_id, actor_unit_id, note or None, member_name=member_name,
                  accept_due_at=a.accept_due_at.isoformat(), outside_area=outside_area, warnings=list(warnings))


def _need(a: Assignment, states: set[AState], what: str) -> None:
    if a.state not in states:
        raise IllegalTransition(f"派单状态为「{STATE_ZH[a.state]}」，不能{what} (assignment is {a.state})")


def accept(a: Assignment, now: datetime) -> tuple[Assignment, Event]:
    _need(a, {AState.ASSIGNED}, "接单")
    late = now > a.accept_due_at
    new = replace(a, state=AState.ACCEPTED, accepted_at=now)
    return new, _ev("member_accepted", new, now, a.user_id, a.team_unit_id, late=late)


def decline(a: Assignment, now: datetime, reason: str) -> tuple[Assignment, Event]:
    _need(a, {AState.ASSIGNED, AState.ACCEPTED}, "拒绝")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写拒绝原因 (a reason is required)", field="reason")
    new = replace(a, state=AState.DECLINED, ended_at=now)
    return new, _ev("member_declined", new, now, a.user_id, a.team_unit_id, reason[:1000])


def arrive(a: Assignment, now: datetime, note: str = "") -> tuple[Assignment, Event]:
    _need(a, {AState.ASSIGNED, AState.ACCEPTED, AState.ARRIVED}, "到场")
    new = replace(a, state=AState.ARRIVED, arrived_at=a.arrived_at or now, accepted_at=a.accepted_at or now)
    return new, _ev("member_arrived", new, now, a.user_id, a.team_unit_id, note or None)


def resolve(a: Assignment, now: datetime, note: str, resolved: bool) -> tuple[Assignment, Event]:
    _need(a, ACTIVE, "完成")
    new = replace(a, state=AState.RESOLVED, resolved_at=now, ended_at=now, accepted_at=a.accepted_at or now)
    return new, _ev("member_resolved", new, now, a.user_id, a.team_unit_id, (note or "")[:1000] or None,
                    resolved=bool(resolved))


def escalate(a: Assignment, now: datetime, leader: str) -> tuple[Assignment, Event]:
    if a.next_due_at is None or a.next_due_at > now:
        raise IllegalTransition("派单未到接单时限 (the accept deadline has not passed)")
    new = replace(a, escalated_at=now)
    return new, _ev("member_escalated", new, now, None, None, None, due_at=a.accept_due_at.isoformat(), leader=leader)


def end(a: Assignment, now: datetime, state: AState, actor_id: int | None, actor_unit_id: int | None,
        reason: str | None = None, **data: Any) -> tuple[Assignment, Event]:
    """Reassigned, handed over or cancelled: this member's part ends (a new assignment follows)."""
    _need(a, set(ACTIVE), "改派或交接")
    new = replace(a, state=state, ended_at=now)
    kind = {AState.REASSIGNED: "member_reassigned", AState.HANDED_OVER: "member_handed_over",
            AState.CANCELLED: "member_cancelled"}[state]
    return new, _ev(kind, new, now, actor_id, actor_unit_id, reason, **data)


STATE_ZH = {AState.ASSIGNED: "待接单", AState.ACCEPTED: "已接单", AState.ARRIVED: "已到场", AState.RESOLVED: "已处置",
            AState.DECLINED: "已拒绝", AState.REASSIGNED: "已改派", AState.HANDED_OVER: "已交接",
            AState.CANCELLED: "已撤销"}
