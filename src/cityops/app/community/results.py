"""Test results from the health side: incremental imports, unmatched people counted, and a
critical work order for every positive result (the committee handles it with the CDC)."""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ...domain.community.ledger import TAG_NAMES
from ...domain.community.results import POSITIVE, ResultRecord, parse_results
from ...domain.errors import DomainError
from ...domain.org import UnitKind
from ...domain.roles import Actor
from ..orders.usecases import NewOrder, create_order
from .common import COMMUNITY_ACTOR, hasher, require_results_role
from .ledger import _header_map

log = logging.getLogger(__name__)
CDC_SETTING = "community_cdc_unit"
# ledger tags → the order's special groups (the work-order core's codes)
SPECIAL_GROUPS = {"elderly_alone": "elderly", "bedridden": "patient", "pregnant": "pregnant", "infant": "child"}


def import_results(uow, actor: Actor | None, rows: Sequence[Sequence[object]], *, filename: str, sha256: str,
                   secret: str, now: datetime, header_map: Mapping[str, Sequence[str]] | None = None,
                   tz: str = "Asia/Shanghai", progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """检测结果导入: new results stored (same person, sample time and tube: once), results for
    people in no ledger kept and counted as unmatched, each new positive raises an order."""
    with uow:
        require_results_role(uow, actor)
        parsed = parse_results(rows, hash_id=hasher(secret), now=now, header_map=_header_map(uow, header_map),
                               tz=tz, progress=progress)
        earlier = uow.community.earlier_import("results", sha256)
        fresh = uow.community.insert_results(parsed.records, filename, now)
        known = uow.community.known_hashes([r.id_hash for r in fresh])
        counts = {"rows": parsed.rows, "imported": len(fresh),
                  "already_imported": len(parsed.records) - len(fresh) + parsed.duplicates_in_file,
                  "matched": sum(1 for r in fresh if r.id_hash in known),
                  "unmatched": sum(1 for r in fresh if r.id_hash not in known),
                  "positive": sum(1 for r in fresh if r.result == POSITIVE),
                  "bad_rows": len({e.line for e in parsed.errors})}
        report = [e.to_dict() for e in parsed.errors]
        import_id = uow.community.log_import("results", filename, sha256, None, counts, report,
                                             actor.user_id if actor else None, now)
        uow.audit.add(now, actor.user_id if actor else None, "community_results_imported", "import", str(import_id),
                      {"filename": filename[:200], **counts})
        uow.commit()
    orders = raise_positive_orders(uow, [r for r in fresh if r.result == POSITIVE], now, tz)
    out = {"import_id": import_id, **counts, "orders": orders, "errors": report}
    if earlier:
        out["imported_before"] = {"import_id": earlier["id"], "at": earlier["created_at"].isoformat(),
                                  "filename": earlier["filename"]}
    return out


def cdc_unit_code(uow) -> str | None:
    """The CDC's unit: the district setting, else a department named 疾控, else 卫健."""
    code = uow.reference.setting(CDC_SETTING)
    if code and uow.units.by_code(code):
        return code
    departments = [u for u in uow.units.all() if u.kind == UnitKind.DEPARTMENT and u.active]
    for word in ("疾控", "卫健", "卫生"):
        for u in departments:
            if word in u.name:
                return u.code
    return None


def positive_ref(rec: ResultRecord, tz: str) -> str:
    return f"POS-{rec.id_hash[:16]}-{rec.sample_time.astimezone(ZoneInfo(tz)):%Y%m%d}"


def raise_positive_orders(uow, positives: Sequence[ResultRecord], now: datetime, tz: str = "Asia/Shanghai") -> list[str]:
    """A critical order per positive person and sample day, dispatched to the committee with the CDC
    co-handling (the CDC alone for a person in no ledger). Exactly once: the order's reference."""
    numbers: list[str] = []
    for rec in positives:
        ref = positive_ref(rec, tz)
        with uow:
            done = uow.community.order_by_ref(ref)
            resident = uow.community.resident_by_hash(rec.id_hash)
            cdc = cdc_unit_code(uow)
        if done:
            continue
        local = rec.sample_time.astimezone(ZoneInfo(tz))
        if resident is not None:
            place = f"{resident['compound']}{resident['number']}号{resident['unit'] + '单元' if resident['unit'] else ''}{resident['room']}室"
            tags = [t for t in resident["tags"].split(",") if t]
            text = (f"核酸检测阳性：{resident['committee_name']} {place} 居民（{resident['id_masked']}），"
                    f"{local:%m-%d %H:%M} 在{rec.site or '采样点'}采样（{rec.test_type}，管码 {rec.tube_id or '—'}）。"
                    f"请居委会同疾控立即核实、落实管控和转运"
                    + (f"；特殊人群：{'、'.join(TAG_NAMES.get(t, t) for t in tags)}" if tags else "") + "。")
            cmd = NewOrder(text=text, channel="city_platform", urgency="critical", category="epi.testing",
                           caller_name=resident["name"], caller_phone=resident["phone"], address=place,
                           special_groups=tuple(dict.fromkeys(SPECIAL_GROUPS[t] for t in tags if t in SPECIAL_GROUPS)),
                           area_unit_code=resident["committee_code"], dispatch_to=resident["committee_code"],
                           co_units=(cdc,) if cdc else (), external_ref=ref,
                           note="居村微平台：阳性结果自动派单 (positive result: dispatched automatically)",
                           details={"community": {"kind": "positive", "resident_id": resident["id"],
                                                  "sample_time": rec.sample_time.isoformat(), "tube_id": rec.tube_id}})
        else:
            text = (f"核酸检测阳性，但不在任何居委台账中：{rec.name_masked or '姓名未知'}，{local:%m-%d %H:%M} 在"
                    f"{rec.site or '采样点'}采样（{rec.test_type}，管码 {rec.tube_id or '—'}）。请疾控流调确定住址。")
            cmd = NewOrder(text=text, channel="city_platform", urgency="critical", category="epi.testing",
                           dispatch_to=cdc, external_ref=ref,
                           note="居村微平台：阳性结果（台账未匹配）自动派单 (positive result, no ledger match)",
                           details={"community": {"kind": "positive_unmatched", "sample_time": rec.sample_time.isoformat(),
                                                  "tube_id": rec.tube_id, "site": rec.site}})
        try:
            numbers.append(create_order(uow, COMMUNITY_ACTOR, cmd, now).number)
        except DomainError as e:  # e.g. the category was removed: the result stays, the sweep retries
            log.warning("positive-result order not created (%s): %s", ref, e.message)
    return numbers
