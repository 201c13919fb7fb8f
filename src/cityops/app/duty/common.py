"""Shared by the duty use cases: who may read or run a team, finding teams and people."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ...domain.duty.team import Member, Team
from ...domain.errors import InvalidInput, NotAllowed, NotFound
from ...domain.org import Unit
from ...domain.roles import CENTER_ROLES, Actor, Role
from .ports import DutyUnitOfWork

# Center roles that run rosters and assign members district-wide.
MANAGER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.OPERATOR})


def unit_by_code(uow: DutyUnitOfWork, code: str, field: str = "team") -> Unit:
    unit = uow.units.by_code(code)
    if unit is None or not unit.active:
        raise NotFound(f"单位 {code} 不存在 (unknown unit {code!r})", field=field)
    return unit


def can_read(uow: DutyUnitOfWork, actor: Actor | None, unit: Unit) -> bool:
    """Center roles see every team; a unit sees the teams at or under it; a member sees their team."""
    if actor is None or actor.role in CENTER_ROLES:
        return True
    return uow.units.is_within(unit.id, actor.unit_id)


def can_manage(uow: DutyUnitOfWork, actor: Actor | None, unit: Unit) -> bool:
    """Edit the roster and assign members: center managers, a unit handler at or above the team,
    the team's leader."""
    if actor is None or actor.role in MANAGER_ROLES:
        return True
    if actor.role == Role.UNIT_HANDLER:
        return uow.units.is_within(unit.id, actor.unit_id)
    if actor.role == Role.FIELD_MEMBER:
        m = uow.duty.member(actor.user_id)
        return m is not None and m.is_leader and m.team_unit_id == unit.id
    return False


def readable_team(uow: DutyUnitOfWork, actor: Actor | None, code: str) -> Unit:
    unit = unit_by_code(uow, code)
    if not can_read(uow, actor, unit):
        raise NotFound(f"单位 {code} 不存在或不在您的权限范围内 (unknown unit {code!r})", field="team")
    return unit


def managed_team(uow: DutyUnitOfWork, actor: Actor | None, code: str) -> Unit:
    unit = readable_team(uow, actor, code)
    if not can_manage(uow, actor, unit):
        raise NotAllowed(f"只有队长、上级单位或中心可以管理 {unit.name} 的排班和派单 "
                         f"(only the team leader, a unit above it or the center may do this)")
    return unit


def team_of(uow: DutyUnitOfWork, unit: Unit) -> Team:
    """The team's duty settings; a unit without any yet gets the defaults."""
    return uow.duty.team(unit.id) or Team(unit_id=unit.id)


def person(uow: DutyUnitOfWork, username: str, field: str = "username") -> dict:
    user = uow.duty.user(username=username)
    if user is None or not user["active"]:
        raise NotFound(f"用户 {username} 不存在 (unknown user {username!r})", field=field)
    return user


def member_of(uow: DutyUnitOfWork, unit: Unit, username: str, field: str = "username") -> tuple[dict, Member]:
    user = person(uow, username, field)
    m = uow.duty.member(user["id"])
    if m is None or m.team_unit_id != unit.id or not m.active:
        raise InvalidInput(f"{user['display_name'] or username} 不是 {unit.name} 的队员 "
                           f"({username} is not a member of {unit.code})", field=field)
    return user, m


def actor_of_user(user: dict) -> Actor:
    return Actor(user_id=user["id"], username=user["username"], role=Role(user["role"]), unit_id=user["unit_id"],
                 display_name=user.get("display_name") or "")


def tz_of(uow: DutyUnitOfWork) -> str:
    return uow.policies.calendar().tz


def local_day_start(now: datetime, tz: str) -> datetime:
    local = now.astimezone(ZoneInfo(tz))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def checked_window(start: datetime, end: datetime, max_days: int = 92) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("时间须带时区 (times must carry a time zone)", field="from")
    if end <= start:
        raise InvalidInput("结束时间须晚于开始时间 (to must be after from)", field="to")
    if end - start > timedelta(days=max_days):
        raise InvalidInput(f"查询跨度不能超过 {max_days} 天 (at most {max_days} days at a time)", field="to")
