"""Shared by the community use cases: who may do what, the caller's committees, the ID hash."""
from __future__ import annotations

from collections.abc import Callable

from ...domain.errors import NotAllowed, NotFound
from ...domain.org import UnitKind
from ...domain.people import id_hash
from ...domain.roles import CENTER_ROLES, Actor, Role

# The actor positive-result orders are created by (shown as 居村微平台 on the timeline).
COMMUNITY_ACTOR = Actor(user_id=0, username="community", role=Role.SUPERVISOR, unit_id=0, display_name="居村微平台")
ROUND_ROLES = frozenset({Role.SUPERVISOR, Role.COMMANDER, Role.ADMIN, Role.UNIT_HANDLER})
RESULT_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
HEALTH_KINDS = (UnitKind.DEPARTMENT, UnitKind.HOSPITAL)
COMMITTEE_KINDS = (UnitKind.COMMITTEE, UnitKind.VILLAGE)


def hasher(secret: str) -> Callable[[str], str]:
    """The keyed hash of a (valid, normalised) ID number, with the installation's secret."""
    return lambda number: id_hash(secret, number)


def scope_path(uow, actor: Actor | None) -> str | None:
    """None: the whole district (center roles, the server's command line); else the unit's subtree."""
    if actor is None or actor.role in CENTER_ROLES:
        return None
    if actor.role != Role.UNIT_HANDLER:
        raise NotAllowed(f"角色「{actor.role}」不能使用居村微平台 (this role has no access to the community registry)")
    unit = uow.units.get(actor.unit_id)
    return unit.path if unit else "/-/"


def committees_in_scope(uow, actor: Actor | None) -> list[int] | None:
    """The committees the caller sees (None: all). A department sees none."""
    path = scope_path(uow, actor)
    return None if path is None else uow.community.committee_ids(path)


def committee_for(uow, actor: Actor | None, code: str | None) -> int:
    """The committee the caller acts for: the given code (within scope) or the caller's own unit."""
    if code:
        unit = uow.units.by_code(code)
        if unit is None or unit.kind not in COMMITTEE_KINDS:
            raise NotFound(f"居委 {code} 不存在 (unknown committee {code!r})", field="committee")
    else:
        unit = uow.units.get(actor.unit_id) if actor else None
        if unit is None or unit.kind not in COMMITTEE_KINDS:
            raise NotFound("请指定居委编码 (give the committee code)", field="committee")
    path = scope_path(uow, actor)
    if path is not None and not unit.path.startswith(path):
        raise NotFound(f"居委 {unit.code} 不在您的权限范围内 (committee not in your scope)", field="committee")
    return unit.id


def require_results_role(uow, actor: Actor | None) -> None:
    """Results come from the health side: the district's supervisors/admins or a health unit's handlers."""
    if actor is None or actor.role in RESULT_ROLES:
        return
    unit = uow.units.get(actor.unit_id)
    if actor.role == Role.UNIT_HANDLER and unit is not None and unit.kind in HEALTH_KINDS:
        return
    raise NotAllowed("只有卫健部门或城运中心可以导入检测结果 (only the health side or the center may import results)")
