"""Open311 discovery, services (categories) with their attributes, and API keys."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Any

from ...domain.errors import InvalidInput, NotAllowed, NotFound
from ...domain.roles import Actor, Role

from .common import DATATYPES, KEY_CHANNELS, LIST_TYPES, Open311Error, SPEC_URL


# ------------------------------------------------------------------ discovery, services


def discovery(base_url: str, contact: str = "") -> dict[str, Any]:
    return {
        "changeset": "2026-11-29T00:00:00+08:00",
        "contact": contact or "City operations center",
        "key_service": "API keys are issued by the city operations center's administrators.",
        "endpoints": [{"specification": SPEC_URL, "url": base_url, "changeset": "2026-11-29T00:00:00+08:00",
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }


def _service(row: dict[str, Any]) -> dict[str, Any]:
    group = row.get("parent_en") or row.get("parent_name") or ""
    keywords = [w for w in (row["name"], row["en"], row.get("parent_name")) if w]
    return {
        "service_code": row["code"],
        "service_name": row["en"] or row["name"],
        "description": row["about"] or row["name"],
        "metadata": bool(row["attributes"]),
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys(keywords)),
        "group": group,
    }


def list_services(uow) -> list[dict[str, Any]]:
    with uow:
        return [_service(r) for r in uow.open311.services()]


def _attribute(a: dict[str, Any], order: int) -> dict[str, Any]:
    return {
        "variable": bool(a["variable"]), "code": a["code"], "datatype": a["datatype"], "required": bool(a["required"]),
        "datatype_description": "", "order": order, "description": a["description"] or a["code"],
        "values": [{"key": str(v["key"]), "name": str(v["name"])} for v in (a["values"] or [])],
    }


def service_definition(uow, code: str) -> dict[str, Any]:
    with uow:
        if not any(s["code"] == code for s in uow.open311.services()):
            raise Open311Error(404, f"service_code {code!r} not found")
        attrs = uow.open311.attributes(code)
    return {"service_code": code, "attributes": [_attribute(a, i) for i, a in enumerate(attrs, 1)]}


# ------------------------------------------------------------------ API keys (admin)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _admin(actor: Actor | None) -> None:
    if actor is not None and actor.role != Role.ADMIN:
        raise NotAllowed("只有管理员可以管理 Open311 (only an admin may manage Open311 keys and attributes)")


def create_key(uow, actor: Actor | None, name: str, channel: str, now: datetime) -> dict[str, Any]:
    """A new API key for a third-party client; the key itself is returned once, only its hash is kept."""
    _admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("名称不能为空且不超过 100 字 (name is required, at most 100 characters)", field="name")
    if channel not in KEY_CHANNELS:
        raise InvalidInput(f"渠道须为 {', '.join(KEY_CHANNELS)} (channel must be one of {list(KEY_CHANNELS)})",
                           field="channel")
    key = "o311_" + secrets.token_urlsafe(30)
    actor_id = actor.user_id if actor else None
    with uow:
        kid = uow.open311.add_key(key_hash=_hash(key), prefix=key[:12], name=name, channel=channel,
                                  created_by=actor_id, now=now)
        uow.audit.add(now, actor_id, "api_key_created", "api_key", str(kid), {"name": name, "channel": channel})
        uow.commit()
    return {"id": kid, "key": key, "prefix": key[:12], "name": name, "channel": channel, "active": True,
            "created_at": now, "last_used_at": None}


def list_keys(uow, actor: Actor | None) -> list[dict[str, Any]]:
    _admin(actor)
    with uow:
        return uow.open311.keys()


def revoke_key(uow, actor: Actor | None, key_id: int, now: datetime) -> dict[str, Any]:
    _admin(actor)
    with uow:
        if not uow.open311.revoke_key(key_id):
            raise NotFound(f"API key {key_id} 不存在 (unknown API key)", field="id")
        uow.audit.add(now, actor.user_id if actor else None, "api_key_revoked", "api_key", str(key_id), {})
        uow.commit()
    return {"id": key_id, "active": False}


def authenticate_key(uow, api_key: str | None, now: datetime) -> dict[str, Any]:
    if not api_key:
        raise Open311Error(403, "api_key is required")
    with uow:
        key = uow.open311.key_by_hash(_hash(api_key))
        if key is None or not key["active"]:
            raise Open311Error(403, "Invalid api_key")
        uow.open311.touch_key(key["id"], now)
        uow.commit()
    return key


# ------------------------------------------------------------------ service attributes (admin)


def put_attributes(uow, actor: Actor | None, category: str, items: Any, now: datetime) -> list[dict[str, Any]]:
    """Replace a category's Open311 attributes (the extra fields its service asks for)."""
    _admin(actor)
    if not isinstance(items, list):
        raise InvalidInput("须为属性列表 (body must be a list of attributes)", field="attributes")
    rows, seen = [], set()
    for i, a in enumerate(items):
        where = f"attributes[{i}]"
        if not isinstance(a, dict):
            raise InvalidInput(f"{where} 须为对象 (must be an object)", field=where)
        code = str(a.get("code") or "").strip()
        if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", code):
            raise InvalidInput(f"{where}.code 须为 1–64 位字母数字 (code: 1–64 letters, digits, _ . -)", field=where)
        if code in seen:
            raise InvalidInput(f"{where}.code {code} 重复 (duplicate code)", field=where)
        seen.add(code)
        datatype = a.get("datatype")
        if datatype not in DATATYPES:
            raise InvalidInput(f"{where}.datatype 须为 {', '.join(DATATYPES)} (unknown datatype)", field=where)
        values = a.get("values") or []
        if not isinstance(values, list):
            raise InvalidInput(f"{where}.values 须为列表 (values must be a list)", field=where)
        clean_values, keys = [], set()
        for v in values:
            if not isinstance(v, dict) or not str(v.get("key", "")).strip() or not str(v.get("name", "")).strip():
                raise InvalidInput(f"{where}.values 每项须有 key 和 name (each value needs key and name)", field=where)
            k = str(v["key"]).strip()
            if k in keys:
                raise InvalidInput(f"{where}.values 的 key {k} 重复 (duplicate value key)", field=where)
            keys.add(k)
            clean_values.append({"key": k, "name": str(v["name"]).strip()[:200]})
        if datatype in LIST_TYPES and not clean_values:
            raise InvalidInput(f"{where}: {datatype} 须有有序的 values (list types need ordered values)", field=where)
        if datatype not in LIST_TYPES and clean_values:
            raise InvalidInput(f"{where}: 只有列表类型可以有 values (only list types take values)", field=where)
        description = str(a.get("description") or "").strip()
        if len(description) > 500:
            raise InvalidInput(f"{where}.description 超过 500 字 (description too long)", field=where)
        rows.append({"code": code, "datatype": datatype, "required": bool(a.get("required", False)),
                     "variable": bool(a.get("variable", True)), "description": description, "position": i + 1,
                     "values": clean_values})
    with uow:
        if uow.reference.category(category) is None:
            raise NotFound(f"类别 {category} 不存在 (unknown category)", field="category")
        uow.open311.replace_attributes(category, rows)
        uow.audit.add(now, actor.user_id if actor else None, "service_attributes_changed", "category", category,
                      {"attributes": [r["code"] for r in rows]})
        uow.commit()
        return uow_attributes(rows)


def uow_attributes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: r[k] for k in ("code", "datatype", "required", "variable", "description", "position", "values")}
            for r in rows]


def get_attributes(uow, category: str) -> list[dict[str, Any]]:
    with uow:
        if uow.reference.category(category) is None:
            raise NotFound(f"类别 {category} 不存在 (unknown category)", field="category")
        return uow_attributes(uow.open311.attributes(category))
