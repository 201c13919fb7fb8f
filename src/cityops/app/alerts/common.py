"""Shared by the alerts use cases: who may do what, the caller's scope, source secrets."""
from __future__ import annotations

import hashlib
import hmac

from ...domain.errors import NotAllowed
from ...domain.roles import CENTER_ROLES, Actor, Role
from ..ports import UnitOfWork

# The actor alert orders are created and resolved by (shown as 物联感知 on the timeline).
ALERT_ACTOR = Actor(user_id=0, username="alerts", role=Role.SUPERVISOR, unit_id=0, display_name="物联感知")


def require_admin(actor: Actor | None) -> None:
    """``None`` is the server's own command line (trusted, like ``cityops create-user``)."""
    if actor is not None and actor.role != Role.ADMIN:
        raise NotAllowed("只有管理员可以维护设备、来源和告警规则 (only an admin may change devices, sources and rules)")


def require_center(actor: Actor | None, roles=CENTER_ROLES) -> None:
    if actor is not None and actor.role not in roles:
        raise NotAllowed(f"角色「{actor.role}」无权访问 (this needs one of: {', '.join(sorted(roles))})")


def scope_path(uow: UnitOfWork, actor: Actor | None) -> str | None:
    """None: the whole district (center roles, the command line); else the caller's unit subtree."""
    if actor is None or actor.role in CENTER_ROLES:
        return None
    unit = uow.units.get(actor.unit_id)
    return unit.path if unit else "/-/"  # a unit that vanished sees nothing


def source_secret(server_key: str, code: str, salt: str) -> str:
    """A source's webhook secret, derived from the server's key: the database holds only the salt."""
    return hmac.new(server_key.encode(), f"alert-source|{code}|{salt}".encode(), hashlib.sha256).hexdigest()
