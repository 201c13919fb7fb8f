"""Work-order use cases: one function per thing a person or device does, one transaction each.

Every door (HTTP, CLI, MQTT consumer, workers) calls these; none of them knows which door
it came through. Scope: handling roles see and act on orders whose lead or co-handling unit
is their unit or below it; anything else is "not found", so an order's existence does not leak.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

from ...domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from ...domain.orders import lifecycle as lc
from ...domain.orders.clock import Clock
from ...domain.orders.model import Channel, Order, Satisfaction
from ...domain.orders.policy import DeadlinePolicy, Urgency, choose_policy
from ...domain.orders.schedule import next_due
from ...domain.roles import HANDLING_ROLES, REVEAL_ROLES, Actor
from ..ports import UnitOfWork
from . import notices


@dataclass(frozen=True)
class NewOrder:
    text: str
    channel: str = Channel.HOTLINE.value
    urgency: str = Urgency.NORMAL.value
    category: str | None = None
    caller_name: str = ""
    caller_phone: str = ""
    address: str = ""
    special_groups: tuple[str, ...] = ()
    area_unit_code: str | None = None
    dispatch_to: str | None = None            # unit code: dispatch in the same step
    co_units: tuple[str, ...] = ()
    external_ref: str | None = None
    note: str | None = None
    suggestion: dict | None = None  # what triage suggested on the operator's screen, stored beside the choice
    lat: float | None = None
    lng: float | None = None
    details: dict | None = None     # channel extras: contact email, media URL, service attributes
    client_key: str | None = None   # the submitting form's (or API client's) key: one order per (user, key)


def clock_for(uow: UnitOfWork, policy: DeadlinePolicy) -> Clock:
    return Clock(policy.clock, uow.policies.calendar() if policy.clock == "business" else None)


def can_see(uow: UnitOfWork, actor: Actor, order: Order) -> bool:
    if actor.role not in HANDLING_ROLES:
        return True
    return lc.handles(order, actor.unit_id, uow.units.is_within)


def _handles_lead(uow: UnitOfWork, actor: Actor, order: Order) -> bool:
    return order.lead_unit_id is not None and uow.units.is_within(order.lead_unit_id, actor.unit_id)


def load_visible(uow: UnitOfWork, actor: Actor, number: str, lock: bool = False) -> Order:
    order = uow.orders.get(number, lock=lock)
    if order is None or not can_see(uow, actor, order):
        raise NotFound(f"工单 {number} 不存在或不在您的权限范围内 (order {number} not found)", field="number")
    return order


def _unit_id(uow: UnitOfWork, code: str | int, field_: str) -> int:
    unit = uow.units.get(code) if isinstance(code, int) else uow.units.by_code(code)
    if unit is None or not unit.active:
        raise NotFound(f"单位 {code} 不存在 (unknown unit {code!r})", field=field_)
    return unit.id


def _persist(uow: UnitOfWork, out: lc.Outcome, clock: Clock, now: datetime) -> Order:
    saved = uow.orders.save(out.order, next_due(out.order, clock), now)
    _record(uow, saved, out.events)
    return saved


def _record(uow: UnitOfWork, order: Order, events) -> None:
    uow.orders.add_events((order.id, e) for e in events)
    lead = uow.units.get(order.lead_unit_id) if order.lead_unit_id else None
    inapp, out = notices.for_events(order, list(events), lead, uow.units.center())
    uow.notices.inapp(inapp)
    uow.notices.outbox(out)


def _act(uow: UnitOfWork, actor: Actor, number: str, now: datetime,
         step: Callable[[Order, Clock], lc.Outcome], *, unit_action: bool = False, co_ok: bool = False,
         attachment_ids: Iterable[int] = ()) -> Order:
    with uow:
        order = load_visible(uow, actor, number, lock=True)
        if attachment_ids:
            _check_attachments(uow, order.id, attachment_ids)
        if unit_action and actor.role in HANDLING_ROLES and not _handles_lead(uow, actor, order):
            if not (co_ok and can_see(uow, actor, order)):
                raise NotAllowed(f"只有主办单位可以办理工单 {number} (only the lead unit may do this)")
        clock = clock_for(uow, order.policy)
        saved = _persist(uow, step(order, clock), clock, now)
        uow.commit()
        return saved


def _check_attachments(uow: UnitOfWork, order_id: int, ids: Iterable[int]) -> None:
    wanted = set(ids)
    missing = sorted(wanted - uow.attachments.ids_of(order_id))
    if missing:
        raise InvalidInput(f"附件 {missing} 不属于该工单 (attachments not on this order)", field="attachment_ids")


def _area_of(uow: UnitOfWork, address: str, lat: float | None = None, lng: float | None = None) -> int | None:
    """The committee an address (or a point) resolves to in the gazetteer, when it is clear."""
    point = (lng, lat) if lat is not None and lng is not None else None
    if not address.strip() and point is None:
        return None
    r = uow.gazetteer.gazetteer().resolve(address, point=point)
    if r.committee_code is None or r.ambiguous or r.confidence < 0.6:
        return None
    unit = uow.units.by_code(r.committee_code)
    return unit.id if unit else None


# ---------------------------------------------------------------- intake

MAX_CLIENT_KEY = 64


def checked_client_key(key: str | None) -> str | None:
    """An intake key (hidden form field, Idempotency-Key header): 1-64 printable ASCII characters."""
    if key is None or not key.strip():
        return None
    key = key.strip()
    if len(key) > MAX_CLIENT_KEY or not all(33 <= ord(ch) < 127 for ch in key):
        raise InvalidInput(f"受理密钥须为 1-{MAX_CLIENT_KEY} 个可打印 ASCII 字符 "
                           f"(the intake key must be 1-{MAX_CLIENT_KEY} printable ASCII characters)", field="client_key")
    return key


def _order_of_key(uow: UnitOfWork, actor: Actor, key: str) -> Order | None:
    order_id = uow.orders.intake_key_order(actor.user_id, key)
    return uow.orders.get_by_id(order_id) if order_id is not None else None


def create_order(uow: UnitOfWork, actor: Actor, cmd: NewOrder, now: datetime) -> Order:
    """受理: a new order from any channel (optionally dispatched in the same step).

    With a ``client_key`` the same user gets at most one order per key: a double click, a
    resent form or a retried API call returns the order the first submission created. The key
    row is written in the order's own transaction; two concurrent submissions meet on its
    primary key, and the loser's transaction (order row included) is rolled back.
    """
    if actor.role in HANDLING_ROLES and cmd.channel != Channel.PATROL.value:
        raise NotAllowed("承办单位只能上报巡查工单 (handling units may only file patrol reports)")
    try:
        channel = Channel(cmd.channel)
    except ValueError:
        raise InvalidInput(f"未知渠道 {cmd.channel!r} (unknown channel; one of {[c.value for c in Channel]})",
                           field="channel") from None
    try:
        urgency = Urgency(cmd.urgency)
    except ValueError:
        raise InvalidInput(f"未知紧急程度 {cmd.urgency!r} (urgency must be critical, urgent or normal)",
                           field="urgency") from None
    lc.checked_text(cmd.text, "text", limit=lc.MAX_TEXT)  # refuse before a number is taken
    lc.checked_coordinate(cmd.lat, -90, 90, "lat")
    lc.checked_coordinate(cmd.lng, -180, 180, "long")
    key = checked_client_key(cmd.client_key)
    with uow:
        if key is not None:
            done = _order_of_key(uow, actor, key)
            if done is not None:
                return done
        if cmd.category is not None and not uow.catalog.category_exists(cmd.category):
            raise NotFound(f"未知类别 {cmd.category!r} (unknown category)", field="category")
        unknown = set(cmd.special_groups) - uow.catalog.special_group_codes()
        if unknown:
            raise NotFound(f"未知特殊群体 {sorted(unknown)} (unknown special group)", field="special_groups")
        area = _unit_id(uow, cmd.area_unit_code, "area_unit") if cmd.area_unit_code else \
            _area_of(uow, cmd.address, cmd.lat, cmd.lng)
        lead = _unit_id(uow, cmd.dispatch_to, "dispatch_to") if cmd.dispatch_to else None
        co = [_unit_id(uow, c, "co_units") for c in cmd.co_units]
        # The day's counter row is locked only for this short transaction, not for the whole intake.
        number = uow.orders.next_number(now, uow.policies.calendar().tz)
        uow.commit()
    with uow:
        policy = choose_policy(uow.policies.all(), uow.policies.mode(), urgency, cmd.category)
        clock = clock_for(uow, policy)
        out = lc.receive(number=number, channel=channel, text=cmd.text, urgency=urgency, category=cmd.category,
                         policy=policy, clock=clock, actor=actor, now=now, caller_name=cmd.caller_name,
                         caller_phone=cmd.caller_phone, address=cmd.address, special_groups=cmd.special_groups,
                         area_unit_id=area, external_ref=cmd.external_ref, lat=cmd.lat, lng=cmd.lng,
                         details=cmd.details)
        order = uow.orders.add(out.order, next_due(out.order, clock), now)
        if key is None or uow.orders.claim_intake_key(actor.user_id, key, order.id, now):
            _record(uow, order, out.events)
            if cmd.suggestion:
                uow.triage.record(order.id, cmd.suggestion, order.category, str(order.urgency), order.special_groups,
                                  now)
            if lead is not None:
                order = _persist(uow, lc.dispatch(order, actor, now, clock, lead, co, cmd.note), clock, now)
            uow.commit()
            return order
        # A concurrent submission with the same key committed first: leaving without commit rolls
        # this order back (its number stays unused), and the winner's order is the answer.
    with uow:
        winner = _order_of_key(uow, actor, key)
    if winner is None:
        raise Conflict("同一受理密钥的工单正在创建，请稍后刷新 (an order with this intake key is being created; retry)")
    return winner


def dispatch_order(uow: UnitOfWork, actor: Actor, number: str, lead_unit: str, co_units: Iterable[str],
                   now: datetime, note: str | None = None) -> Order:
    with uow:
        lead = _unit_id(uow, lead_unit, "lead_unit")
        co = [_unit_id(uow, c, "co_units") for c in co_units]
    return _act(uow, actor, number, now, lambda o, c: lc.dispatch(o, actor, now, c, lead, co, note))


def direct_reply(uow: UnitOfWork, actor: Actor, number: str, answer: str, now: datetime,
                 kb_entry: str | None = None) -> Order:
    """直接答复, optionally with a knowledge-base answer, which must be valid now."""
    version = None
    if kb_entry:
        with uow:
            entry = uow.kb.latest(kb_entry)
            if entry is None or not entry.is_valid_at(now):
                raise InvalidInput(f"口径 {kb_entry} 不存在或已失效 (knowledge-base entry unknown or expired)",
                                   field="kb_entry")
            version = entry.version
    return _act(uow, actor, number, now, lambda o, c: lc.direct_reply(o, actor, now, answer, kb_entry, version))


def pre_contact(uow: UnitOfWork, actor: Actor, number: str, note: str, now: datetime, contacted: str = "caller") -> Order:
    return _act(uow, actor, number, now, lambda o, c: lc.pre_contact(o, actor, now, note, contacted),
                unit_action=True, co_ok=True)


def accept_order(uow: UnitOfWork, actor: Actor, number: str, now: datetime) -> Order:
    return _act(uow, actor, number, now, lambda o, c: lc.accept(o, actor, now, c), unit_action=True)


def return_order(uow: UnitOfWork, actor: Actor, number: str, reason: str, now: datetime) -> Order:
    return _act(uow, actor, number, now, lambda o, c: lc.return_order(o, actor, now, c, reason), unit_action=True)


def add_progress(uow: UnitOfWork, actor: Actor, number: str, note: str, now: datetime,
                 attachment_ids: Iterable[int] = ()) -> Order:
    ids = list(attachment_ids)
    return _act(uow, actor, number, now, lambda o, c: lc.add_progress(o, actor, now, c, note, ids),
                unit_action=True, co_ok=True, attachment_ids=ids)


def submit_feedback(uow: UnitOfWork, actor: Actor, number: str, result: str, resolved: bool, now: datetime,
                    attachment_ids: Iterable[int] = ()) -> Order:
    ids = list(attachment_ids)
    return _act(uow, actor, number, now, lambda o, c: lc.submit_feedback(o, actor, now, c, result, resolved, ids),
                unit_action=True, attachment_ids=ids)


def record_callback(uow: UnitOfWork, actor: Actor, number: str, satisfaction: str, solved: bool, now: datetime,
                    note: str | None = None) -> Order:
    try:
        sat = Satisfaction(satisfaction)
    except ValueError:
        raise InvalidInput("satisfaction 必须是 satisfied / basically_satisfied / unsatisfied",
                           field="satisfaction") from None
    return _act(uow, actor, number, now, lambda o, c: lc.record_callback(o, actor, now, c, sat, solved, note))


def reopen_order(uow: UnitOfWork, actor: Actor, number: str, reason: str, now: datetime) -> Order:
    return _act(uow, actor, number, now, lambda o, c: lc.reopen(o, actor, now, c, reason))


def close_order(uow: UnitOfWork, actor: Actor, number: str, now: datetime, note: str | None = None) -> Order:
    """结案; merged children close with their parent, in the same transaction."""
    with uow:
        order = load_visible(uow, actor, number, lock=True)
        clock = clock_for(uow, order.policy)
        saved = _persist(uow, lc.close(order, actor, now, note), clock, now)
        for child in uow.orders.children(saved.id):
            if child.state == "merged":
                _persist(uow, lc.close_with_parent(child, saved.number, actor, now), clock_for(uow, child.policy), now)
        uow.commit()
        return saved


def request_extension(uow: UnitOfWork, actor: Actor, number: str, until: datetime, reason: str, now: datetime) -> Order:
    return _act(uow, actor, number, now, lambda o, c: lc.request_extension(o, actor, now, until, reason),
                unit_action=True)


def decide_extension(uow: UnitOfWork, actor: Actor, number: str, approve: bool, now: datetime,
                     reason: str | None = None, until: datetime | None = None) -> Order:
    return _act(uow, actor, number, now, lambda o, c: lc.decide_extension(o, actor, now, c, approve, reason, until))


def pause_clock(uow: UnitOfWork, actor: Actor, number: str, reason: str, now: datetime) -> Order:
    return _act(uow, actor, number, now, lambda o, c: lc.pause(o, actor, now, c, reason), unit_action=True)


def resume_clock(uow: UnitOfWork, actor: Actor, number: str, now: datetime, note: str | None = None) -> Order:
    return _act(uow, actor, number, now, lambda o, c: lc.resume(o, actor, now, c, note), unit_action=True)


def transfer_to_city(uow: UnitOfWork, actor: Actor, number: str, reason: str, now: datetime,
                     city_ref: str | None = None) -> Order:
    return _act(uow, actor, number, now, lambda o, c: lc.transfer_to_city(o, actor, now, reason, city_ref))


def merge_many(uow: UnitOfWork, actor: Actor, parent_number: str, child_numbers: Iterable[str], now: datetime,
               reason: str | None = None) -> list[Order]:
    """Handle a hot spot as one parent order: merge each child into it (each its own step)."""
    children = [n for n in dict.fromkeys(child_numbers) if n != parent_number]
    if not children:
        raise InvalidInput("没有要合并的工单 (no orders to merge)", field="children")
    return [merge_orders(uow, actor, n, parent_number, now, reason) for n in children]


def merge_orders(uow: UnitOfWork, actor: Actor, child_number: str, parent_number: str, now: datetime,
                 reason: str | None = None) -> Order:
    """合并 a duplicate into a parent order; the child's own children move to the parent."""
    with uow:
        child = load_visible(uow, actor, child_number, lock=True)
        parent = load_visible(uow, actor, parent_number, lock=True)
        out_child, out_parent = lc.merge_into(child, parent, actor, now, reason)
        saved = _persist(uow, out_child, clock_for(uow, child.policy), now)
        _record(uow, parent, out_parent.events)
        for grandchild in uow.orders.children(child.id):
            moved = grandchild.evolve(parent_id=parent.id)
            uow.orders.save(moved, None, now)
        uow.commit()
        return saved


def urge_order(uow: UnitOfWork, actor: Actor, number: str, now: datetime, note: str | None = None) -> Order:
    return _act(uow, actor, number, now, lambda o, c: lc.urge(o, actor, now, note))


def supervise_order(uow: UnitOfWork, actor: Actor, number: str, now: datetime, on: bool = True,
                    note: str | None = None) -> Order:
    return _act(uow, actor, number, now, lambda o, c: lc.supervise(o, actor, now, on, note))


def reveal_caller(uow: UnitOfWork, actor: Actor, number: str, now: datetime, purpose: str = "") -> dict[str, str]:
    """The caller's full name and phone, for roles that need them; every reveal is audited."""
    if actor.role not in REVEAL_ROLES:
        raise NotAllowed(f"角色「{actor.role}」不能查看完整个人信息 (role may not reveal personal data)")
    with uow:
        order = load_visible(uow, actor, number)
        uow.audit.add(now, actor.user_id, "reveal_caller", "order", order.number,
                      {"purpose": purpose[:200], "role": str(actor.role), "unit_id": actor.unit_id})
        uow.commit()
    return {"caller_name": order.caller_name, "caller_phone": order.caller_phone}
