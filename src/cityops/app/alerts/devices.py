"""Registry of webhook sources and devices (admin), and the scoped device list."""
from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime
from typing import Any

from ...domain.alerts.devices import (Device, checked_code, checked_kind, checked_place_kind, checked_tags)
from ...domain.errors import Conflict, InvalidInput, NotFound
from ...domain.orders import lifecycle as lc
from ...domain.roles import Actor
from .common import require_admin, scope_path, source_secret
from .ports import AlertsUnitOfWork


def create_source(uow: AlertsUnitOfWork, actor: Actor | None, code: str, name: str, server_key: str,
                  now: datetime) -> dict[str, Any]:
    """A webhook sender (video platform). Its secret is returned once; only a salt is stored."""
    require_admin(actor)
    code = checked_code(code)
    name = lc.checked_text(name, "name", limit=100)
    salt = secrets.token_hex(16)
    with uow:
        if uow.alerts.source(code) is not None:
            raise Conflict(f"来源 {code} 已存在 (source {code} exists)", field="code")
        src = uow.alerts.add_source(code, name, salt, now)
        uow.audit.add(now, actor.user_id if actor else None, "alert_source_created", "alert_source", code, {"name": name})
        uow.commit()
    return {"id": src["id"], "code": code, "name": name, "secret": source_secret(server_key, code, salt)}


def rotate_source(uow: AlertsUnitOfWork, actor: Actor | None, code: str, server_key: str, now: datetime) -> dict:
    """A new secret for a source; the old one stops working at once."""
    require_admin(actor)
    salt = secrets.token_hex(16)
    with uow:
        src = uow.alerts.source(code)
        if src is None:
            raise NotFound(f"来源 {code} 不存在 (unknown source)", field="code")
        uow.alerts.update_source(src["id"], salt=salt)
        uow.audit.add(now, actor.user_id if actor else None, "alert_source_rotated", "alert_source", code, {})
        uow.commit()
    return {"code": code, "secret": source_secret(server_key, code, salt)}


def list_sources(uow: AlertsUnitOfWork, actor: Actor | None) -> list[dict]:
    require_admin(actor)
    with uow:
        return [{k: s[k] for k in ("id", "code", "name", "active", "created_at")} for s in uow.alerts.sources()]


def _unit_id(uow: AlertsUnitOfWork, code: str) -> int:
    unit = uow.units.by_code(code)
    if unit is None or not unit.active:
        raise NotFound(f"单位 {code} 不存在 (unknown unit {code!r})", field="unit")
    return unit.id


def _source_id(uow: AlertsUnitOfWork, code: str | None) -> int | None:
    if not code:
        return None
    src = uow.alerts.source(code)
    if src is None:
        raise NotFound(f"来源 {code} 不存在 (unknown source {code!r})", field="source")
    return src["id"]


def register_device(uow: AlertsUnitOfWork, actor: Actor | None, *, code: str, kind: str, name: str, unit: str,
                    now: datetime, place: str = "", place_kind: str = "other", tags=(), lat: float | None = None,
                    lng: float | None = None, source: str | None = None) -> Device:
    require_admin(actor)
    device = Device(code=checked_code(code), kind=checked_kind(kind), name=lc.checked_text(name, "name", limit=100),
                    unit_id=0, place=lc.checked_text(place, "place", required=False, limit=300),
                    place_kind=checked_place_kind(place_kind), tags=checked_tags(tags),
                    lat=lc.checked_coordinate(lat, -90, 90, "lat"), lng=lc.checked_coordinate(lng, -180, 180, "lng"))
    with uow:
        if uow.alerts.device(device.code) is not None:
            raise Conflict(f"设备 {device.code} 已登记 (device {device.code} is already registered)", field="code")
        device = replace(device, unit_id=_unit_id(uow, unit), source_id=_source_id(uow, source))
        saved = uow.alerts.add_device(device, now)
        uow.audit.add(now, actor.user_id if actor else None, "alert_device_registered", "alert_device", device.code,
                      {"kind": str(device.kind), "unit": unit})
        uow.commit()
        return saved


EDITABLE = ("name", "unit", "place", "place_kind", "tags", "lat", "lng", "source", "active")


def update_device(uow: AlertsUnitOfWork, actor: Actor | None, code: str, changes: dict[str, Any],
                  now: datetime) -> Device:
    require_admin(actor)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"不能修改字段 {unknown}；可修改 {list(EDITABLE)} (fields not editable)", field=unknown[0])
    with uow:
        d = uow.alerts.device(code)
        if d is None:
            raise NotFound(f"设备 {code} 不存在 (unknown device)", field="code")
        c = changes
        if "active" in c and not isinstance(c["active"], bool):
            raise InvalidInput("active 必须是 true 或 false (active must be a boolean)", field="active")
        d = replace(
            d, name=lc.checked_text(c["name"], "name", limit=100) if "name" in c else d.name,
            unit_id=_unit_id(uow, c["unit"]) if "unit" in c else d.unit_id,
            place=lc.checked_text(c["place"], "place", required=False, limit=300) if "place" in c else d.place,
            place_kind=checked_place_kind(c["place_kind"]) if "place_kind" in c else d.place_kind,
            tags=checked_tags(c["tags"]) if "tags" in c else d.tags,
            lat=lc.checked_coordinate(c["lat"], -90, 90, "lat") if "lat" in c else d.lat,
            lng=lc.checked_coordinate(c["lng"], -180, 180, "lng") if "lng" in c else d.lng,
            source_id=_source_id(uow, c["source"]) if "source" in c else d.source_id,
            active=c.get("active", d.active))
        saved = uow.alerts.save_device(d, now)
        uow.audit.add(now, actor.user_id if actor else None, "alert_device_updated", "alert_device", code,
                      {k: v for k, v in c.items() if k not in ("lat", "lng")})
        uow.commit()
        return saved


def list_devices(uow: AlertsUnitOfWork, actor: Actor | None, kind: str | None = None, limit: int = 100,
                 offset: int = 0) -> dict[str, Any]:
    """Devices of the caller's scope (a unit sees its own and those below it), with their open alerts."""
    with uow:
        return uow.alerts.list_devices(scope_path(uow, actor), kind, limit, offset)
