"""Teams (联动队伍): area, skills and rules; members with skills, devices and their own area;
positions reported by the phone (always kept; odd ones flagged)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Iterable

from ...domain.duty.area import Area, check_position, checked_polygons
from ...domain.duty.team import Member, Team, checked_devices, checked_skills
from ...domain.errors import InvalidInput, NotAllowed, NotFound
from ...domain.org import UnitKind
from ...domain.roles import HANDLING_ROLES, Actor, Role
from .common import managed_team, member_of, person, team_of
from .ports import DutyUnitOfWork

AREA_KINDS = (UnitKind.COMMITTEE, UnitKind.VILLAGE, UnitKind.STREET)


def _area_units(uow: DutyUnitOfWork, codes: Iterable[str]) -> frozenset[int]:
    ids = set()
    for code in codes:
        u = uow.units.by_code(code)
        if u is None or not u.active:
            raise NotFound(f"负责区域中的单位 {code} 不存在 (unknown unit {code!r} in the area)", field="area_units")
        if u.kind not in AREA_KINDS:
            raise InvalidInput(f"{u.name} 不是街镇或居村委，不能作为负责区域 (an area is made of streets, committees "
                               f"and villages)", field="area_units")
        ids.add(u.id)
    return frozenset(ids)


def configure_team(uow: DutyUnitOfWork, actor: Actor | None, code: str, now: datetime, *,
                   area_units: list[str] | None = None, polygons: Any = None, skills: list[str] | None = None,
                   min_on_duty: int | None = None, accept_minutes: int | None = None) -> dict[str, Any]:
    """Set a team's covered area (committees/streets and polygons), skills, the headcount the
    coverage check asks for, and the minutes a member has to accept an order."""
    if actor is not None and actor.role not in (Role.SUPERVISOR, Role.ADMIN, Role.UNIT_HANDLER):
        raise NotAllowed("只有中心督办、管理员或上级单位可以设置队伍 (only the center or a unit above may configure a team)")
    with uow:
        unit = managed_team(uow, actor, code)
        team = team_of(uow, unit)
        area = team.area
        if area_units is not None or polygons is not None:
            area = Area(_area_units(uow, area_units) if area_units is not None else area.unit_ids,
                        checked_polygons(polygons) if polygons is not None else area.polygons)
        team = Team(unit_id=unit.id, area=area,
                    skills=checked_skills(skills) if skills is not None else team.skills,
                    min_on_duty=team.min_on_duty if min_on_duty is None else int(min_on_duty),
                    accept_minutes=team.accept_minutes if accept_minutes is None else int(accept_minutes))
        uow.duty.save_team(team, actor.user_id if actor else None, now)
        uow.audit.add(now, actor.user_id if actor else None, "duty_team", "unit", unit.code,
                      {"area_units": sorted(area.unit_ids), "polygons": len(area.polygons), "skills": list(team.skills),
                       "min_on_duty": team.min_on_duty, "accept_minutes": team.accept_minutes})
        uow.commit()
        return team_out(uow, unit, team)


def team_out(uow: DutyUnitOfWork, unit, team: Team) -> dict[str, Any]:
    codes = []
    for uid in sorted(team.area.unit_ids):
        u = uow.units.get(uid)
        if u:
            codes.append({"code": u.code, "name": u.name})
    return {"code": unit.code, "name": unit.name, "kind": str(unit.kind), "area_units": codes,
            "polygons": [[list(p) for p in ring] for ring in team.area.polygons], "skills": list(team.skills),
            "min_on_duty": team.min_on_duty, "accept_minutes": team.accept_minutes,
            "leader_name": unit.leader_name, "hotline_lead_name": unit.hotline_lead_name}


def set_member(uow: DutyUnitOfWork, actor: Actor | None, code: str, username: str, now: datetime, *,
               is_leader: bool | None = None, skills: list[str] | None = None, devices: list | None = None,
               area_units: list[str] | None = None, polygons: Any = None) -> dict[str, Any]:
    """Put a person on the team (or update them). A field member must belong to the team's unit;
    other users (operators on the center's hotline roster) must belong to the unit itself."""
    with uow:
        unit = managed_team(uow, actor, code)
        user = person(uow, username)
        if not uow.units.is_within(user["unit_id"], unit.id):
            raise InvalidInput(f"{user['display_name'] or username} 不属于 {unit.name}，请先在组织架构中调整其单位 "
                               f"(the user belongs to another unit; move them in the org tree first)", field="username")
        old = uow.duty.member(user["id"])
        if old is not None and old.team_unit_id != unit.id and old.active:
            raise InvalidInput(f"{username} 已是另一支队伍的队员 (already a member of another team)", field="username")
        base = old if old is not None and old.team_unit_id == unit.id else Member(user_id=user["id"], team_unit_id=unit.id)
        area = base.area
        if area_units is not None or polygons is not None:
            area = Area(_area_units(uow, area_units) if area_units is not None else area.unit_ids,
                        checked_polygons(polygons) if polygons is not None else area.polygons)
        m = replace(base, team_unit_id=unit.id, active=True, area=area,
                    is_leader=base.is_leader if is_leader is None else bool(is_leader),
                    skills=checked_skills(skills) if skills is not None else base.skills,
                    devices=checked_devices(devices) if devices is not None else base.devices)
        if uow.duty.team(unit.id) is None:
            uow.duty.save_team(Team(unit_id=unit.id), actor.user_id if actor else None, now)
        uow.duty.save_member(m, now)
        uow.audit.add(now, actor.user_id if actor else None, "duty_member", "user", username,
                      {"team": unit.code, "leader": m.is_leader, "skills": list(m.skills), "devices": len(m.devices)})
        uow.commit()
        return member_out(uow.duty.member(user["id"]))


def remove_member(uow: DutyUnitOfWork, actor: Actor | None, code: str, username: str, now: datetime) -> dict:
    """Take a person off the team; refused while they hold open assignments (hand them over first)."""
    with uow:
        unit = managed_team(uow, actor, code)
        user, m = member_of(uow, unit, username)
        open_ = uow.duty.active_of_user(user["id"])
        if open_:
            raise InvalidInput(f"{username} 还有 {len(open_)} 件在办派单，请先交接 (hand over their {len(open_)} open "
                               f"assignments first)", field="username")
        uow.duty.save_member(replace(m, active=False), now)
        uow.audit.add(now, actor.user_id if actor else None, "duty_member_removed", "user", username, {"team": unit.code})
        uow.commit()
        return {"removed": username}


def member_out(m: Member | None) -> dict[str, Any]:
    if m is None:
        return {}
    return {"user_id": m.user_id, "username": m.extra.get("username"), "name": m.extra.get("display_name"),
            "is_leader": m.is_leader, "skills": list(m.skills), "devices": [dict(d) for d in m.devices],
            "own_area": not m.area.empty, "lat": m.lat, "lng": m.lng,
            "position_at": m.position_at.isoformat() if m.position_at else None,
            "position_warning": m.position_warning}


def report_position(uow: DutyUnitOfWork, actor: Actor, lat: float, lng: float, now: datetime) -> dict[str, Any]:
    """The phone reports where the member is. The position is kept whatever it says; a position
    far from the area (or a jump no one could travel) is flagged to the member and the team."""
    if actor.role not in HANDLING_ROLES:
        raise NotAllowed("只有队员可以上报位置 (only team members report a position)")
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        raise InvalidInput("坐标须为数字 (lat and lng must be numbers)", field="lat") from None
    with uow:
        m = uow.duty.member(actor.user_id)
        if m is None or not m.active:
            raise NotFound("您不在任何队伍的名单上 (you are not on any team's roster)", field="user")
        team = uow.duty.team(m.team_unit_id) or Team(unit_id=m.team_unit_id)
        area = m.area_or(team)
        rings = list(area.polygons) + uow.duty.committee_rings(area.unit_ids)
        prev = (m.point, m.position_at) if m.point is not None and m.position_at is not None else None
        check = check_position((lng, lat), now, rings, prev)
        warning = "；".join(check.warnings) or None
        uow.duty.set_position(actor.user_id, lat, lng, now, warning)
        if warning:
            name = m.extra.get("display_name") or actor.username
            uow.notices.inapp([dict(unit_id=m.team_unit_id, kind="duty_position_warning",
                                    title=f"队员位置异常 · {name}", body=warning, created_at=now,
                                    dedup_key=f"duty-pos:{actor.user_id}:{now:%Y%m%d%H}")])
        uow.commit()
    return {"kept": True, "lat": lat, "lng": lng, "at": now.isoformat(), "warnings": list(check.warnings),
            "km_outside_area": None if check.km_outside is None else round(check.km_outside, 2)}
