"""Duty in SQL: teams and members, patterns, rosters and shifts, member assignments, inspections."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain.duty.area import Area
from ...domain.duty.assignment import ACTIVE, AState, Assignment
from ...domain.duty.inspection import PENDING, Place
from ...domain.duty.patterns import Pattern
from ...domain.duty.roster import ShiftSlot
from ...domain.duty.team import Member, Team
from ...domain.errors import Conflict
from .tables import (duty_assignments, duty_inspection_items, duty_inspections, duty_members, duty_patterns,
                     duty_rosters, duty_shifts, duty_teams, gazetteer_entries, orders, units, users)

_ACTIVE = [str(s) for s in ACTIVE]


def _area(unit_ids, polygons) -> Area:
    return Area(frozenset(int(u) for u in unit_ids or ()), tuple(tuple((float(p[0]), float(p[1])) for p in ring)
                                                              for ring in polygons or ()))


def _rings(area: Area) -> list:
    return [[list(p) for p in ring] for ring in area.polygons]


def _team(r: Any) -> Team:
    return Team(unit_id=r.unit_id, area=_area(r.area_unit_ids, r.polygons), skills=tuple(r.skills or ()),
                min_on_duty=r.min_on_duty, accept_minutes=r.accept_minutes)


def _member(r: Any) -> Member:
    m = r._mapping
    return Member(user_id=m["user_id"], team_unit_id=m["team_unit_id"], is_leader=m["is_leader"],
                  skills=tuple(m["skills"] or ()), devices=tuple(m["devices"] or ()),
                  area=_area(m["area_unit_ids"], m["polygons"]), lat=m["lat"], lng=m["lng"],
                  position_at=m["position_at"], position_warning=m["position_warning"], active=m["active"],
                  extra={k: m[k] for k in ("username", "display_name", "role", "phone") if k in m})


def _slot(r: Any) -> ShiftSlot:
    return ShiftSlot(user_id=r.user_id, starts_at=r.starts_at, ends_at=r.ends_at, shift_code=r.shift_code,
                     group=r.group_code, kind=r.kind, id=r.id, note=r.note)


_A_COLS = ("order_id", "team_unit_id", "user_id", "state", "assigned_by", "assigned_at", "accept_due_at",
           "accepted_at", "arrived_at", "resolved_at", "escalated_at", "ended_at", "outside_area", "note",
           "previous_id")


def _assignment(r: Any) -> Assignment:
    m = r._mapping
    return Assignment(**{k: m[k] for k in _A_COLS if k != "state"}, state=AState(m["state"]),
                      warnings=tuple(m["warnings"] or ()), id=m["id"], version=m["version"])


def _a_row(a: Assignment) -> dict[str, Any]:
    row = {k: getattr(a, k) for k in _A_COLS}
    row["state"] = str(a.state)
    row["warnings"] = list(a.warnings)
    row["next_due_at"] = a.next_due_at
    return row


class SqlDutyRepository:
    def __init__(self, conn: Connection):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    # ------------------------------------------------------------ teams and members

    def team(self, unit_id: int) -> Team | None:
        r = self.conn.execute(sa.select(duty_teams).where(duty_teams.c.unit_id == unit_id)).first()
        return _team(r) if r else None

    def teams(self) -> list[Team]:
        return [_team(r) for r in self.conn.execute(sa.select(duty_teams).order_by(duty_teams.c.unit_id))]

    def save_team(self, team: Team, actor_id: int | None, now: datetime) -> Team:
        values = dict(area_unit_ids=sorted(team.area.unit_ids), polygons=_rings(team.area), skills=list(team.skills),
                      min_on_duty=team.min_on_duty, accept_minutes=team.accept_minutes, updated_by=actor_id,
                      updated_at=now)
        done = self.conn.execute(sa.update(duty_teams).where(duty_teams.c.unit_id == team.unit_id).values(**values))
        if done.rowcount == 0:
            self.conn.execute(sa.insert(duty_teams).values(unit_id=team.unit_id, **values))
        return team

    def _member_select(self):
        return (sa.select(duty_members, users.c.username, users.c.display_name, users.c.role, users.c.phone)
                .join(users, users.c.id == duty_members.c.user_id))

    def member(self, user_id: int) -> Member | None:
        r = self.conn.execute(self._member_select().where(duty_members.c.user_id == user_id)).first()
        return _member(r) if r else None

    def members(self, team_unit_id: int | None = None, active_only: bool = True) -> list[Member]:
        stmt = self._member_select()
        if team_unit_id is not None:
            stmt = stmt.where(duty_members.c.team_unit_id == team_unit_id)
        if active_only:
            stmt = stmt.where(duty_members.c.active, users.c.active)
        return [_member(r) for r in self.conn.execute(stmt.order_by(duty_members.c.team_unit_id, users.c.username))]

    def save_member(self, m: Member, now: datetime) -> None:
        values = dict(team_unit_id=m.team_unit_id, is_leader=m.is_leader, skills=list(m.skills),
                      devices=[dict(d) for d in m.devices], area_unit_ids=sorted(m.area.unit_ids),
                      polygons=_rings(m.area), active=m.active, updated_at=now)
        done = self.conn.execute(sa.update(duty_members).where(duty_members.c.user_id == m.user_id).values(**values))
        if done.rowcount == 0:
            self.conn.execute(sa.insert(duty_members).values(user_id=m.user_id, **values))

    def set_position(self, user_id: int, lat: float, lng: float, at: datetime, warning: str | None) -> None:
        self.conn.execute(sa.update(duty_members).where(duty_members.c.user_id == user_id).values(
            lat=lat, lng=lng, position_at=at, position_warning=warning, updated_at=at))

    def user(self, *, user_id: int | None = None, username: str | None = None) -> dict | None:
        cond = users.c.id == user_id if user_id is not None else users.c.username == username
        r = self.conn.execute(sa.select(users.c.id, users.c.username, users.c.display_name, users.c.role,
                                        users.c.unit_id, users.c.phone, users.c.active).where(cond)).first()
        return dict(r._mapping) if r else None

    def user_names(self, ids: Iterable[int]) -> dict[int, str]:
        ids = list(set(ids))
        if not ids:
            return {}
        return {r.id: r.display_name or r.username for r in self.conn.execute(
            sa.select(users.c.id, users.c.username, users.c.display_name).where(users.c.id.in_(ids)))}

    def committee_rings(self, unit_ids: Iterable[int]) -> list:
        """Boundaries the gazetteer knows for these units (and, for a street, its committees)."""
        ids = list(unit_ids)
        if not ids:
            return []
        paths = list(self.conn.execute(sa.select(units.c.path).where(units.c.id.in_(ids))).scalars())
        if not paths:
            return []
        codes = sa.select(units.c.code).where(sa.or_(*[units.c.path.like(p + "%") for p in paths]))
        rings = []
        for body in self.conn.execute(sa.select(gazetteer_entries.c.body)
                                      .where(gazetteer_entries.c.committee_code.in_(codes))).scalars():
            ring = body.get("polygon") or []
            if len(ring) >= 3:
                rings.append(tuple((float(p[0]), float(p[1])) for p in ring))
        return rings

    # ------------------------------------------------------------ patterns

    def patterns(self) -> list[Pattern]:
        return [Pattern.from_dict(r.body, builtin=r.builtin)
                for r in self.conn.execute(sa.select(duty_patterns).order_by(duty_patterns.c.code))]

    def pattern(self, code: str) -> Pattern | None:
        r = self.conn.execute(sa.select(duty_patterns).where(duty_patterns.c.code == code)).first()
        return Pattern.from_dict(r.body, builtin=r.builtin) if r else None

    def save_pattern(self, p: Pattern, actor_id: int | None, now: datetime) -> None:
        values = dict(name=p.name, body=p.to_dict(), builtin=p.builtin, updated_by=actor_id, updated_at=now)
        done = self.conn.execute(sa.update(duty_patterns).where(duty_patterns.c.code == p.code).values(**values))
        if done.rowcount == 0:
            self.conn.execute(sa.insert(duty_patterns).values(code=p.code, **values))

    # ------------------------------------------------------------ rosters and shifts

    def add_roster(self, team_unit_id: int, pattern: Pattern, starts_on, days: int, groups: dict,
                   actor_id: int | None, now: datetime) -> int:
        return self.conn.execute(sa.insert(duty_rosters).values(
            team_unit_id=team_unit_id, pattern_code=pattern.code, starts_on=starts_on, days=days, groups=groups,
            pattern=pattern.to_dict(), created_by=actor_id, created_at=now).returning(duty_rosters.c.id)).scalar_one()

    def rosters(self, team_unit_id: int, limit: int = 20) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(
            sa.select(duty_rosters).where(duty_rosters.c.team_unit_id == team_unit_id)
            .order_by(duty_rosters.c.id.desc()).limit(limit))]

    def add_shifts(self, team_unit_id: int, slots: list[ShiftSlot], roster_id: int | None, actor_id: int | None,
                   now: datetime) -> list[int]:
        if not slots:
            return []
        rows = [dict(team_unit_id=team_unit_id, user_id=s.user_id, starts_at=s.starts_at, ends_at=s.ends_at,
                     kind=s.kind, shift_code=s.shift_code, group_code=s.group, roster_id=roster_id, note=s.note,
                     created_by=actor_id, updated_at=now) for s in slots]
        if len(rows) == 1:
            return [self.conn.execute(sa.insert(duty_shifts).values(**rows[0]).returning(duty_shifts.c.id)).scalar_one()]
        for i in range(0, len(rows), 5000):
            self.conn.execute(sa.insert(duty_shifts), rows[i:i + 5000])
        return []

    def shifts(self, team_unit_id: int | None, start: datetime, end: datetime, user_id: int | None = None,
               kind: str | None = None) -> list[ShiftSlot]:
        s = duty_shifts
        stmt = sa.select(s).where(s.c.ends_at > start, s.c.starts_at < end)
        if team_unit_id is not None:
            stmt = stmt.where(s.c.team_unit_id == team_unit_id)
        if user_id is not None:
            stmt = stmt.where(s.c.user_id == user_id)
        if kind is not None:
            stmt = stmt.where(s.c.kind == kind)
        return [_slot(r) for r in self.conn.execute(stmt.order_by(s.c.starts_at, s.c.user_id, s.c.id))]

    def shifts_of_users(self, user_ids: Iterable[int], start: datetime, end: datetime) -> list[ShiftSlot]:
        ids = list(user_ids)
        if not ids:
            return []
        s = duty_shifts
        return [_slot(r) for r in self.conn.execute(
            sa.select(s).where(s.c.user_id.in_(ids), s.c.ends_at > start, s.c.starts_at < end))]

    def shift(self, shift_id: int) -> tuple[ShiftSlot, int] | None:
        r = self.conn.execute(sa.select(duty_shifts).where(duty_shifts.c.id == shift_id)).first()
        return (_slot(r), r.team_unit_id) if r else None

    def save_shift(self, slot: ShiftSlot, now: datetime) -> None:
        self.conn.execute(sa.update(duty_shifts).where(duty_shifts.c.id == slot.id).values(
            user_id=slot.user_id, starts_at=slot.starts_at, ends_at=slot.ends_at, note=slot.note, updated_at=now))

    def delete_shift(self, shift_id: int) -> None:
        self.conn.execute(sa.delete(duty_shifts).where(duty_shifts.c.id == shift_id))

    def delete_work_shifts(self, team_unit_id: int, start: datetime, end: datetime) -> int:
        s = duty_shifts
        return self.conn.execute(sa.delete(s).where(s.c.team_unit_id == team_unit_id, s.c.kind == "work",
                                                    s.c.starts_at >= start, s.c.starts_at < end)).rowcount

    def count_work_shifts(self, team_unit_id: int, start: datetime, end: datetime) -> int:
        s = duty_shifts
        return self.conn.execute(sa.select(sa.func.count()).select_from(s).where(
            s.c.team_unit_id == team_unit_id, s.c.kind == "work", s.c.starts_at >= start,
            s.c.starts_at < end)).scalar_one()

    # ------------------------------------------------------------ assignments

    def add_assignment(self, a: Assignment, now: datetime) -> Assignment:
        aid = self.conn.execute(sa.insert(duty_assignments).values(**_a_row(a), version=1, updated_at=now)
                                .returning(duty_assignments.c.id)).scalar_one()
        return Assignment(**{**a.__dict__, "id": aid, "version": 1})

    def save_assignment(self, a: Assignment, now: datetime) -> Assignment:
        t = duty_assignments
        done = self.conn.execute(sa.update(t).where(t.c.id == a.id, t.c.version == a.version)
                                 .values(**_a_row(a), version=a.version + 1, updated_at=now))
        if done.rowcount != 1:
            raise Conflict("派单已被他人修改，请刷新后重试 (the assignment changed meanwhile; reload and retry)")
        return Assignment(**{**a.__dict__, "version": a.version + 1})

    def assignment(self, assignment_id: int) -> Assignment | None:
        r = self.conn.execute(sa.select(duty_assignments).where(duty_assignments.c.id == assignment_id)).first()
        return _assignment(r) if r else None

    def assignments_of_order(self, order_id: int) -> list[Assignment]:
        t = duty_assignments
        return [_assignment(r) for r in self.conn.execute(sa.select(t).where(t.c.order_id == order_id).order_by(t.c.id))]

    def active_of_user(self, user_id: int) -> list[Assignment]:
        t = duty_assignments
        return [_assignment(r) for r in self.conn.execute(
            sa.select(t).where(t.c.user_id == user_id, t.c.state.in_(_ACTIVE)).order_by(t.c.assigned_at, t.c.id))]

    def active_of_team(self, team_unit_id: int) -> list[Assignment]:
        t = duty_assignments
        return [_assignment(r) for r in self.conn.execute(
            sa.select(t).where(t.c.team_unit_id == team_unit_id, t.c.state.in_(_ACTIVE)).order_by(t.c.id))]

    def active_counts(self, user_ids: Iterable[int] | None = None) -> dict[int, int]:
        t = duty_assignments
        stmt = sa.select(t.c.user_id, sa.func.count()).where(t.c.state.in_(_ACTIVE)).group_by(t.c.user_id)
        if user_ids is not None:
            stmt = stmt.where(t.c.user_id.in_(list(user_ids)))
        return dict(self.conn.execute(stmt).all())

    def claim_due(self, now: datetime, limit: int) -> list[Assignment]:
        """Assignments whose accept deadline has come and not yet fired; locked (SKIP LOCKED on
        PostgreSQL, the write lock on SQLite) so two sweepers never escalate one twice."""
        t = duty_assignments
        stmt = (sa.select(t).where(t.c.next_due_at.is_not(None), t.c.next_due_at <= now)
                .order_by(t.c.next_due_at, t.c.id).limit(limit))
        if self.pg:
            stmt = stmt.with_for_update(skip_locked=True)
        return [_assignment(r) for r in self.conn.execute(stmt)]

    def order_numbers(self, order_ids: Iterable[int]) -> dict[int, dict]:
        ids = list(set(order_ids))
        if not ids:
            return {}
        return {r.id: dict(r._mapping) for r in self.conn.execute(
            sa.select(orders.c.id, orders.c.number, orders.c.text, orders.c.address, orders.c.urgency, orders.c.state,
                      orders.c.category, orders.c.resolve_due_at).where(orders.c.id.in_(ids)))}

    def team_orders_unassigned(self, team_unit_id: int, states: list[str], limit: int = 200) -> list[int]:
        """Open orders led by the team with no active member assignment."""
        t = duty_assignments
        active = sa.select(t.c.order_id).where(t.c.state.in_(_ACTIVE))
        return list(self.conn.execute(
            sa.select(orders.c.id).where(orders.c.lead_unit_id == team_unit_id, orders.c.state.in_(states),
                                         orders.c.id.not_in(active))
            .order_by(orders.c.resolve_due_at, orders.c.id).limit(limit)).scalars())

    # ------------------------------------------------------------ inspections

    def add_inspection(self, team_unit_id: int, title: str, kind: str, due_at: datetime | None,
                       places: list[Place], actor_id: int | None, now: datetime) -> int:
        iid = self.conn.execute(sa.insert(duty_inspections).values(
            team_unit_id=team_unit_id, title=title, kind=kind, due_at=due_at, created_by=actor_id, created_at=now)
            .returning(duty_inspections.c.id)).scalar_one()
        rows = [dict(inspection_id=iid, seq=i, name=p.name, address=p.address, lat=p.lat, lng=p.lng, result=PENDING,
                     note="") for i, p in enumerate(places, start=1)]
        for i in range(0, len(rows), 5000):
            self.conn.execute(sa.insert(duty_inspection_items), rows[i:i + 5000])
        return iid

    def inspection(self, inspection_id: int) -> dict | None:
        r = self.conn.execute(sa.select(duty_inspections).where(duty_inspections.c.id == inspection_id)).first()
        return dict(r._mapping) if r else None

    def inspections(self, team_unit_ids: list[int] | None) -> list[dict]:
        stmt = sa.select(duty_inspections).order_by(duty_inspections.c.id.desc())
        if team_unit_ids is not None:
            stmt = stmt.where(duty_inspections.c.team_unit_id.in_(team_unit_ids))
        return [dict(r._mapping) for r in self.conn.execute(stmt)]

    def inspection_counts(self, inspection_ids: list[int]) -> dict[int, dict[str, int]]:
        t = duty_inspection_items
        out: dict[int, dict[str, int]] = {i: {} for i in inspection_ids}
        if not inspection_ids:
            return out
        for iid, result, n in self.conn.execute(
                sa.select(t.c.inspection_id, t.c.result, sa.func.count()).where(t.c.inspection_id.in_(inspection_ids))
                .group_by(t.c.inspection_id, t.c.result)):
            out[iid][result] = n
        return out

    def inspection_items(self, inspection_id: int, result: str | None, q: str | None, limit: int,
                         offset: int) -> tuple[int, list[dict]]:
        t = duty_inspection_items
        stmt = sa.select(t).where(t.c.inspection_id == inspection_id)
        if result:
            stmt = stmt.where(t.c.result == result)
        if q:
            like = f"%{q}%"
            stmt = stmt.where(sa.or_(t.c.name.like(like), t.c.address.like(like)))
        total = self.conn.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()
        rows = self.conn.execute(stmt.order_by(t.c.seq).limit(limit).offset(offset)).all()
        return total, [dict(r._mapping) for r in rows]

    def inspection_item(self, inspection_id: int, seq: int) -> dict | None:
        t = duty_inspection_items
        r = self.conn.execute(sa.select(t).where(t.c.inspection_id == inspection_id, t.c.seq == seq)).first()
        return dict(r._mapping) if r else None

    def check_item(self, item_id: int, result: str, note: str, user_id: int | None, now: datetime,
                   order_id: int | None) -> None:
        self.conn.execute(sa.update(duty_inspection_items).where(duty_inspection_items.c.id == item_id).values(
            result=result, note=note, checked_by=user_id, checked_at=now, order_id=order_id))
