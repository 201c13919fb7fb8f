"""Shared by the passes use cases: who may do what, scope, the ruleset in force, the keys."""
from __future__ import annotations

import re
from datetime import datetime

from ...domain.errors import Conflict, InvalidInput, NotAllowed
from ...domain.passes.rules import DEFAULT_RULESET
from ...domain.roles import CENTER_ROLES, Actor, Role
from .ports import PassCrypto, PassesUnitOfWork

KEY_DAYS = {"pass": 400, "list": 3650}
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def require_admin(actor: Actor | None) -> None:
    """``None`` is the server's own command line (trusted)."""
    if actor is not None and actor.role != Role.ADMIN:
        raise NotAllowed("只有管理员可以维护区域、卡口、规则和密钥 (only an admin may change areas, checkpoints, rules and keys)")


def require_center(actor: Actor | None) -> None:
    if actor is not None and actor.role not in CENTER_ROLES:
        raise NotAllowed(f"角色「{actor.role}」无权查询通行记录 (only center roles may trace passes)")


def scope_path(uow: PassesUnitOfWork, actor: Actor | None) -> str | None:
    """None: the whole district; else the caller's unit subtree (a street office sees its own areas)."""
    if actor is None or actor.role in CENTER_ROLES:
        return None
    unit = uow.units.get(actor.unit_id)
    return unit.path if unit else "/-/"


def may_act_for_area(uow: PassesUnitOfWork, actor: Actor | None, area: dict) -> bool:
    if actor is None or actor.role in CENTER_ROLES:
        return True
    return actor.role == Role.UNIT_HANDLER and uow.units.is_within(area["unit_id"], actor.unit_id)


def checked_code(value: str, field: str = "code") -> str:
    v = (value or "").strip()
    if not CODE_RE.match(v):
        raise InvalidInput(f"代码只能用字母、数字和 _.-，最长64字符 (code: letters, digits, _.-; at most 64), {v!r}",
                           field=field)
    return v


def ruleset(uow: PassesUnitOfWork) -> tuple[int, dict]:
    """The ruleset in force: the newest saved one, or the shipped default (version 0)."""
    return uow.passes.ruleset() or (0, DEFAULT_RULESET)


def ensure_keys(uow: PassesUnitOfWork, crypto: PassCrypto, now: datetime) -> None:
    """A list key and an active pass key exist (the first issuance creates them). Inside a transaction."""
    keys = uow.passes.keys()
    for purpose in ("list", "pass"):
        if not any(k["purpose"] == purpose and k["status"] == "active" for k in keys):
            _create_key(uow, crypto, purpose, now)


def _create_key(uow: PassesUnitOfWork, crypto: PassCrypto, purpose: str, now: datetime) -> dict:
    subject = f"{crypto.issuer} {'pass signer' if purpose == 'pass' else 'list signer'} {now:%Y%m%d%H%M%S}"
    m = crypto.new_key(purpose, subject, now, KEY_DAYS[purpose])
    uow.passes.add_key({**m, "purpose": purpose, "status": "active", "created_at": now})
    return m


def active_key(uow: PassesUnitOfWork, crypto: PassCrypto, purpose: str, now: datetime) -> dict:
    ensure_keys(uow, crypto, now)
    for k in uow.passes.keys(purpose):
        if k["status"] == "active":
            return k
    raise Conflict("没有可用的签名密钥 (no active signing key)")
