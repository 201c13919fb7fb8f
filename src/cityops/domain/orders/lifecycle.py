"""The work-order state machine. Each transition takes the order, the actor and ``now`` and
returns the new order with the events it produced; an illegal one raises with a reason.

Who may do what, in which states, is in ``RULES``; unit scope (is this the actor's unit?)
is checked here too, from the ids the order carries. Deadlines are computed with the clock
of the order's policy snapshot, so a policy edited later does not change running orders.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from ..errors import IllegalTransition, InvalidInput, NotAllowed
from ..roles import Actor, Role
from .clock import Clock
from .model import TERMINAL, Event, ExtensionRequest, Order, Satisfaction, State
from .policy import DeadlinePolicy
from .schedule import prune_fired

STATE_NAMES_ZH = {
    State.RECEIVED: "已受理",
    State.DISPATCHED: "已派单",
    State.RETURNED: "已退单",
    State.ACCEPTED: "已签收",
    State.IN_PROGRESS: "处置中",
    State.FEEDBACK_SUBMITTED: "已反馈",
    State.CALLBACK_DONE: "已回访",
    State.CLOSED: "已结案",
    State.TRANSFERRED: "已流转市级",
    State.MERGED: "已合并",
}

ACTION_NAMES_ZH = {
    "dispatch": "派单", "accept": "签收", "return": "退单", "pre_contact": "先联", "progress": "处置进展",
    "feedback": "反馈", "callback": "回访", "close": "结案", "request_extension": "延期申请",
    "decide_extension": "延期审批", "pause": "暂停计时", "resume": "恢复计时", "transfer": "流转市级",
    "merge": "合并", "urge": "催办", "supervise": "督办", "direct_reply": "直接答复", "reopen": "重办",
}

C, S, U, F, M, A = Role.OPERATOR, Role.SUPERVISOR, Role.UNIT_HANDLER, Role.FIELD_MEMBER, Role.COMMANDER, Role.ADMIN
OPEN_STATES = frozenset(State) - TERMINAL - {State.MERGED}

# action -> (states it may start from, roles that may do it)
RULES: dict[str, tuple[frozenset[State], frozenset[Role]]] = {
    "dispatch": (frozenset({State.RECEIVED, State.RETURNED}), frozenset({C, S})),
    "direct_reply": (frozenset({State.RECEIVED}), frozenset({C, S})),
    "pre_contact": (frozenset({State.RECEIVED, State.RETURNED, State.DISPATCHED}), frozenset({C, S, U})),
    "accept": (frozenset({State.DISPATCHED}), frozenset({U, F})),
    "return": (frozenset({State.DISPATCHED, State.ACCEPTED}), frozenset({U, F})),
    "progress": (frozenset({State.ACCEPTED, State.IN_PROGRESS}), frozenset({U, F})),
    "feedback": (frozenset({State.ACCEPTED, State.IN_PROGRESS}), frozenset({U, F})),
    "callback": (frozenset({State.FEEDBACK_SUBMITTED}), frozenset({C, S})),
    "reopen": (frozenset({State.FEEDBACK_SUBMITTED, State.CALLBACK_DONE}), frozenset({S})),
    "close": (frozenset({State.FEEDBACK_SUBMITTED, State.CALLBACK_DONE}), frozenset({C, S})),
    "request_extension": (frozenset({State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS}), frozenset({U, F})),
    "decide_extension": (frozenset({State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS}), frozenset({S})),
    "pause": (frozenset({State.ACCEPTED, State.IN_PROGRESS}), frozenset({U, F, S})),
    "resume": (frozenset({State.ACCEPTED, State.IN_PROGRESS}), frozenset({U, F, S})),
    "transfer": (frozenset({State.RECEIVED, State.RETURNED}), frozenset({C, S})),
    "merge": (OPEN_STATES, frozenset({C, S})),
    "urge": (frozenset({State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS, State.RETURNED}), frozenset({C, S, M})),
    "supervise": (OPEN_STATES, frozenset({S, M})),
}

MAX_TEXT = 4000
MAX_REASON = 1000


@dataclass(frozen=True)
class Outcome:
    order: Order
    events: list[Event]


def allowed_actions(order: Order, actor: Actor, handles: bool) -> list[str]:
    """Actions this actor may take on the order now (``handles``: the actor's unit is the
    lead unit or inside it)."""
    out = []
    for action, (states, roles) in RULES.items():
        if order.state in states and actor.role in roles:
            if actor.role in (U, F) and not handles:
                continue
            if action == "decide_extension" and order.extension is None:
                continue
            if action == "request_extension" and order.extension is not None:
                continue
            if action == "pause" and order.is_paused or action == "resume" and not order.is_paused:
                continue
            out.append(action)
    return out


def _check(order: Order, actor: Actor, action: str) -> None:
    states, roles = RULES[action]
    name = ACTION_NAMES_ZH[action]
    if actor.role not in roles:
        raise NotAllowed(f"角色「{actor.role}」不能{name} (role {actor.role} may not {action})")
    if order.state not in states:
        raise IllegalTransition(
            f"工单 {order.number} 当前状态为「{STATE_NAMES_ZH[order.state]}」，不能{name} "
            f"(cannot {action} an order that is {order.state})"
        )


def _text(value: str | None, field: str, required: bool = True, limit: int = MAX_REASON) -> str:
    v = (value or "").strip()
    if required and not v:
        raise InvalidInput(f"{field} 不能为空 ({field} is required)", field=field)
    if len(v) > limit:
        raise InvalidInput(f"{field} 超过 {limit} 字 ({field} is longer than {limit} characters)", field=field)
    return v


def checked_text(value: str | None, field: str, required: bool = True, limit: int = MAX_REASON) -> str:
    """A stripped text, refused with a message naming the field if empty (when required) or too long."""
    return _text(value, field, required, limit)


def _event(kind: str, actor: Actor, now: datetime, reason: str | None = None, **data) -> Event:
    return Event(kind=kind, at=now, actor_id=actor.user_id or None, actor_unit_id=actor.unit_id or None,
                 reason=reason, data=data)


def receive(
    *, number: str, channel, text: str, urgency, category: str | None, policy: DeadlinePolicy, clock: Clock,
    actor: Actor, now: datetime, caller_name: str = "", caller_phone: str = "", address: str = "",
    special_groups: Iterable[str] = (), area_unit_id: int | None = None, external_ref: str | None = None,
    lat: float | None = None, lng: float | None = None, details: dict | None = None,
) -> Outcome:
    """Intake (受理): a new order in state received, with its resolve deadline running."""
    text = _text(text, "text", limit=MAX_TEXT)
    order = Order(
        number=number, channel=channel, text=text, category=category, urgency=urgency, received_at=now,
        policy=policy, caller_name=_text(caller_name, "caller_name", False, 100),
        caller_phone=_text(caller_phone, "caller_phone", False, 40), address=_text(address, "address", False, 300),
        special_groups=tuple(sorted(set(special_groups))), area_unit_id=area_unit_id, created_by=actor.user_id or None,
        window_start_at=now, resolve_due_at=clock.add(now, policy.resolve_minutes), external_ref=external_ref,
        lat=checked_coordinate(lat, -90, 90, "lat"), lng=checked_coordinate(lng, -180, 180, "long"), details=dict(details or {}),
    )
    return Outcome(order, [_event("received", actor, now, channel=str(channel), urgency=str(urgency),
                                  category=category, special_groups=list(order.special_groups))])


def checked_coordinate(value: float | None, lo: float, hi: float, field: str) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} 必须是数字 ({field} must be a number)", field=field) from None
    if not (lo <= v <= hi) or v != v:
        raise InvalidInput(f"{field} 超出范围 {lo}…{hi} ({field} out of range)", field=field)
    return v


def dispatch(order: Order, actor: Actor, now: datetime, clock: Clock, lead_unit_id: int,
             co_unit_ids: Iterable[int] = (), note: str | None = None) -> Outcome:
    """派单 to a lead unit (+ co-handling units); accept and feedback deadlines start now."""
    _check(order, actor, "dispatch")
    co = tuple(sorted(set(co_unit_ids) - {lead_unit_id}))
    p = order.policy
    new = order.evolve(
        state=State.DISPATCHED, lead_unit_id=lead_unit_id, co_unit_ids=co, dispatched_at=now,
        accept_due_at=clock.add(now, p.accept_minutes),
        feedback_due_at=clock.add(now, p.feedback_minutes) if p.feedback_minutes else None,
    )
    kind = "redispatched" if order.state == State.RETURNED else "dispatched"
    return Outcome(prune_fired(new, clock), [_event(kind, actor, now, note, lead_unit_id=lead_unit_id,
                                                    co_unit_ids=list(co))])


def direct_reply(order: Order, actor: Actor, now: datetime, answer: str, kb_entry: str | None = None,
                 kb_version: int | None = None) -> Outcome:
    """直接答复: the center answers a consultation itself (with a knowledge-base answer, if
    one was chosen: its id and version go on the timeline) and closes the order."""
    _check(order, actor, "direct_reply")
    answer = _text(answer, "answer", limit=MAX_TEXT)
    new = order.evolve(state=State.CLOSED, closed_at=now, feedback_at=now, resolved=True, fired=frozenset())
    return Outcome(new, [_event("direct_replied", actor, now, answer, kb_entry=kb_entry, kb_version=kb_version),
                         _event("closed", actor, now, None, via="direct_reply")])


def pre_contact(order: Order, actor: Actor, now: datetime, note: str, contacted: str = "caller") -> Outcome:
    """先联: the center (or unit) contacted the caller or unit ahead of dispatch."""
    _check(order, actor, "pre_contact")
    if contacted not in ("caller", "unit"):
        raise InvalidInput("contacted must be caller or unit", field="contacted")
    return Outcome(order, [_event("pre_contacted", actor, now, _text(note, "note"), contacted=contacted)])


def accept(order: Order, actor: Actor, now: datetime, clock: Clock) -> Outcome:
    _check(order, actor, "accept")
    new = order.evolve(state=State.ACCEPTED, accepted_at=now)
    return Outcome(prune_fired(new, clock), [_event("accepted", actor, now)])


def return_order(order: Order, actor: Actor, now: datetime, clock: Clock, reason: str) -> Outcome:
    """退单: the unit says this is not its matter; back to the dispatcher with the reason."""
    _check(order, actor, "return")
    reason = _text(reason, "reason")
    new = order.evolve(
        state=State.RETURNED, lead_unit_id=None, co_unit_ids=(), accepted_at=None, accept_due_at=None,
        feedback_due_at=None, return_count=order.return_count + 1, extension=None,
    )
    return Outcome(prune_fired(new, clock), [_event("returned", actor, now, reason, unit_id=order.lead_unit_id)])


def add_progress(order: Order, actor: Actor, now: datetime, clock: Clock, note: str,
                 attachment_ids: Iterable[int] = ()) -> Outcome:
    _check(order, actor, "progress")
    new = order.evolve(state=State.IN_PROGRESS)
    return Outcome(prune_fired(new, clock), [_event("progress_noted", actor, now, _text(note, "note", limit=MAX_TEXT),
                                                    attachment_ids=list(attachment_ids))])


def submit_feedback(order: Order, actor: Actor, now: datetime, clock: Clock, result: str, resolved: bool,
                    attachment_ids: Iterable[int] = ()) -> Outcome:
    """反馈: the unit reports its result (resolved or not), with attachments."""
    _check(order, actor, "feedback")
    if order.is_paused:
        raise IllegalTransition("计时暂停中的工单请先恢复计时再反馈 (resume the clock before feedback)")
    new = order.evolve(state=State.FEEDBACK_SUBMITTED, feedback_at=now, resolved=bool(resolved), extension=None)
    return Outcome(prune_fired(new, clock), [_event("feedback_submitted", actor, now,
                                                    _text(result, "result", limit=MAX_TEXT), resolved=bool(resolved),
                                                    attachment_ids=list(attachment_ids))])


def record_callback(order: Order, actor: Actor, now: datetime, clock: Clock, satisfaction: Satisfaction,
                    solved: bool, note: str | None = None) -> Outcome:
    """回访: satisfaction and solved/unsolved; unsatisfied and unsolved reopens it to the unit."""
    _check(order, actor, "callback")
    sat = Satisfaction(satisfaction)
    ev = [_event("callback_recorded", actor, now, _text(note, "note", False), satisfaction=str(sat), solved=solved)]
    new = order.evolve(satisfaction=sat, solved=bool(solved), state=State.CALLBACK_DONE)
    if sat == Satisfaction.UNSATISFIED and not solved:
        out = _reopen(new, actor, now, clock, "回访不满意且未解决 (unsatisfied and unsolved at callback)")
        return Outcome(out.order, ev + out.events)
    return Outcome(new, ev)


def reopen(order: Order, actor: Actor, now: datetime, clock: Clock, reason: str) -> Outcome:
    """重办 by a supervisor's decision."""
    _check(order, actor, "reopen")
    return _reopen(order, actor, now, clock, _text(reason, "reason"))


def _reopen(order: Order, actor: Actor, now: datetime, clock: Clock, reason: str) -> Outcome:
    p = order.policy
    new = order.evolve(
        state=State.DISPATCHED, dispatched_at=now, accepted_at=None, feedback_at=None, resolved=None,
        window_start_at=now, resolve_due_at=clock.add(now, p.resolve_minutes),
        accept_due_at=clock.add(now, p.accept_minutes),
        feedback_due_at=clock.add(now, p.feedback_minutes) if p.feedback_minutes else None,
        reopen_count=order.reopen_count + 1,
    )
    return Outcome(prune_fired(new, clock), [_event("reopened", actor, now, reason, lead_unit_id=order.lead_unit_id)])


def close(order: Order, actor: Actor, now: datetime, note: str | None = None) -> Outcome:
    """结案. Without a callback (citizen unreachable, declined) a reason is required."""
    _check(order, actor, "close")
    if order.state == State.FEEDBACK_SUBMITTED:
        note = _text(note, "note")  # closing without callback needs a reason
    new = order.evolve(state=State.CLOSED, closed_at=now, fired=frozenset(), extension=None)
    return Outcome(new, [_event("closed", actor, now, note or None)])


def close_with_parent(child: Order, parent_number: str, actor: Actor, now: datetime) -> Outcome:
    """A merged child closes together with its parent."""
    if child.state != State.MERGED:
        raise IllegalTransition(f"工单 {child.number} 不是被合并的工单 (not a merged order)")
    new = child.evolve(state=State.CLOSED, closed_at=now, fired=frozenset())
    return Outcome(new, [_event("closed", actor, now, None, via="parent", parent=parent_number)])


def request_extension(order: Order, actor: Actor, now: datetime, until: datetime, reason: str) -> Outcome:
    _check(order, actor, "request_extension")
    if order.extension is not None:
        raise IllegalTransition("已有待审批的延期申请 (an extension request is already pending)")
    if order.resolve_due_at is not None and until <= order.resolve_due_at:
        raise InvalidInput("延期后的时限必须晚于当前时限 (the new deadline must be later than the current one)",
                           field="until")
    if until <= now:
        raise InvalidInput("延期后的时限必须在将来 (the new deadline must be in the future)", field="until")
    reason = _text(reason, "reason")
    req = ExtensionRequest(requested_until=until, reason=reason, requested_by=actor.user_id, requested_at=now)
    return Outcome(order.evolve(extension=req), [_event("extension_requested", actor, now, reason,
                                                         until=until.isoformat())])


def decide_extension(order: Order, actor: Actor, now: datetime, clock: Clock, approve: bool,
                     reason: str | None = None, until: datetime | None = None) -> Outcome:
    """A supervisor approves (the resolve deadline moves) or denies (with a reason)."""
    _check(order, actor, "decide_extension")
    req = order.extension
    if req is None:
        raise IllegalTransition("没有待审批的延期申请 (no extension request is pending)")
    if not approve:
        reason = _text(reason, "reason")
        return Outcome(order.evolve(extension=None), [_event("extension_denied", actor, now, reason)])
    new_due = until or req.requested_until
    if new_due <= now:
        raise InvalidInput("批准的时限必须在将来 (the approved deadline must be in the future)", field="until")
    new = order.evolve(extension=None, resolve_due_at=new_due)
    return Outcome(prune_fired(new, clock), [_event("extension_approved", actor, now, reason or None,
                                                    previous=order.resolve_due_at.isoformat() if order.resolve_due_at else None,
                                                    until=new_due.isoformat())])


def pause(order: Order, actor: Actor, now: datetime, clock: Clock, reason: str) -> Outcome:
    """Stop the clock (waiting on the citizen)."""
    _check(order, actor, "pause")
    if order.is_paused:
        raise IllegalTransition("计时已暂停 (the clock is already paused)")
    # The record of fired steps is kept while paused: a deadline that had passed before the
    # pause keeps its key after resume and must not fire again.
    return Outcome(order.evolve(paused_at=now), [_event("paused", actor, now, _text(reason, "reason"))])


def resume(order: Order, actor: Actor, now: datetime, clock: Clock, note: str | None = None) -> Outcome:
    """Restart the clock: every running deadline moves by the time spent paused (on the policy's clock)."""
    _check(order, actor, "resume")
    if not order.is_paused:
        raise IllegalTransition("计时未暂停 (the clock is not paused)")
    assert order.paused_at is not None

    def shift(t: datetime | None) -> datetime | None:
        if t is None:
            return None
        if t <= order.paused_at:  # already passed when the clock stopped: stays where it was
            return t
        remaining = clock.between(order.paused_at, t)
        return clock.add(now, remaining.total_seconds() / 60)

    paused_for = now - order.paused_at
    new = order.evolve(
        paused_at=None, resolve_due_at=shift(order.resolve_due_at), accept_due_at=shift(order.accept_due_at),
        feedback_due_at=shift(order.feedback_due_at),
        window_start_at=(order.window_start_at or order.received_at) + paused_for,
    )
    return Outcome(prune_fired(new, clock), [_event("resumed", actor, now, _text(note, "note", False),
                                                    paused_minutes=round(paused_for.total_seconds() / 60, 1))])


def transfer_to_city(order: Order, actor: Actor, now: datetime, reason: str, city_ref: str | None = None) -> Outcome:
    """流转市级: the matter leaves the district; the order stays, traceable, with the city's reference."""
    _check(order, actor, "transfer")
    new = order.evolve(state=State.TRANSFERRED, closed_at=now, fired=frozenset(), external_ref=city_ref or order.external_ref)
    return Outcome(new, [_event("transferred", actor, now, _text(reason, "reason"), city_ref=city_ref)])


def merge_into(child: Order, parent: Order, actor: Actor, now: datetime, reason: str | None = None) -> tuple[Outcome, Outcome]:
    """合并: the child follows the parent from now on and closes with it."""
    _check(child, actor, "merge")
    if child.id is not None and child.id == parent.id or child.number == parent.number:
        raise InvalidInput("不能把工单合并到它自己 (cannot merge an order into itself)", field="parent")
    if parent.state in TERMINAL or parent.state == State.MERGED:
        raise IllegalTransition(
            f"主工单 {parent.number} 状态为「{STATE_NAMES_ZH[parent.state]}」，不能作为合并目标 (parent must be open)"
        )
    new_child = child.evolve(state=State.MERGED, parent_id=parent.id, fired=frozenset(), extension=None, paused_at=None)
    reason = _text(reason, "reason", False)
    return (
        Outcome(new_child, [_event("merged", actor, now, reason or None, parent=parent.number)]),
        Outcome(parent, [_event("child_merged", actor, now, reason or None, child=child.number)]),
    )


def urge(order: Order, actor: Actor, now: datetime, note: str | None = None) -> Outcome:
    """催办: press the unit; counted, visible, and notified."""
    _check(order, actor, "urge")
    return Outcome(order.evolve(urge_count=order.urge_count + 1),
                   [_event("urged", actor, now, _text(note, "note", False) or None, count=order.urge_count + 1)])


def supervise(order: Order, actor: Actor, now: datetime, on: bool = True, note: str | None = None) -> Outcome:
    """督办: mark (or unmark) for the supervision queue."""
    _check(order, actor, "supervise")
    if order.supervised == on:
        raise IllegalTransition("工单已在督办中" if on else "工单不在督办中")
    return Outcome(order.evolve(supervised=on),
                   [_event("supervised" if on else "unsupervised", actor, now, _text(note, "note", False) or None)])


def handles(order: Order, unit_id: int, is_within) -> bool:
    """Is a unit (or a unit above it in the tree) the lead or a co-handler? ``is_within(child, ancestor)``."""
    ids = [order.lead_unit_id, *order.co_unit_ids]
    return any(u is not None and is_within(u, unit_id) for u in ids)


