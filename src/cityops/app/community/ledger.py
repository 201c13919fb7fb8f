"""The resident ledger: building registers, ledger imports (idempotent), lists, reveal."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ...domain.community.ledger import MOVED_OUT, BuildingIndex, building_number, parse_ledger
from ...domain.community.sheet import RowError, cell_text, find_header, is_blank, merge_aliases
from ...domain.errors import InvalidInput, NotAllowed, NotFound
from ...domain.roles import REVEAL_ROLES, Actor
from .common import committee_for, committees_in_scope, hasher, scope_path

BUILDING_COLUMNS = {"committee": ("居委编码", "committee", "居委", "居村编码"),
                    "compound": ("小区", "compound", "小区名称"),
                    "building": ("楼号", "building", "楼栋", "幢号", "栋")}
HEADER_MAP_SETTING = "community_header_map"


def _header_map(uow, extra: Mapping[str, Sequence[str]] | None) -> dict[str, list[str]]:
    """The district's configured column names plus the caller's, per field."""
    out: dict[str, list[str]] = {}
    for source in (uow.reference.setting(HEADER_MAP_SETTING) or {}, extra or {}):
        if not isinstance(source, Mapping):
            raise InvalidInput("表头映射须为 {字段: [列名…]} (the header map is {field: [column names]})", field="header_map")
        for k, v in source.items():
            out.setdefault(str(k), []).extend([v] if isinstance(v, str) else [str(x) for x in v])
    return out


def add_buildings(uow, actor: Actor | None, committee_code: str | None, items: Sequence[tuple[str, str]],
                  now: datetime) -> dict[str, Any]:
    """Add buildings (compound, number) to a committee's register; existing ones are kept."""
    with uow:
        cid = committee_for(uow, actor, committee_code)
        added = 0
        for compound, number in items:
            num = building_number(number)
            if not num:
                raise InvalidInput("楼号为空 (a building number is empty)", field="number")
            added += uow.community.add_building(cid, cell_text(compound)[:100], num[:32], now)[1]
        uow.audit.add(now, actor.user_id if actor else None, "community_buildings_added", "unit", str(cid),
                      {"added": added, "given": len(items)})
        uow.commit()
    return {"committee_id": cid, "added": added, "existing": len(items) - added}


def import_buildings(uow, actor: Actor | None, rows: Sequence[Sequence[object]], now: datetime,
                     committee_code: str | None = None) -> dict[str, Any]:
    """A building register file: 居委编码 (unless given), 小区 (optional), 楼号."""
    errors: list[RowError] = []
    with uow:
        default = committee_for(uow, actor, committee_code) if committee_code or _own_committee(uow, actor) else None
        allowed = committees_in_scope(uow, actor)
        codes = uow.community.committee_codes()
        head, index = find_header(rows, merge_aliases(BUILDING_COLUMNS, None), ("building",))
        if head < 0 or "building" not in index or (default is None and "committee" not in index):
            raise InvalidInput("楼栋名册须有“楼号”列（以及“居委编码”列）(the register needs building and committee columns)",
                               field="file")
        added = existing = 0
        for n in range(head + 1, len(rows)):
            row = rows[n]
            if is_blank(row):
                continue
            cells = {f: cell_text(row[i]) if i < len(row) else "" for f, i in index.items()}
            cid = codes.get(cells.get("committee", "")) if cells.get("committee") else default
            num = building_number(cells.get("building", ""))
            if cid is None or (allowed is not None and cid not in allowed):
                errors.append(RowError(n + 1, "committee", "unknown_committee", f"居委编码“{cells.get('committee', '')}”不存在或不在权限范围内",
                                       "unknown committee code (or not in your scope)"))
                continue
            if not num:
                errors.append(RowError(n + 1, "building", "empty_building", "楼号为空", "the building is empty"))
                continue
            _, new = uow.community.add_building(cid, cells.get("compound", "")[:100], num[:32], now)
            added += new
            existing += not new
        uow.audit.add(now, actor.user_id if actor else None, "community_buildings_imported", "unit", str(default or ""),
                      {"added": added, "existing": existing, "bad_rows": len(errors)})
        uow.commit()
    return {"added": added, "existing": existing, "errors": [e.to_dict() for e in errors]}


def list_buildings(uow, actor: Actor | None, committee_code: str | None = None) -> list[dict]:
    with uow:
        ids = [committee_for(uow, actor, committee_code)] if committee_code else committees_in_scope(uow, actor)
        return [{"id": b.id, "committee_id": b.committee_id, "compound": b.compound, "number": b.number}
                for b in uow.community.buildings(ids)]


def import_ledger(uow, actor: Actor | None, rows: Sequence[Sequence[object]], *, filename: str, sha256: str,
                  secret: str, now: datetime, committee_code: str | None = None,
                  header_map: Mapping[str, Sequence[str]] | None = None, tz: str = "Asia/Shanghai",
                  progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """居民台账导入: every bad row reported, good rows kept; importing again updates, never doubles.

    A resident is the same person when the ID number is (its keyed hash). A person already in
    another committee's ledger is refused (moved-out residents move over)."""
    with uow:
        default = committee_for(uow, actor, committee_code) if committee_code or _own_committee(uow, actor) else None
        allowed = committees_in_scope(uow, actor)
        committees = uow.community.committee_codes()
        if allowed is not None:
            committees = {k: v for k, v in committees.items() if v in set(allowed)}
        index = BuildingIndex(uow.community.buildings(allowed))
        parsed = parse_ledger(rows, hash_id=hasher(secret), buildings=index, committees=committees,
                              default_committee=default, header_map=_header_map(uow, header_map), tz=tz,
                              progress=progress)
        earlier = uow.community.earlier_import("ledger", sha256)
        existing = uow.community.existing_by_hash([r.id_hash for r in parsed.records])
        good, errors = [], list(parsed.errors)
        for rec in parsed.records:
            old = existing.get(rec.id_hash)
            if old is not None and old["committee_id"] != rec.committee_id and old["status"] != MOVED_OUT:
                unit = uow.units.get(old["committee_id"])
                errors.append(RowError(rec.line, "id_number", "registered_elsewhere",
                                       f"此人已登记在{unit.name if unit else '其他居委'}（如已搬离，请先在原居委标记“已搬离”）",
                                       "this person is in another committee's ledger (mark them moved out there first)"))
            else:
                good.append(rec)
        added, updated, unchanged = uow.community.upsert_residents(good, existing, filename, now)
        errors.sort(key=lambda e: e.line)
        counts = {"rows": parsed.rows, "added": added, "updated": updated, "unchanged": unchanged,
                  "bad_rows": len({e.line for e in errors})}
        report = [e.to_dict() for e in errors]
        import_id = uow.community.log_import("ledger", filename, sha256, default, counts, report,
                                             actor.user_id if actor else None, now)
        uow.audit.add(now, actor.user_id if actor else None, "community_ledger_imported", "import", str(import_id),
                      {"filename": filename[:200], **counts})
        uow.commit()
    out = {"import_id": import_id, **counts, "errors": report}
    if earlier:
        out["imported_before"] = {"import_id": earlier["id"], "at": earlier["created_at"].isoformat(),
                                  "filename": earlier["filename"]}
    return out


def _own_committee(uow, actor: Actor | None) -> bool:
    if actor is None:
        return False
    unit = uow.units.get(actor.unit_id)
    return unit is not None and unit.kind in ("committee", "village") and scope_path(uow, actor) is not None


def list_residents(uow, actor: Actor | None, *, committee_code: str | None = None, building_id: int | None = None,
                   status: str | None = None, tag: str | None = None, q: str | None = None, limit: int = 100,
                   offset: int = 0) -> dict:
    """Residents in scope, names and phones masked."""
    with uow:
        ids = [committee_for(uow, actor, committee_code)] if committee_code else committees_in_scope(uow, actor)
        if ids is None:
            ids = uow.community.committee_ids(None)
        return uow.community.residents(ids, building_id, status, tag, q, limit, offset)


def reveal_resident(uow, actor: Actor, resident_id: int, now: datetime, purpose: str = "") -> dict[str, str]:
    """A resident's full name and phone, to call them; every reveal is audited."""
    if actor.role not in REVEAL_ROLES:
        raise NotAllowed(f"角色「{actor.role}」不能查看完整个人信息 (role may not reveal personal data)")
    with uow:
        r = uow.community.resident(resident_id)
        path = scope_path(uow, actor)
        if r is None or (path is not None and not r["committee_path"].startswith(path)):
            raise NotFound(f"居民 {resident_id} 不存在或不在您的权限范围内 (resident not found)", field="resident_id")
        uow.audit.add(now, actor.user_id, "reveal_resident", "resident", str(resident_id),
                      {"purpose": purpose[:200], "role": str(actor.role), "unit_id": actor.unit_id})
        uow.commit()
    return {"name": r["name"], "phone": r["phone"]}
