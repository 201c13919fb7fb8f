"""Admin: areas (封控区), checkpoints (卡口), the eligibility ruleset, signing keys and their rollover."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ...domain.errors import Conflict, InvalidInput, NotFound
from ...domain.orders import lifecycle as lc
from ...domain.passes.rules import checked_ruleset
from ...domain.roles import Actor
from .common import _create_key, checked_code, ensure_keys, require_admin, ruleset
from .ports import PassCrypto, PassesUnitOfWork

AREA_KINDS = ("sealed", "controlled", "precaution")  # 封控区 · 管控区 · 防范区


def _actor_id(actor: Actor | None) -> int | None:
    return actor.user_id if actor else None


def _kind(kind: str) -> str:
    if kind not in AREA_KINDS:
        raise InvalidInput(f"区域类型应为 {'/'.join(AREA_KINDS)} (kind must be sealed, controlled or precaution)",
                           field="kind")
    return kind


def add_area(uow: PassesUnitOfWork, actor: Actor | None, *, code: str, name: str, kind: str, unit: str,
             manual_approval: bool, now: datetime) -> dict:
    require_admin(actor)
    code = checked_code(code)
    name = lc.checked_text(name, "name", limit=200)
    with uow:
        if uow.passes.area(code=code):
            raise Conflict(f"区域 {code} 已存在 (area exists)", field="code")
        u = uow.units.by_code(unit)
        if u is None:
            raise NotFound(f"单位 {unit} 不存在 (unknown unit)", field="unit")
        uow.passes.add_area({"code": code, "name": name, "kind": _kind(kind), "unit_id": u.id,
                             "manual_approval": bool(manual_approval), "active": True, "created_at": now})
        uow.audit.add(now, _actor_id(actor), "pass_area_added", "pass_area", code, {"kind": kind, "unit": unit})
        uow.commit()
        return area_out(uow.passes.area(code=code))


def update_area(uow: PassesUnitOfWork, actor: Actor | None, code: str, changes: dict[str, Any], now: datetime) -> dict:
    require_admin(actor)
    allowed = {"name", "kind", "manual_approval", "active", "unit"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"不能修改 {sorted(unknown)} (cannot change these fields)", field=sorted(unknown)[0])
    with uow:
        area = uow.passes.area(code=code)
        if area is None:
            raise NotFound(f"区域 {code} 不存在 (unknown area)", field="code")
        values: dict[str, Any] = {}
        if "name" in changes:
            values["name"] = lc.checked_text(changes["name"], "name", limit=200)
        if "kind" in changes:
            values["kind"] = _kind(changes["kind"])
        for flag in ("manual_approval", "active"):
            if flag in changes:
                if not isinstance(changes[flag], bool):
                    raise InvalidInput(f"{flag} 应为 true/false", field=flag)
                values[flag] = changes[flag]
        if "unit" in changes:
            u = uow.units.by_code(str(changes["unit"]))
            if u is None:
                raise NotFound(f"单位 {changes['unit']} 不存在 (unknown unit)", field="unit")
            values["unit_id"] = u.id
        if values:
            uow.passes.update_area(area["id"], values)
            uow.audit.add(now, _actor_id(actor), "pass_area_changed", "pass_area", code,
                          {k: v for k, v in changes.items()})
        uow.commit()
        return area_out(uow.passes.area(code=code))


def area_out(a: dict) -> dict:
    return {"code": a["code"], "name": a["name"], "kind": a["kind"], "unit": a.get("unit_code"),
            "unit_name": a.get("unit_name"), "manual_approval": a["manual_approval"], "active": a["active"]}


def list_areas(uow: PassesUnitOfWork, active_only: bool = True) -> list[dict]:
    with uow:
        return [area_out(a) for a in uow.passes.areas(active_only)]


def add_checkpoint(uow: PassesUnitOfWork, actor: Actor | None, *, code: str, name: str, area: str,
                   now: datetime) -> dict:
    require_admin(actor)
    code = checked_code(code)
    name = lc.checked_text(name, "name", limit=200)
    with uow:
        if uow.passes.checkpoint(code):
            raise Conflict(f"卡口 {code} 已存在 (checkpoint exists)", field="code")
        a = uow.passes.area(code=area)
        if a is None:
            raise NotFound(f"区域 {area} 不存在 (unknown area)", field="area")
        uow.passes.add_checkpoint({"code": code, "name": name, "area_id": a["id"], "active": True, "created_at": now})
        uow.audit.add(now, _actor_id(actor), "pass_checkpoint_added", "pass_checkpoint", code, {"area": area})
        uow.commit()
        return checkpoint_out(uow.passes.checkpoint(code))


def checkpoint_out(c: dict) -> dict:
    return {"code": c["code"], "name": c["name"], "area": c["area_code"], "area_name": c["area_name"],
            "active": c["active"]}


def list_checkpoints(uow: PassesUnitOfWork) -> list[dict]:
    with uow:
        return [checkpoint_out(c) for c in uow.passes.checkpoints() if c["active"]]


def get_ruleset(uow: PassesUnitOfWork) -> dict:
    with uow:
        version, body = ruleset(uow)
    return {"version": version, **body}


def save_ruleset(uow: PassesUnitOfWork, actor: Actor | None, body: Any, now: datetime) -> dict:
    """A new version of the eligibility rules (checked first); applications record the version they met."""
    require_admin(actor)
    clean = checked_ruleset({k: v for k, v in (body or {}).items() if k != "version"} if isinstance(body, dict)
                            else body)
    with uow:
        version = ruleset(uow)[0] + 1
        uow.passes.add_ruleset(version, clean, _actor_id(actor), now)
        uow.audit.add(now, _actor_id(actor), "pass_rules_saved", "pass_ruleset", str(version),
                      {"rules": [r["id"] for r in clean["rules"]]})
        uow.commit()
    return {"version": version, **clean}


def key_out(k: dict, crypto: PassCrypto) -> dict:
    """What may be shown of a key: never the private part."""
    return {"kid": k["kid"], "purpose": k["purpose"], "status": k["status"], "created_at": k["created_at"],
            "not_after": k["not_after"], "retired_at": k.get("retired_at"), "withdrawn_at": k.get("withdrawn_at"),
            "fingerprint": crypto.fingerprint(k["certificate"])}


def list_keys(uow: PassesUnitOfWork, crypto: PassCrypto, actor: Actor | None, now: datetime) -> list[dict]:
    require_admin(actor)
    with uow:
        ensure_keys(uow, crypto, now)
        uow.commit()
        return [key_out(k, crypto) for k in uow.passes.keys()]


def rotate_key(uow: PassesUnitOfWork, crypto: PassCrypto, actor: Actor | None, now: datetime) -> dict:
    """Rollover: a new pass key signs new passes; the old one is retired (its passes still verify)."""
    require_admin(actor)
    with uow:
        ensure_keys(uow, crypto, now)
        for k in uow.passes.keys("pass"):
            if k["status"] == "active":
                uow.passes.set_key_status(k["kid"], "retired", now)
        m = _create_key(uow, crypto, "pass", now)
        uow.audit.add(now, _actor_id(actor), "pass_key_rotated", "pass_key", m["kid"], {})
        uow.commit()
        return key_out(next(k for k in uow.passes.keys("pass") if k["kid"] == m["kid"]), crypto)


def withdraw_key(uow: PassesUnitOfWork, crypto: PassCrypto, actor: Actor | None, kid: str, now: datetime) -> dict:
    """Passes signed by a withdrawn key are denied (online at once, offline after the next key-list download)."""
    require_admin(actor)
    with uow:
        key = next((k for k in uow.passes.keys() if k["kid"] == kid), None)
        if key is None:
            raise NotFound(f"密钥 {kid} 不存在 (unknown key)", field="kid")
        if key["purpose"] != "pass":
            raise InvalidInput("名单签名密钥不能停用，只能轮换 (the list key is replaced, not withdrawn)", field="kid")
        if key["status"] == "active":
            raise Conflict("请先轮换密钥，再停用旧密钥 (rotate first: the active key cannot be withdrawn)", field="kid")
        if key["status"] != "withdrawn":
            uow.passes.set_key_status(kid, "withdrawn", now)
            uow.audit.add(now, _actor_id(actor), "pass_key_withdrawn", "pass_key", kid, {})
        uow.commit()
        return key_out(next(k for k in uow.passes.keys() if k["kid"] == kid), crypto)
