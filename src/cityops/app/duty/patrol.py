"""Patrol reports (巡查上报) and inspection sweeps (排查).

A member who finds a problem on patrol reports it with a photo, the place and a category: it
becomes an order on channel "patrol" (routed by the center like any other). An inspection
sweep is a checklist over a list of places — the seed's 1,638 street shops and 523 firms —
each checked once (ok, problem, unreachable); a problem becomes a patrol order linked to the
item; progress is counted from the items.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Protocol

from ...domain.duty.area import Area
from ...domain.duty.inspection import KINDS, PROBLEM, checked_places, checked_result, progress
from ...domain.errors import InvalidInput, NotAllowed, NotFound
from ...domain.orders.model import Channel, Event
from ...domain.roles import Actor
from ..orders import usecases as order_uc
from ..orders.attachments import ALLOWED_TYPES
from .common import can_manage, can_read, managed_team, team_of
from .ports import DutyUnitOfWork

MAX_PHOTOS = 5


class FileStore(Protocol):
    def put(self, sha256: str, data: bytes) -> None: ...


@dataclass(frozen=True)
class Photo:
    filename: str
    content_type: str
    data: bytes


def _check_photos(photos: Iterable[Photo], max_bytes: int) -> list[Photo]:
    photos = [p for p in photos if p.data or p.filename]
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(f"最多 {MAX_PHOTOS} 张照片 (at most {MAX_PHOTOS} photos)", field="photo")
    for p in photos:
        if p.content_type not in ALLOWED_TYPES or not p.content_type.startswith("image/"):
            raise InvalidInput(f"照片类型不支持 {p.content_type} (photos must be JPEG, PNG, WebP or HEIC)", field="photo")
        if not p.data:
            raise InvalidInput("照片为空 (the photo is empty)", field="photo")
        if len(p.data) > max_bytes:
            raise InvalidInput(f"照片超过 {max_bytes // (1024 * 1024)} MB (photo too large)", field="photo")
    return photos


def report_patrol(uow: DutyUnitOfWork, store: FileStore, actor: Actor, now: datetime, *, text: str,
                  category: str | None, address: str = "", lat: float | None = None, lng: float | None = None,
                  photos: Iterable[Photo] = (), max_bytes: int = 10 * 1024 * 1024, client_key: str | None = None,
                  urgency: str = "normal") -> dict[str, Any]:
    """A problem found on patrol → an order on channel "patrol", photos on it, the reporter's team
    recorded. A place outside the reporter's area is kept, with a warning."""
    if not (address or "").strip() and (lat is None or lng is None):
        raise InvalidInput("请填写地点或上报定位 (give the place: an address or a position)", field="address")
    photos = _check_photos(photos, max_bytes)
    with uow:
        member = uow.duty.member(actor.user_id)
        team_unit = uow.units.get(member.team_unit_id) if member else uow.units.get(actor.unit_id)
        team = team_of(uow, team_unit) if team_unit else None
    details = {"patrol": {"team": team_unit.code if team_unit else None, "reporter": actor.username}}
    order = order_uc.create_order(uow, actor, order_uc.NewOrder(
        text=text, channel=Channel.PATROL.value, urgency=urgency, category=category or None, address=address or "",
        lat=lat, lng=lng, details=details, client_key=client_key), now)
    warnings = []
    with uow:
        if team is not None and member is not None:
            area: Area = member.area_or(team)
            units = {order.area_unit_id} if order.area_unit_id else set()
            point = (order.lng, order.lat) if order.lat is not None and order.lng is not None else None
            if not area.empty and (units or point) and not area.covers(units, point, uow.units.is_within):
                warnings.append("上报地点不在本队负责区域内，已照常上报 (the place is outside your team's area; "
                                "reported anyway)")
        ids = []
        for p in photos:
            digest = hashlib.sha256(p.data).hexdigest()
            store.put(digest, p.data)
            name = (p.filename or "photo.jpg").strip().replace("/", "_").replace("\\", "_")[:200]
            ids.append(uow.attachments.add(order_id=order.id, filename=name, content_type=p.content_type,
                                           size=len(p.data), sha256=digest, uploaded_by=actor.user_id, uploaded_at=now))
        if ids or warnings:
            order_uc._record(uow, order, [Event(kind="patrol_reported", at=now, actor_id=actor.user_id,
                                                actor_unit_id=actor.unit_id, reason="；".join(warnings) or None,
                                                data={"team": details["patrol"]["team"], "attachment_ids": ids})])
        uow.commit()
    return {"number": order.number, "state": str(order.state), "channel": str(order.channel),
            "area_unit_id": order.area_unit_id, "attachments": ids, "warnings": warnings}


# ------------------------------------------------------------------------------------ inspections

def create_inspection(uow: DutyUnitOfWork, actor: Actor | None, team_code: str, title: str, kind: str,
                      places: Iterable[Any], now: datetime, due_at: datetime | None = None) -> dict[str, Any]:
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput("请填写排查任务名称（200 字以内） (title is required, at most 200 characters)", field="title")
    if kind not in KINDS:
        raise InvalidInput(f"排查对象类型须为 {KINDS} 之一 (kind must be one of {KINDS})", field="kind")
    good, errors = checked_places(places)
    if not good:
        raise InvalidInput(f"没有可用的地点（{len(errors)} 行有误） (no usable places; {len(errors)} bad rows)",
                           field="places")
    with uow:
        unit = managed_team(uow, actor, team_code)
        iid = uow.duty.add_inspection(unit.id, title, kind, due_at, good, actor.user_id if actor else None, now)
        uow.audit.add(now, actor.user_id if actor else None, "duty_inspection", "unit", unit.code,
                      {"inspection": iid, "places": len(good), "bad_rows": len(errors)})
        uow.commit()
    return {"id": iid, "team": unit.code, "title": title, "kind": kind, "added": len(good), "errors": errors}


def _inspection(uow: DutyUnitOfWork, actor: Actor | None, inspection_id: int) -> tuple[dict, Any]:
    ins = uow.duty.inspection(inspection_id)
    if ins is None:
        raise NotFound(f"排查任务 {inspection_id} 不存在 (unknown inspection)", field="inspection")
    unit = uow.units.get(ins["team_unit_id"])
    if not can_read(uow, actor, unit):
        raise NotFound(f"排查任务 {inspection_id} 不存在 (unknown inspection)", field="inspection")
    return ins, unit


def _summary(ins: dict, unit, counts: dict[str, int]) -> dict[str, Any]:
    return {"id": ins["id"], "title": ins["title"], "kind": ins["kind"], "team": unit.code, "team_name": unit.name,
            "due_at": ins["due_at"].isoformat() if ins["due_at"] else None,
            "created_at": ins["created_at"].isoformat(), "progress": progress(counts)}


def list_inspections(uow: DutyUnitOfWork, actor: Actor | None) -> list[dict[str, Any]]:
    with uow:
        rows = uow.duty.inspections(None)
        visible = []
        for ins in rows:
            unit = uow.units.get(ins["team_unit_id"])
            if unit is not None and can_read(uow, actor, unit):
                visible.append((ins, unit))
        counts = uow.duty.inspection_counts([i["id"] for i, _ in visible])
    return [_summary(ins, unit, counts[ins["id"]]) for ins, unit in visible]


def inspection_view(uow: DutyUnitOfWork, actor: Actor | None, inspection_id: int, *, result: str | None = None,
                    q: str | None = None, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    with uow:
        ins, unit = _inspection(uow, actor, inspection_id)
        counts = uow.duty.inspection_counts([inspection_id])[inspection_id]
        total, items = uow.duty.inspection_items(inspection_id, result or None, (q or "").strip() or None,
                                                 limit, offset)
        numbers = uow.duty.order_numbers(i["order_id"] for i in items if i["order_id"])
        names = uow.duty.user_names(i["checked_by"] for i in items if i["checked_by"])
    for i in items:
        i["order_number"] = numbers.get(i["order_id"], {}).get("number") if i["order_id"] else None
        i["checked_by_name"] = names.get(i["checked_by"]) if i["checked_by"] else None
    return {**_summary(ins, unit, counts), "total": total, "items": items}


def check_item(uow: DutyUnitOfWork, store: FileStore, actor: Actor, inspection_id: int, seq: int, result: str,
               now: datetime, *, note: str = "", category: str | None = None, photos: Iterable[Photo] = (),
               max_bytes: int = 10 * 1024 * 1024) -> dict[str, Any]:
    """Record one place's check. A problem becomes a patrol order (once per item) with the place
    and the note; a recheck updates the result and keeps the order."""
    result = checked_result(result)
    note = (note or "").strip()
    if len(note) > 1000:
        raise InvalidInput("说明不能超过 1000 字 (note: at most 1000 characters)", field="note")
    if result == PROBLEM and not note:
        raise InvalidInput("发现问题时请写明问题 (describe the problem)", field="note")
    with uow:
        ins, unit = _inspection(uow, actor, inspection_id)
        member = uow.duty.member(actor.user_id)
        mine = member is not None and member.team_unit_id == unit.id
        if not (mine or can_manage(uow, actor, unit)):
            raise NotAllowed("只有本队队员或管理者可以登记检查结果 (only the team records checks)")
        item = uow.duty.inspection_item(inspection_id, seq)
        if item is None:
            raise NotFound(f"排查任务中没有第 {seq} 项 (no item {seq})", field="seq")
    order_id, number, warnings = item["order_id"], None, []
    if result == PROBLEM and order_id is None:
        text = f"排查发现问题：{item['name']}" + (f"（{item['address']}）" if item["address"] else "") + f"：{note}"
        rep = report_patrol(uow, store, actor, now, text=text[:4000], category=category,
                            address=item["address"] or item["name"], lat=item["lat"], lng=item["lng"], photos=photos,
                            max_bytes=max_bytes, client_key=f"insp-{inspection_id}-{seq}")
        number, warnings = rep["number"], rep["warnings"]
        with uow:
            order_id = uow.orders.get(number, lock=False).id
    with uow:
        uow.duty.check_item(item["id"], result, note, actor.user_id, now, order_id)
        counts = uow.duty.inspection_counts([inspection_id])[inspection_id]
        uow.commit()
    return {"inspection": inspection_id, "seq": seq, "result": result, "order": number, "warnings": warnings,
            "progress": progress(counts)}
