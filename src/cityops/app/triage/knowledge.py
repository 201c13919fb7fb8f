"""Gazetteer, routing rules and the knowledge base (口径库): admin use cases and look-ups."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from ...domain.errors import InvalidInput, NotAllowed, NotFound
from ...domain.kb.importer import ImportResult
from ...domain.kb.model import KbEntry
from ...domain.org import UnitKind
from ...domain.roles import Actor, Role
from ...domain.routing import parse_gazetteer_csv, parse_rules, route

AREA_KINDS = (UnitKind.STREET, UnitKind.COMMITTEE, UnitKind.VILLAGE)


def _admin(actor: Actor | None, what: str) -> None:
    if actor is not None and actor.role != Role.ADMIN:
        raise NotAllowed(f"只有管理员可以维护{what} (only an admin may change this)")


# ------------------------------------------------------------------ gazetteer


def import_gazetteer(uow, actor: Actor | None, text: str, now: datetime) -> dict[str, Any]:
    """Replace the gazetteer with the good rows of a CSV; every bad row is reported. A file
    with no good row changes nothing."""
    _admin(actor, "地名库")
    with uow:
        committees = {u.code for u in uow.units.all() if u.kind in (UnitKind.COMMITTEE, UnitKind.VILLAGE)}
        entries, errors = parse_gazetteer_csv(text, known_committees=committees)
        report = {"imported": len(entries), "errors": [{"line": e.line, "field": e.field, "message": e.message}
                                                       for e in errors]}
        if not entries:
            return report
        uow.gazetteer.replace_all(entries, now)
        uow.audit.add(now, actor.user_id if actor else None, "gazetteer_imported", "gazetteer", "all",
                      {"entries": len(entries), "bad_rows": len(errors)})
        uow.commit()
    return report


def resolve_area(uow, address: str) -> dict[str, Any] | None:
    if not (address or "").strip():
        return None
    r = uow.gazetteer.gazetteer().resolve(address)
    names = {u.code: u.name for u in uow.units.all()}
    return {
        "committee": r.committee_code, "committee_name": names.get(r.committee_code),
        "street": r.street_code, "street_name": names.get(r.street_code), "method": r.method,
        "confidence": round(r.confidence, 3), "ambiguous": r.ambiguous,
        "alternatives": [{"committee": c.committee_code, "name": names.get(c.committee_code), "method": c.method}
                         for c in r.alternatives],
    }


# ------------------------------------------------------------------ routing rules


def _known(uow) -> dict[str, set[str]]:
    units = uow.units.all()
    return {"known_units": {u.code for u in units}, "known_areas": {u.code for u in units if u.kind in AREA_KINDS},
            "known_categories": set(uow.reference.category_names())}


def put_routing_rules(uow, actor: Actor, rules: Any, now: datetime) -> list[dict[str, Any]]:
    """Replace the routing rules (admin; every problem of every rule reported; audited)."""
    _admin(actor, "分拨规则")
    items = rules.get("rules") if isinstance(rules, dict) else rules
    if not isinstance(items, list):
        raise InvalidInput("规则须为列表 (rules must be a list)", field="rules")
    with uow:
        parse_rules(items, **_known(uow))  # raises RoutingRuleError naming each bad rule
        uow.routing.replace(items, actor.user_id, now)
        uow.audit.add(now, actor.user_id, "routing_rules_changed", "routing_rules", "all", {"rules": len(items)})
        uow.commit()
    return items


def suggest_unit(uow, category: str | None, area: dict | None, urgency: str | None) -> dict[str, Any] | None:
    if not category:
        return None
    s = route(category, (area or {}).get("committee"), (area or {}).get("street"), urgency, uow.routing.rules())
    if s is None:
        return None
    unit = uow.units.by_code(s.unit_code)
    return {"unit": s.unit_code, "unit_name": unit.name if unit else None, "rule_id": s.rule_id,
            "rule_name": s.rule_name, "explanation": s.explanation}


# ------------------------------------------------------------------ knowledge base

_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def kb_view(e: KbEntry, now: datetime) -> dict[str, Any]:
    return {"id": e.id, "version": e.version, "question": e.question, "answer": e.answer, "category": e.category,
            "keywords": list(e.keywords), "source": e.source, "valid_from": e.valid_from, "valid_to": e.valid_to,
            "valid_now": e.is_valid_at(now)}


def kb_search(uow, text: str, now: datetime, category: str | None = None, limit: int = 5) -> list[dict[str, Any]]:
    """Ranked answers valid now (expired or superseded versions are never returned)."""
    hits = uow.kb.index().search(text or "", now, category=category, limit=limit)
    return [kb_view(h.entry, now) | {"score": round(h.score, 3), "matched": list(h.matched_terms)} for h in hits]


def kb_create(uow, actor: Actor, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    _admin(actor, "口径库")
    key = str(data.get("id") or "").strip()
    if not _KEY.match(key):
        raise InvalidInput("编号须为 1–64 位字母、数字或 _ . - (id: letters, digits, _ . -)", field="id")
    with uow:
        if uow.kb.latest(key) is not None:
            raise InvalidInput(f"口径 {key} 已存在，请修订 (entry exists: revise it)", field="id")
        entry = _entry(key, 1, data, now).validated(set(uow.reference.category_names()))
        uow.kb.add_version(entry, actor.user_id, now)
        uow.audit.add(now, actor.user_id, "kb_created", "kb_entry", key, {"version": 1})
        uow.commit()
    return kb_view(entry, now)


def kb_revise(uow, actor: Actor, key: str, changes: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A new version, valid from now (or the given later date); the previous one closes then."""
    _admin(actor, "口径库")
    allowed = {"question", "answer", "category", "keywords", "source", "valid_to", "valid_from"}
    bad = set(changes) - allowed
    if bad:
        raise InvalidInput(f"不能修改 {sorted(bad)} (cannot change these fields)", field=sorted(bad)[0])
    with uow:
        current = uow.kb.latest(key)
        if current is None:
            raise NotFound(f"口径 {key} 不存在 (unknown entry)", field="id")
        merged = {**kb_view(current, now), **changes}
        start = merged["valid_from"] if "valid_from" in changes else now
        new = _entry(key, current.version + 1, merged | {"valid_from": start}, now)
        new = new.validated(set(uow.reference.category_names()))
        uow.kb.add_version(new, actor.user_id, now, close_previous_at=new.valid_from)
        uow.audit.add(now, actor.user_id, "kb_revised", "kb_entry", key, {"version": new.version})
        uow.commit()
    return kb_view(new, now)


def kb_expire(uow, actor: Actor, key: str, now: datetime) -> dict[str, Any]:
    """Withdraw an answer now: a final version that ends now, so it is never suggested again."""
    _admin(actor, "口径库")
    with uow:
        current = uow.kb.latest(key)
        if current is None:
            raise NotFound(f"口径 {key} 不存在 (unknown entry)", field="id")
        if current.valid_to is not None and current.valid_to <= now:
            return kb_view(current, now)
        ended = replace(current, version=current.version + 1, valid_from=min(current.valid_from, now), valid_to=now)
        uow.kb.add_version(ended, actor.user_id, now, close_previous_at=now)
        uow.audit.add(now, actor.user_id, "kb_expired", "kb_entry", key, {"version": ended.version})
        uow.commit()
    return kb_view(ended, now)


def kb_import(uow, actor: Actor | None, result: ImportResult, now: datetime) -> dict[str, Any]:
    """Store the good rows of an import (a new version when the id exists); report the bad ones."""
    _admin(actor, "口径库")
    added = revised = 0
    with uow:
        for e in result.entries:
            current = uow.kb.latest(e.id)
            if current is None:
                uow.kb.add_version(replace(e, version=max(e.version, 1)), actor.user_id if actor else None, now)
                added += 1
            elif (current.question, current.answer, current.valid_from, current.valid_to) != (
                    e.question, e.answer, e.valid_from, e.valid_to):
                uow.kb.add_version(replace(e, version=current.version + 1), actor.user_id if actor else None, now,
                                   close_previous_at=max(e.valid_from, current.valid_from))
                revised += 1
        uow.audit.add(now, actor.user_id if actor else None, "kb_imported", "kb_entry", "import",
                      {"added": added, "revised": revised, "bad_rows": len(result.errors)})
        uow.commit()
    return {"added": added, "revised": revised,
            "errors": [{"line": e.line, "field": e.field, "message": str(e)} for e in result.errors]}


def _entry(key: str, version: int, d: dict[str, Any], now: datetime) -> KbEntry:
    def when(v):
        if v is None or isinstance(v, datetime):
            return v
        try:
            return datetime.fromisoformat(str(v))
        except ValueError:
            raise InvalidInput(f"日期无效 {v!r} (bad date)", field="valid_from") from None
    kws = d.get("keywords") or ()
    if isinstance(kws, str):
        kws = [k for k in re.split(r"[,，、;；\s]+", kws) if k]
    return KbEntry(id=key, question=str(d.get("question") or ""), answer=str(d.get("answer") or ""),
                   category=str(d.get("category") or ""), valid_from=when(d.get("valid_from")) or now,
                   valid_to=when(d.get("valid_to")), source=str(d.get("source") or ""), version=version,
                   keywords=tuple(str(k) for k in kws))
