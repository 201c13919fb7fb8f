"""Member assignment (派给队员): an order that went to a team is given to one member — chosen
by the leader or by the system (the on-duty member who covers the place and is least loaded) —
who accepts within the team's deadline (or it escalates to the leader), arrives, and resolves
with a photo and a note. Every step is an event on the order's timeline, written with the
order's own event mechanism in the same transaction as the assignment row.
"""
from __future__ import annotations

from dataclasses import replace as dc_replace
from datetime import datetime, timedelta
from typing import Any, Iterable

from ...domain.duty import assignment as da
from ...domain.duty.area import km_between
from ...domain.duty.assignment import AState, Assignment
from ...domain.duty.roster import LEAVE, WORK
from ...domain.duty.suggest import Candidate, rank, skill_for
from ...domain.errors import Conflict, IllegalTransition, InvalidInput, NotAllowed, NotFound
from ...domain.orders import lifecycle as lc
from ...domain.orders.model import Order, State
from ...domain.org import Unit
from ...domain.roles import Actor, Role
from ..orders import usecases as order_uc
from ..orders.notices import URGENCY_ZH
from .common import can_manage, managed_team, member_of, readable_team, team_of
from .ports import DutyUnitOfWork

WITH_TEAM = (State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS)
ARRIVED_NOTE = "已到场"  # the field page's arrival note, so both doors read the same on the timeline
SYSTEM_DUTY = Actor(user_id=0, username="system", role=Role.SUPERVISOR, unit_id=0, display_name="系统派单")


# ------------------------------------------------------------------------------------ helpers

def _order_team(uow: DutyUnitOfWork, order: Order, team_code: str | None) -> Unit:
    """The team the order is with: the lead unit, or a co-handling unit when named."""
    candidates = [order.lead_unit_id, *order.co_unit_ids]
    if team_code:
        unit = uow.units.by_code(team_code)
        if unit is None or unit.id not in candidates:
            raise InvalidInput(f"工单 {order.number} 未派给 {team_code} (the order is not with this team)", field="team")
        return unit
    for uid in candidates:
        if uid and uow.duty.team(uid) is not None:
            return uow.units.get(uid)
    raise InvalidInput(f"工单 {order.number} 未派给任何队伍，请先派单给队伍 (dispatch the order to a team first)",
                       field="team")


def _place(uow: DutyUnitOfWork, order: Order) -> tuple[set[int], tuple[float, float] | None]:
    units: set[int] = set()
    if order.area_unit_id:
        units.add(order.area_unit_id)
    point = (order.lng, order.lat) if order.lat is not None and order.lng is not None else None
    if point is not None:
        for e in uow.gazetteer.gazetteer().locate(*point):
            u = uow.units.by_code(e.committee_code)
            if u:
                units.add(u.id)
    return units, point


def _candidates(uow: DutyUnitOfWork, order: Order, unit: Unit, now: datetime) -> tuple[list[Candidate], dict, bool]:
    team = team_of(uow, unit)
    members = uow.duty.members(unit.id)
    ids = [m.user_id for m in members]
    slots = uow.duty.shifts_of_users(ids, now - timedelta(seconds=1), now + timedelta(seconds=1))
    loads = uow.duty.active_counts(ids)
    place_units, point = _place(uow, order)
    place_known = bool(place_units) or point is not None
    by_user: dict[int, list] = {}
    for s in slots:
        if s.covers(now):
            by_user.setdefault(s.user_id, []).append(s)
    out = []
    for m in members:
        mine = by_user.get(m.user_id, ())
        leave = any(s.kind == LEAVE for s in mine)
        shift = next((s for s in mine if s.kind == WORK), None)
        area = m.area_or(team)
        covers = True if (not place_known or area.empty) else area.covers(place_units, point, uow.units.is_within)
        dist = km_between(m.point, point) if (m.point is not None and point is not None) else None
        out.append(Candidate(user_id=m.user_id, name=m.extra.get("display_name") or m.extra.get("username") or "",
                             on_duty=shift is not None and not leave, covers=covers, load=loads.get(m.user_id, 0),
                             skills=frozenset(m.skills), distance_km=dist,
                             shift_ends_at=shift.ends_at if shift else None, on_leave=leave))
    return out, {m.user_id: m for m in members}, place_known


def _notice_member(order: Order, a: Assignment, title: str, body: str, now: datetime, user: dict, tag: str) -> tuple[list, list]:
    subject = f"[{URGENCY_ZH.get(str(order.urgency), '')}] {title} · 工单 {order.number}"
    text = order.text if len(order.text) <= 80 else order.text[:80] + "…"
    full = f"{text}\n{body}".strip()
    inapp = [dict(user_id=a.user_id, order_id=order.id, kind=f"member_{tag}", title=subject, body=full,
                  created_at=now, dedup_key=f"duty:{a.id}:{tag}")]
    out = []
    if user.get("phone"):
        out.append(dict(channel="sms", recipient=user["phone"], subject=subject, body=full, order_id=order.id,
                        created_at=now, dedup_key=f"duty:{a.id}:{tag}:sms"))
    return inapp, out


def _write(uow: DutyUnitOfWork, order: Order, events, inapp=(), out=()) -> None:
    order_uc._record(uow, order, list(events))
    uow.notices.inapp(list(inapp))
    uow.notices.outbox(list(out))


def assignment_out(a: Assignment, names: dict[int, str], order: dict | None = None) -> dict[str, Any]:
    return {"id": a.id, "order_id": a.order_id, "order": order, "user_id": a.user_id,
            "member": names.get(a.user_id, ""), "state": str(a.state), "state_name": da.STATE_ZH[a.state],
            "assigned_at": a.assigned_at.isoformat(), "accept_due_at": a.accept_due_at.isoformat(),
            "accepted_at": a.accepted_at.isoformat() if a.accepted_at else None,
            "arrived_at": a.arrived_at.isoformat() if a.arrived_at else None,
            "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
            "escalated": a.escalated_at is not None, "outside_area": a.outside_area, "warnings": list(a.warnings),
            "note": a.note}


# ------------------------------------------------------------------------------------ suggest and assign

def suggest(uow: DutyUnitOfWork, actor: Actor, number: str, now: datetime, team_code: str | None = None) -> dict:
    """Every member of the order's team ranked for it, with the reasons; ``best`` is the pick."""
    with uow:
        order = order_uc.load_visible(uow, actor, number)
        unit = _order_team(uow, order, team_code)
        readable_team(uow, actor, unit.code)
        cands, _members, place_known = _candidates(uow, order, unit, now)
    skill = skill_for(order.category)
    ranked = rank(cands, now, skill)
    top = ranked[0] if ranked and ranked[0].eligible else None
    return {"order": order.number, "team": unit.code, "skill": skill, "place_known": place_known,
            "best": top.to_dict() if top else None, "ranked": [r.to_dict() for r in ranked],
            "warnings": ([] if top else ["队伍当前无人在岗 (nobody of the team is on duty now)"])
            + ([] if place_known else ["工单没有可识别的地点，未按区域筛选 (the order has no known place)"])}


def assign(uow: DutyUnitOfWork, actor: Actor | None, number: str, now: datetime, *, username: str | None = None,
           team_code: str | None = None, note: str = "", replace_active: bool = False) -> dict:
    """Give the order to a member (``username``), or to the system's pick when none is named.
    A member outside the area, off duty or on leave is allowed when named (the leader knows
    best) and the assignment carries that warning; the system only picks members on duty."""
    by = actor or SYSTEM_DUTY
    note = (note or "").strip()[:1000]
    with uow:
        order = order_uc.load_visible(uow, by, number, lock=True)
        if order.state not in WITH_TEAM:
            raise IllegalTransition(f"工单 {number} 当前状态为「{lc.STATE_NAMES_ZH[order.state]}」，不能派给队员 "
                                    f"(only dispatched, accepted or in-progress orders can go to a member)")
        unit = _order_team(uow, order, team_code)
        if actor is not None and not can_manage(uow, actor, unit):
            raise NotAllowed("只有队长、上级单位或中心可以派给队员 (only the team leader, a unit above it or the "
                             "center may assign)")
        team = team_of(uow, unit)
        cands, members, _known = _candidates(uow, order, unit, now)
        ranked = rank(cands, now, skill_for(order.category))
        if username:
            user, _m = member_of(uow, unit, username)
            pick = next(r for r in ranked if r.candidate.user_id == user["id"])
        else:
            pick = ranked[0] if ranked and ranked[0].eligible else None
            if pick is None:
                raise Conflict(f"{unit.name} 当前无人在岗，系统无法自动派给队员，请指定队员或调整排班 "
                               f"(nobody of the team is on duty; name a member)")
            user = uow.duty.user(user_id=pick.candidate.user_id)
        warnings = list(pick.warnings)
        c = pick.candidate
        if c.on_leave:
            warnings.append("该队员正在请假 (the member is on leave)")
        elif not c.on_duty:
            warnings.append("该队员当前不在班 (the member is off duty)")
        active = [a for a in uow.duty.assignments_of_order(order.id) if a.active]
        if any(a.user_id == user["id"] for a in active):
            raise Conflict(f"工单 {number} 已派给 {user['display_name'] or user['username']} (already assigned to them)")
        events, inapp, out = [], [], []
        previous = None
        for a in active:
            if not replace_active:
                raise Conflict(f"工单 {number} 已派给其他队员，如需改派请选择「改派」(already assigned to another member; "
                               f"pass replace to reassign)")
            ended, ev = da.end(a, now, AState.REASSIGNED, by.user_id, by.unit_id, note or None,
                               to_member_id=user["id"])
            uow.duty.save_assignment(ended, now)
            events.append(ev)
            previous = a.id
        a, ev = da.assign(order.id, unit.id, user["id"], now, da.accept_window(team.accept_minutes, str(order.urgency)),
                          by.user_id, by.unit_id, member_name=user["display_name"] or user["username"],
                          outside_area=not c.covers, warnings=tuple(warnings), note=note, previous_id=previous)
        a = uow.duty.add_assignment(a, now)
        ev = dc_replace(ev, data={**ev.data, "assignment_id": a.id,
                                  "by": "system" if actor is None or not username else "leader"})
        events.append(ev)
        i, o = _notice_member(order, a, "新派单，请接单", f"请在 {a.accept_due_at.isoformat(timespec='minutes')} 前接单",
                              now, user, "assigned")
        _write(uow, order, events, inapp + i, out + o)
        uow.commit()
        names = {user["id"]: user["display_name"] or user["username"]}
    return assignment_out(a, names, {"number": order.number})


def auto_assign(uow: DutyUnitOfWork, number: str, now: datetime, team_code: str | None = None) -> dict:
    """The system's assignment (no person acting): the top suggestion, on duty only."""
    return assign(uow, None, number, now, team_code=team_code)


# ------------------------------------------------------------------------------------ the member's steps

def _my_active(uow: DutyUnitOfWork, actor: Actor, order: Order) -> Assignment | None:
    return next((a for a in uow.duty.assignments_of_order(order.id) if a.active and a.user_id == actor.user_id), None)


def _order_step(uow: DutyUnitOfWork, actor: Actor, order: Order, action: str, now: datetime, step) -> Order:
    """Move the order too when the member may (lead unit, allowed now); else leave it be."""
    handles = order.lead_unit_id is not None and uow.units.is_within(order.lead_unit_id, actor.unit_id)
    co = lc.handles(order, actor.unit_id, uow.units.is_within)
    if action not in lc.allowed_actions(order, actor, handles or (action == "progress" and co)):
        return order
    clock = order_uc.clock_for(uow, order.policy)
    return order_uc._persist(uow, step(order, clock), clock, now)


def accept(uow: DutyUnitOfWork, actor: Actor, assignment_id: int, now: datetime) -> dict:
    """接单: the member takes it; a dispatched order is accepted for the team in the same step."""
    with uow:
        a = uow.duty.assignment(assignment_id)
        if a is None or a.user_id != actor.user_id:
            raise NotFound(f"派单 {assignment_id} 不存在 (assignment not found)", field="assignment")
        order = uow.orders.get_by_id(a.order_id)
        new, ev = da.accept(a, now)
        uow.duty.save_assignment(new, now)
        _write(uow, order, [ev])
        if order.state == State.DISPATCHED:
            order = _order_step(uow, actor, order, "accept", now, lambda o, c: lc.accept(o, actor, now, c))
        uow.commit()
        names = uow.duty.user_names([a.user_id])
    return assignment_out(new, names, {"number": order.number, "state": str(order.state)})


def decline(uow: DutyUnitOfWork, actor: Actor, assignment_id: int, reason: str, now: datetime) -> dict:
    """The member cannot take it (with a reason): back to the leader, who assigns someone else."""
    with uow:
        a = uow.duty.assignment(assignment_id)
        if a is None or a.user_id != actor.user_id:
            raise NotFound(f"派单 {assignment_id} 不存在 (assignment not found)", field="assignment")
        order = uow.orders.get_by_id(a.order_id)
        new, ev = da.decline(a, now, reason)
        uow.duty.save_assignment(new, now)
        unit = uow.units.get(a.team_unit_id)
        _write(uow, order, [ev], [dict(unit_id=unit.id, order_id=order.id, kind="member_declined",
                                       title=f"队员拒绝派单，请改派 · 工单 {order.number}",
                                       body=f"{actor.display_name or actor.username}：{ev.reason}",
                                       created_at=now, dedup_key=f"duty:{a.id}:declined")])
        uow.commit()
        names = uow.duty.user_names([a.user_id])
    return assignment_out(new, names, {"number": order.number})


def _checked_attachments(uow: DutyUnitOfWork, order: Order, ids: Iterable[int]) -> list[int]:
    ids = list(ids)
    missing = sorted(set(ids) - uow.attachments.ids_of(order.id))
    if missing:
        raise InvalidInput(f"附件 {missing} 不属于该工单 (attachments not on this order)", field="attachment_ids")
    return ids


def arrive(uow: DutyUnitOfWork, actor: Actor, number: str, now: datetime, note: str = "",
           attachment_ids: Iterable[int] = ()) -> Order:
    """到场: with the member's assignment (if any) and the order's progress note, in one step."""
    note = (note or "").strip()[:900]
    text = ARRIVED_NOTE + (f"：{note}" if note else "")
    with uow:
        order = order_uc.load_visible(uow, actor, number, lock=True)
        a = _my_active(uow, actor, order)
        if a is None:
            mine = None
        else:
            ids = _checked_attachments(uow, order, attachment_ids)
            if order.state == State.DISPATCHED:
                new, ev = da.accept(a, now)
                a = uow.duty.save_assignment(new, now)
                _write(uow, order, [ev])
                order = _order_step(uow, actor, order, "accept", now, lambda o, c: lc.accept(o, actor, now, c))
            mine, ev = da.arrive(a, now, note)
            uow.duty.save_assignment(mine, now)
            _write(uow, order, [ev])
            order = _order_step(uow, actor, order, "progress", now,
                                lambda o, c: lc.add_progress(o, actor, now, c, text, ids))
            uow.commit()
    if mine is None:  # no assignment of mine: the plain order step, as before
        return order_uc.add_progress(uow, actor, number, text, now, attachment_ids)
    return order


def resolve(uow: DutyUnitOfWork, actor: Actor, number: str, result: str, resolved: bool, now: datetime,
            attachment_ids: Iterable[int] = ()) -> Order:
    """处置完成: the member's assignment ends and the team's feedback goes in (lead unit), or a
    progress note (co-handling team), in one step."""
    result = lc.checked_text(result, "result", limit=lc.MAX_TEXT)
    with uow:
        order = order_uc.load_visible(uow, actor, number, lock=True)
        a = _my_active(uow, actor, order)
        if a is not None:
            ids = _checked_attachments(uow, order, attachment_ids)
            new, ev = da.resolve(a, now, result, resolved)
            uow.duty.save_assignment(new, now)
            _write(uow, order, [ev])
            handles = order.lead_unit_id is not None and uow.units.is_within(order.lead_unit_id, actor.unit_id)
            if handles:
                if "feedback" not in lc.allowed_actions(order, actor, True):
                    raise IllegalTransition(f"工单 {number} 当前状态为「{lc.STATE_NAMES_ZH[order.state]}」，不能反馈 "
                                            f"(cannot report back on an order that is {order.state})")
                clock = order_uc.clock_for(uow, order.policy)
                order = order_uc._persist(uow, lc.submit_feedback(order, actor, now, clock, result, resolved, ids),
                                          clock, now)
            else:
                order = _order_step(uow, actor, order, "progress", now,
                                    lambda o, c: lc.add_progress(o, actor, now, c, result, ids))
            uow.commit()
            return order
    return order_uc.submit_feedback(uow, actor, number, result, resolved, now, attachment_ids)


# ------------------------------------------------------------------------------------ reading

def my_assignments(uow: DutyUnitOfWork, actor: Actor) -> list[dict]:
    with uow:
        mine = uow.duty.active_of_user(actor.user_id)
        orders = uow.duty.order_numbers(a.order_id for a in mine)
        names = uow.duty.user_names([actor.user_id])
    order_rank = {AState.ASSIGNED: 0, AState.ACCEPTED: 1, AState.ARRIVED: 2}
    mine.sort(key=lambda a: (order_rank.get(a.state, 3), a.accept_due_at))
    return [assignment_out(a, names, orders.get(a.order_id)) for a in mine]


def order_assignments(uow: DutyUnitOfWork, actor: Actor, number: str) -> list[dict]:
    with uow:
        order = order_uc.load_visible(uow, actor, number)
        items = uow.duty.assignments_of_order(order.id)
        names = uow.duty.user_names(a.user_id for a in items)
    return [assignment_out(a, names) for a in items]


def team_unassigned(uow: DutyUnitOfWork, actor: Actor, team_code: str, now: datetime, limit: int = 50) -> list[dict]:
    """Open orders with the team that nobody of it holds yet, each with the top suggestion."""
    with uow:
        unit = readable_team(uow, actor, team_code)
        ids = uow.duty.team_orders_unassigned(unit.id, [str(s) for s in WITH_TEAM], limit)
        rows = uow.duty.order_numbers(ids)
        out = []
        for oid in ids:
            order = uow.orders.get_by_id(oid)
            cands, _m, _k = _candidates(uow, order, unit, now)
            ranked = rank(cands, now, skill_for(order.category))
            top = ranked[0] if ranked and ranked[0].eligible else None
            out.append({**rows[oid], "best": top.to_dict() if top else None,
                        "ranked": [r.to_dict() for r in ranked[:5]]})
    return out


# ------------------------------------------------------------------------------------ handover

def handover_list(uow: DutyUnitOfWork, actor: Actor, team_code: str, now: datetime,
                  within: timedelta = timedelta(hours=1)) -> dict:
    """At a shift change: every member going off (shift ended, or ending within ``within``) who
    holds open assignments, with those assignments; and who is on (or coming on) to take them."""
    with uow:
        unit = readable_team(uow, actor, team_code)
        members = uow.duty.members(unit.id)
        ids = [m.user_id for m in members]
        slots = uow.duty.shifts_of_users(ids, now - timedelta(seconds=1), now + within)
        active = uow.duty.active_of_team(unit.id)
        orders = uow.duty.order_numbers(a.order_id for a in active)
        names = {m.user_id: m.extra.get("display_name") or m.extra.get("username") for m in members}
        usernames = {m.user_id: m.extra.get("username") for m in members}
    leaving, incoming = [], []
    for m in members:
        mine = [s for s in slots if s.user_id == m.user_id]
        now_shift = next((s for s in mine if s.kind == WORK and s.covers(now)), None)
        away = any(s.kind == LEAVE and s.covers(now) for s in mine)
        next_start = min((s.starts_at for s in mine if s.kind == WORK and s.starts_at > now), default=None)
        held = [a for a in active if a.user_id == m.user_id]
        on = now_shift is not None and not away
        going = (not on) or (now_shift is not None and now_shift.ends_at <= now + within and not any(
            s.kind == WORK and s.starts_at <= now_shift.ends_at < s.ends_at and s.id != now_shift.id for s in mine))
        if held and going:
            leaving.append({"user_id": m.user_id, "username": usernames[m.user_id], "name": names[m.user_id],
                            "shift_ends_at": now_shift.ends_at.isoformat() if now_shift else None,
                            "assignments": [assignment_out(a, names, orders.get(a.order_id)) for a in held]})
        if (on and not going) or (next_start is not None and not away):
            incoming.append({"user_id": m.user_id, "username": usernames[m.user_id], "name": names[m.user_id],
                             "on_now": on, "starts_at": next_start.isoformat() if next_start and not on else None,
                             "open_assignments": len(held)})
    return {"team": unit.code, "leaving": leaving, "incoming": incoming}


def handover(uow: DutyUnitOfWork, actor: Actor | None, team_code: str, from_username: str, to_username: str,
             assignment_ids: Iterable[int], now: datetime, note: str = "") -> dict:
    """交接班: the named open assignments of the leaving member go to the incoming one, each
    explicitly (a new assignment the incoming member accepts); anything not named stays with
    the leaving member and keeps being listed — nothing is dropped."""
    ids = list(dict.fromkeys(int(i) for i in assignment_ids))
    if not ids:
        raise InvalidInput("请选择要交接的工单 (choose the assignments to hand over)", field="assignment_ids")
    note = (note or "").strip()[:1000]
    moved = []
    with uow:
        unit = managed_team(uow, actor, team_code) if actor is None or actor.username != from_username \
            else readable_team(uow, actor, team_code)
        src, _m1 = member_of(uow, unit, from_username, "from")
        dst, _m2 = member_of(uow, unit, to_username, "to")
        if src["id"] == dst["id"]:
            raise InvalidInput("交接双方不能是同一人 (hand over to someone else)", field="to")
        team = team_of(uow, unit)
        by = actor or SYSTEM_DUTY
        for aid in ids:
            a = uow.duty.assignment(aid)
            if a is None or a.user_id != src["id"] or a.team_unit_id != unit.id:
                raise InvalidInput(f"派单 {aid} 不是 {from_username} 在本队的派单 (not an assignment of {from_username})",
                                   field="assignment_ids")
            if not a.active:
                raise Conflict(f"派单 {aid} 已结束（{da.STATE_ZH[a.state]}） (assignment {aid} is no longer open)")
            order = uow.orders.get_by_id(a.order_id)
            ended, ev1 = da.end(a, now, AState.HANDED_OVER, by.user_id, by.unit_id, note or None,
                                to_member_id=dst["id"], to_member=dst["display_name"] or dst["username"])
            uow.duty.save_assignment(ended, now)
            new, ev2 = da.assign(order.id, unit.id, dst["id"], now,
                                 da.accept_window(team.accept_minutes, str(order.urgency)), by.user_id, by.unit_id,
                                 member_name=dst["display_name"] or dst["username"], outside_area=a.outside_area,
                                 note=f"交接自 {src['display_name'] or src['username']}" + (f"：{note}" if note else ""),
                                 previous_id=a.id)
            new = uow.duty.add_assignment(new, now)
            ev2 = dc_replace(ev2, data={**ev2.data, "assignment_id": new.id, "by": "handover"})
            i, o = _notice_member(order, new, "交接班工单，请接单", new.note, now, dst, "assigned")
            _write(uow, order, [ev1, ev2], i, o)
            moved.append({"order": order.number, "from_assignment": a.id, "assignment": new.id})
        left = len(uow.duty.active_of_user(src["id"]))
        uow.audit.add(now, actor.user_id if actor else None, "duty_handover", "unit", unit.code,
                      {"from": from_username, "to": to_username, "assignments": ids})
        uow.commit()
    return {"moved": moved, "still_with_leaving_member": left}


# ------------------------------------------------------------------------------------ sweep steps

def escalate_due(uow: DutyUnitOfWork, now: datetime, batch: int = 200) -> int:
    """Assignments not accepted by their deadline go to the leader: an event on the timeline,
    an in-app notice to the team and its leaders, an SMS to the team's leader phone — once."""
    with uow:
        due = uow.duty.claim_due(now, batch)
        for a in due:
            order = uow.orders.get_by_id(a.order_id)
            unit = uow.units.get(a.team_unit_id)
            leaders = [m for m in uow.duty.members(a.team_unit_id) if m.is_leader]
            who = "、".join(m.extra.get("display_name") or "" for m in leaders) or unit.leader_name or "队长"
            new, ev = da.escalate(a, now, who)
            uow.duty.save_assignment(new, now)
            member = uow.duty.user_names([a.user_id]).get(a.user_id, "")
            title = f"[{URGENCY_ZH.get(str(order.urgency), '')}] 队员超时未接单 · 工单 {order.number}"
            body = f"{member} 未在 {a.accept_due_at.isoformat(timespec='minutes')} 前接单，请改派或联系队员"
            inapp = [dict(unit_id=unit.id, order_id=order.id, kind="member_escalated", title=title, body=body,
                          created_at=now, dedup_key=f"duty:{a.id}:esc:u")]
            inapp += [dict(user_id=m.user_id, order_id=order.id, kind="member_escalated", title=title, body=body,
                           created_at=now, dedup_key=f"duty:{a.id}:esc:l{m.user_id}") for m in leaders]
            out = [dict(channel="sms", recipient=unit.leader_phone, subject=title, body=body, order_id=order.id,
                        created_at=now, dedup_key=f"duty:{a.id}:esc:sms")] if unit.leader_phone else []
            _write(uow, order, [ev], inapp, out)
        uow.commit()
    return len(due)


def cancel_stale(uow: DutyUnitOfWork, now: datetime) -> int:
    """Open assignments whose order has left the member's hands (returned, closed, reported back
    by the unit, or moved to another unit) end as cancelled, with the reason on the timeline."""
    n = 0
    with uow:
        for team in uow.duty.teams():
            for a in uow.duty.active_of_team(team.unit_id):
                order = uow.orders.get_by_id(a.order_id)
                still = order.state in WITH_TEAM and (order.lead_unit_id == a.team_unit_id
                                                      or a.team_unit_id in order.co_unit_ids)
                if still:
                    continue
                reason = (f"工单状态为「{lc.STATE_NAMES_ZH.get(order.state, str(order.state))}」或已改派其他单位，"
                          f"队员派单结束 (the order is {order.state} or with another unit)")
                new, ev = da.end(a, now, AState.CANCELLED, None, None, reason)
                uow.duty.save_assignment(new, now)
                _write(uow, order, [ev])
                n += 1
        uow.commit()
    return n
