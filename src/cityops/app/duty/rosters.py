"""Rosters (排班): patterns, generation for a period, hand edits (add, swap, replace, leave,
remove), and the 7×24 coverage check — answered at once to whoever edits, and raised to the
supervisors and the team by the duty sweeper before the gap happens."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from ...domain.duty import coverage
from ...domain.duty.patterns import BUILTIN, Pattern
from ...domain.duty.roster import (LEAVE, WORK, ShiftSlot, check_period, generate, on_leave, overlaps, split_groups,
                                   swapped)
from ...domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from ...domain.roles import Actor, Role
from .common import checked_window, local_day_start, managed_team, member_of, readable_team, team_of, tz_of
from .ports import DutyUnitOfWork

LOOKAHEAD = timedelta(hours=48)   # the sweeper raises gaps this far ahead
MAX_WARNINGS = 200


# ------------------------------------------------------------------------------------ patterns

def install_patterns(uow: DutyUnitOfWork, now: datetime) -> int:
    """The built-in patterns (two shifts, 7+14, day/night), added once; edits are kept."""
    added = 0
    with uow:
        for p in BUILTIN:
            if uow.duty.pattern(p.code) is None:
                uow.duty.save_pattern(p, None, now)
                added += 1
        uow.commit()
    return added


def list_patterns(uow: DutyUnitOfWork) -> list[dict[str, Any]]:
    """The district's patterns; built-in ones not yet stored are listed as shipped."""
    with uow:
        stored = uow.duty.patterns()
    codes = {p.code for p in stored}
    return [pattern_out(p) for p in stored + [b for b in BUILTIN if b.code not in codes]]


def pattern_out(p: Pattern) -> dict[str, Any]:
    gaps = p.uncovered_hours()
    return {**p.to_dict(), "builtin": p.builtin, "groups": list(p.groups), "cycle_days": p.cycle_days,
            "uncovered_hours": len(gaps), "covers_24x7": not gaps,
            "uncovered_sample": [{"day": d + 1, "hour": h} for d, h in gaps[:24]]}


def save_pattern(uow: DutyUnitOfWork, actor: Actor | None, data: dict, now: datetime) -> dict[str, Any]:
    if actor is not None and actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise NotAllowed("只有中心督办或管理员可以维护排班模式 (only supervisors and admins edit shift patterns)")
    p = Pattern.from_dict(data)
    with uow:
        old = uow.duty.pattern(p.code)
        p = replace(p, builtin=old.builtin if old else False)
        uow.duty.save_pattern(p, actor.user_id if actor else None, now)
        uow.audit.add(now, actor.user_id if actor else None, "duty_pattern", "pattern", p.code, p.to_dict())
        uow.commit()
    return pattern_out(p)


def _pattern(uow: DutyUnitOfWork, code: str) -> Pattern:
    p = uow.duty.pattern(code)
    if p is None:
        p = next((b for b in BUILTIN if b.code == code), None)
    if p is None:
        raise NotFound(f"排班模式 {code} 不存在 (unknown pattern {code!r})", field="pattern")
    return p


# ------------------------------------------------------------------------------------ generation

def _warnings(uow: DutyUnitOfWork, team_unit_id: int, start: datetime, end: datetime, required: int,
              extra: Iterable[ShiftSlot] = ()) -> dict[str, Any]:
    slots = uow.duty.shifts(team_unit_id, start, end) + list(extra)
    names = uow.duty.user_names(s.user_id for s in slots)
    gaps = coverage.gaps(slots, start, end, required) if required else []
    ovs = overlaps(slots)
    return {
        "gaps": [g.to_dict() for g in gaps[:MAX_WARNINGS]], "gap_count": len(gaps),
        "overlaps": [{"user_id": o.user_id, "name": names.get(o.user_id, ""), "first_id": o.first.id,
                      "second_id": o.second.id, "first": [o.first.starts_at.isoformat(), o.first.ends_at.isoformat()],
                      "second": [o.second.starts_at.isoformat(), o.second.ends_at.isoformat()]}
                     for o in ovs[:MAX_WARNINGS]],
        "overlap_count": len(ovs),
    }


def generate_roster(uow: DutyUnitOfWork, actor: Actor | None, team_code: str, pattern_code: str, start: date,
                    days: int, now: datetime, *, people: list[str] | None = None,
                    groups: dict[str, list[str]] | None = None, cycle_offset: int = 0,
                    replace_existing: bool = False) -> dict[str, Any]:
    """A roster for ``days`` days from ``start`` from a pattern: the people either given by
    group, or dealt into the pattern's groups in the order listed. Shifts the team already has in
    the period are kept unless ``replace_existing`` (then the work shifts there are replaced;
    leave stays). Answers the coverage gaps and overlaps of the result at once."""
    if not 0 <= cycle_offset < 1000:
        raise InvalidInput("cycle_offset 须在 0-999 之间 (cycle_offset must be 0-999)", field="cycle_offset")
    with uow:
        unit = managed_team(uow, actor, team_code)
        team = team_of(uow, unit)
        pattern = _pattern(uow, pattern_code)
        tz = tz_of(uow)
        if groups:
            ids = {g: [member_of(uow, unit, u, "groups")[0]["id"] for u in names] for g, names in groups.items()}
        else:
            names = people if people is not None else [m.extra["username"] for m in uow.duty.members(unit.id)]
            if not names:
                raise InvalidInput(f"{unit.name} 没有队员，无法排班 (the team has no members; add members first)",
                                   field="people")
            ids = split_groups(pattern, [member_of(uow, unit, u, "people")[0]["id"] for u in names])
        slots = generate(pattern, ids, start, days, tz, cycle_offset)
        p_start = datetime.combine(start, datetime.min.time(), _zone(tz))
        p_end = p_start + timedelta(days=days)
        existing = uow.duty.count_work_shifts(unit.id, p_start, p_end)
        removed = 0
        if existing and not replace_existing:
            raise Conflict(f"{unit.name} 在 {start} 起 {days} 天内已有 {existing} 个班次；如需重排请选择「替换已有班次」"
                           f"(the team already has {existing} shifts in this period; pass replace_existing to replace "
                           f"them — leave is kept)")
        if existing:
            removed = uow.duty.delete_work_shifts(unit.id, p_start, p_end)
        roster_id = uow.duty.add_roster(unit.id, pattern, start, days, {g: list(v) for g, v in ids.items()},
                                        actor.user_id if actor else None, now)
        uow.duty.add_shifts(unit.id, slots, roster_id, actor.user_id if actor else None, now)
        # coverage over the generated period (a night shift of the day before reaches into it)
        warn = _warnings(uow, unit.id, p_start, p_end, team.min_on_duty)
        uow.audit.add(now, actor.user_id if actor else None, "duty_roster", "unit", unit.code,
                      {"roster_id": roster_id, "pattern": pattern.code, "start": start.isoformat(), "days": days,
                       "shifts": len(slots), "replaced": removed})
        uow.commit()
    return {"roster_id": roster_id, "team": unit.code, "pattern": pattern.code, "start": start.isoformat(),
            "days": days, "shifts": len(slots), "replaced": removed,
            "groups": {g: len(v) for g, v in ids.items()}, **warn}


# ------------------------------------------------------------------------------------ hand edits

def add_shift(uow: DutyUnitOfWork, actor: Actor | None, team_code: str, username: str, starts_at: datetime,
              ends_at: datetime, now: datetime, *, kind: str = WORK, note: str = "", shift_code: str = "") -> dict:
    """Add one shift (or a leave) by hand. An overlap with the person's other shifts is kept and
    reported, never silently merged or dropped."""
    if kind not in (WORK, LEAVE):
        raise InvalidInput("kind 须为 work 或 leave (kind must be work or leave)", field="kind")
    check_period(starts_at, ends_at, "ends_at", max_hours=24 if kind == WORK else 24 * 92)
    with uow:
        unit = managed_team(uow, actor, team_code)
        team = team_of(uow, unit)
        user, _m = member_of(uow, unit, username)
        slot = ShiftSlot(user["id"], starts_at, ends_at, shift_code[:32], "", kind, note=(note or "")[:500])
        ids = uow.duty.add_shifts(unit.id, [slot], None, actor.user_id if actor else None, now)
        window = (starts_at - timedelta(hours=24), ends_at + timedelta(hours=24))
        mine = [s for s in uow.duty.shifts_of_users([user["id"]], *window)]
        ovs = [o for o in overlaps(mine) if ids[0] in (o.first.id, o.second.id)] if kind == WORK else []
        warn = _warnings(uow, unit.id, starts_at, ends_at, team.min_on_duty)
        uow.audit.add(now, actor.user_id if actor else None, "duty_shift_added", "unit", unit.code,
                      {"shift_id": ids[0], "user": username, "kind": kind, "from": starts_at.isoformat(),
                       "to": ends_at.isoformat()})
        uow.commit()
    others = [o.first if o.second.id == ids[0] else o.second for o in ovs]
    messages = [f"{username} 在 {x.starts_at.isoformat()} – {x.ends_at.isoformat()} 已有班次 {x.id}，与新班次重叠；"
                f"两条都已保留，请核对 (overlaps shift {x.id} of the same person; both are kept)" for x in others]
    return {"id": ids[0], "kind": kind, "warnings": messages, **warn}


def add_leave(uow: DutyUnitOfWork, actor: Actor | None, team_code: str, username: str, starts_at: datetime,
              ends_at: datetime, now: datetime, note: str = "") -> dict:
    """请假: the person's shifts in the period stay on the roster, marked as on leave, and the
    coverage check counts them out — the gaps this opens are answered at once."""
    out = add_shift(uow, actor, team_code, username, starts_at, ends_at, now, kind=LEAVE, note=note)
    with uow:
        unit = readable_team(uow, actor, team_code)
        user = uow.duty.user(username=username)
        affected = [s for s in uow.duty.shifts(unit.id, starts_at, ends_at, user_id=user["id"], kind=WORK)]
    out["shifts_on_leave"] = [{"id": s.id, "starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat()}
                              for s in affected]
    return out


def _shift_of(uow: DutyUnitOfWork, actor: Actor | None, shift_id: int) -> tuple[ShiftSlot, Any]:
    found = uow.duty.shift(shift_id)
    if found is None:
        raise NotFound(f"班次 {shift_id} 不存在 (unknown shift)", field="shift")
    slot, team_unit_id = found
    unit = uow.units.get(team_unit_id)
    managed_team(uow, actor, unit.code)
    return slot, unit


def swap_shifts(uow: DutyUnitOfWork, actor: Actor | None, shift_id: int, with_shift_id: int, now: datetime,
                note: str = "") -> dict:
    """换班: two people exchange two shifts (of the same team)."""
    with uow:
        a, unit = _shift_of(uow, actor, shift_id)
        b, unit_b = _shift_of(uow, actor, with_shift_id)
        if unit.id != unit_b.id:
            raise InvalidInput("只能在同一队伍内换班 (both shifts must be of the same team)", field="with_shift")
        a2, b2 = swapped(a, b)
        note = (note or "换班").strip()[:500]
        uow.duty.save_shift(replace(a2, note=note), now)
        uow.duty.save_shift(replace(b2, note=note), now)
        team = team_of(uow, unit)
        start, end = min(a.starts_at, b.starts_at), max(a.ends_at, b.ends_at)
        warn = _warnings(uow, unit.id, start - timedelta(hours=24), end + timedelta(hours=24), team.min_on_duty)
        uow.audit.add(now, actor.user_id if actor else None, "duty_shift_swapped", "unit", unit.code,
                      {"shifts": [a.id, b.id], "users": [a.user_id, b.user_id]})
        uow.commit()
    return {"swapped": [a.id, b.id], **warn}


def reassign_shift(uow: DutyUnitOfWork, actor: Actor | None, shift_id: int, username: str, now: datetime,
                   note: str = "") -> dict:
    """顶班: another member takes this shift."""
    with uow:
        slot, unit = _shift_of(uow, actor, shift_id)
        user, _m = member_of(uow, unit, username)
        if slot.kind != WORK:
            raise InvalidInput("请假记录不能转给他人 (a leave cannot be given to someone else)", field="shift")
        uow.duty.save_shift(replace(slot, user_id=user["id"], note=(note or "顶班").strip()[:500]), now)
        team = team_of(uow, unit)
        warn = _warnings(uow, unit.id, slot.starts_at - timedelta(hours=24), slot.ends_at + timedelta(hours=24),
                         team.min_on_duty)
        uow.audit.add(now, actor.user_id if actor else None, "duty_shift_reassigned", "unit", unit.code,
                      {"shift": slot.id, "from": slot.user_id, "to": user["id"]})
        uow.commit()
    return {"id": slot.id, "user": username, **warn}


def delete_shift(uow: DutyUnitOfWork, actor: Actor | None, shift_id: int, now: datetime) -> dict:
    with uow:
        slot, unit = _shift_of(uow, actor, shift_id)
        uow.duty.delete_shift(shift_id)
        team = team_of(uow, unit)
        warn = _warnings(uow, unit.id, slot.starts_at, slot.ends_at, team.min_on_duty)
        uow.audit.add(now, actor.user_id if actor else None, "duty_shift_deleted", "unit", unit.code,
                      {"shift": slot.id, "user": slot.user_id, "kind": slot.kind, "from": slot.starts_at.isoformat(),
                       "to": slot.ends_at.isoformat()})
        uow.commit()
    return {"deleted": shift_id, **warn}


# ------------------------------------------------------------------------------------ reading and coverage

def roster(uow: DutyUnitOfWork, actor: Actor | None, team_code: str, start: datetime, end: datetime) -> dict:
    """The team's shifts in a window, with names, leave marked, and the coverage gaps and overlaps."""
    checked_window(start, end)
    with uow:
        unit = readable_team(uow, actor, team_code)
        team = team_of(uow, unit)
        slots = uow.duty.shifts(unit.id, start, end)
        names = uow.duty.user_names(s.user_id for s in slots)
        leaves = [s for s in slots if s.kind == LEAVE]
        warn = _warnings(uow, unit.id, start, end, team.min_on_duty)
    return {"team": unit.code, "name": unit.name, "from": start.isoformat(), "to": end.isoformat(),
            "min_on_duty": team.min_on_duty,
            "shifts": [{"id": s.id, "user_id": s.user_id, "name": names.get(s.user_id, ""), "kind": s.kind,
                        "shift": s.shift_code, "group": s.group, "starts_at": s.starts_at.isoformat(),
                        "ends_at": s.ends_at.isoformat(), "note": s.note,
                        "on_leave": s.kind == WORK and on_leave(s, leaves)} for s in slots],
            **warn}


def raise_gaps(uow: DutyUnitOfWork, now: datetime, lookahead: timedelta = LOOKAHEAD) -> int:
    """The sweeper's coverage step: every gap from now to ``lookahead`` ahead, for every team
    that keeps a roster, becomes an in-app notice to the center (its supervisors) and to the
    team — once per gap (dedup key: team and the gap's start, counted from the local day's start
    so an ongoing gap keeps its key)."""
    raised = 0
    with uow:
        center = uow.units.center()
        tz = tz_of(uow)
        day0 = local_day_start(now, tz)
        end = now + lookahead
        notes = []
        for team in uow.duty.teams():
            if team.min_on_duty <= 0:
                continue
            unit = uow.units.get(team.unit_id)
            if unit is None or not unit.active:
                continue
            slots = uow.duty.shifts(team.unit_id, day0 - timedelta(hours=24), end)
            if not slots:
                continue  # a unit without any roster is not on 7×24 duty
            for g in coverage.gaps(slots, day0, end, team.min_on_duty):
                if g.ends_at <= now:
                    continue
                what = "无人在岗" if g.nobody else f"在岗 {g.on_duty} 人，少于要求的 {g.required} 人"
                title = f"值班缺口 · {unit.name} · {g.starts_at.astimezone(_zone(tz)):%m-%d %H:%M} 起{what}"
                body = (f"{g.starts_at.astimezone(_zone(tz)):%m-%d %H:%M} – {g.ends_at.astimezone(_zone(tz)):%m-%d %H:%M}"
                        f"（{g.hours:.1f} 小时）{what}，请调整排班 (duty gap: {g.on_duty}/{g.required} on duty)")
                key = f"duty-gap:{unit.id}:{g.starts_at.isoformat()}:{g.on_duty}"
                for uid, tag in ((center.id if center else None, "c"), (unit.id, "t")):
                    if uid:
                        notes.append(dict(unit_id=uid, kind="duty_gap", title=title[:300], body=body, created_at=now,
                                          dedup_key=f"{key}:{tag}"[:200]))
                raised += 1
        uow.notices.inapp(notes)
        uow.commit()
    return raised


def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)
