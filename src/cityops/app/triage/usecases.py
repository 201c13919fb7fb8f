"""Triage use cases: suggestions at intake, recording what the operator confirmed, retraining,
editing the rules, and hot spots."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from ...domain.errors import InvalidInput, NotAllowed
from ...domain.roles import HANDLING_ROLES, Actor, Role
from ...domain.triage.duplicates import Candidate, rank_duplicates
from ...domain.triage.engine import Triage
from ...domain.triage.ruledoc import ShippedChanges, shipped_changes, take_shipped
from ...domain.triage.rules import RuleSet
from . import knowledge

DUPLICATE_WINDOW = timedelta(hours=72)
MAX_TEXT = 4000


class EngineSource(Protocol):
    def engine(self, version: str | None, rules_data: Any | None): ...
    def retrain(self, corrections) -> tuple[str, int, int]: ...
    def shipped_rules(self) -> Any: ...


def triage_dict(t: Triage, names: dict[str, str]) -> dict[str, Any]:
    return {
        "category": [{"code": c, "name": names.get(c, c), "score": round(p, 3)} for c, p in t.category],
        "urgency": t.urgency, "urgency_score": round(t.urgency_score, 3), "urgency_reasons": list(t.urgency_reasons),
        "special_groups": [{"code": g.code, "triggers": list(g.triggers), "source": g.source} for g in t.special_groups],
        "low_confidence": t.low_confidence, "notes": list(t.notes), "model_version": t.model_version,
    }


def suggest(uow, engines: EngineSource, text: str, now: datetime, *, address: str = "",
            actor: Actor | None = None) -> dict[str, Any]:
    """Everything the operator is offered for the typed text and address, together. Possible
    duplicates are drawn from the whole district, so only center roles are shown them."""
    text = (text or "")[:MAX_TEXT]
    with uow:
        engine = engines.engine(uow.triage.active_version(), uow.triage.rules())
        t = engine.triage(text)
        names = uow.reference.category_names()
        out = triage_dict(t, names)
        top = t.top_category
        area = knowledge.resolve_area(uow, address)
        out["area"] = area
        out["unit"] = knowledge.suggest_unit(uow, top, area, t.urgency)
        area_unit = uow.units.by_code(area["committee"]) if area and area.get("committee") else None
        pool = [Candidate(c["number"], c["text"], c["address"], c["category"], c["area_unit_id"])
                for c in uow.triage.open_candidates(now - DUPLICATE_WINDOW)]
        out["duplicates"] = [h.__dict__ for h in rank_duplicates(
            text, address, top, area_unit.id if area_unit else None, pool)] \
            if text.strip() and (actor is None or actor.role not in HANDLING_ROLES) else []
        out["knowledge"] = knowledge.kb_search(uow, text, now, category=top, limit=3)
    return out


def record_suggestion(uow, order_id: int, suggestion: dict[str, Any], category: str | None, urgency: str,
                      special_groups: tuple[str, ...], now: datetime) -> bool:
    """Store what triage suggested beside what the operator chose (inside the intake transaction)."""
    if not isinstance(suggestion, dict):
        raise InvalidInput("suggestion 必须是对象 (suggestion must be an object)", field="suggestion")
    return uow.triage.record(order_id, suggestion, category, urgency, special_groups, now)


def retrain(uow, engines: EngineSource, actor: Actor | None, now: datetime) -> dict[str, Any]:
    """A new model version from the shipped corpus plus every operator-confirmed order; it
    becomes the active version (recorded on every suggestion from then on)."""
    if actor is not None and actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise NotAllowed("只有管理员或督办员可以重新训练 (only an admin or supervisor may retrain)")
    with uow:
        examples = uow.triage.confirmed_examples()
    corrected = sum(1 for e in examples if e.pop("corrected"))
    version, n, extra = engines.retrain(examples)
    with uow:
        uow.triage.add_model(version, n, extra, {"confirmed": extra, "corrected": corrected},
                             actor.user_id if actor else None, now)
        uow.audit.add(now, actor.user_id if actor else None, "triage_retrained", "triage_model", version,
                      {"examples": n, "confirmed": extra, "corrected": corrected})
        uow.commit()
    return {"version": version, "examples": n, "confirmed": extra, "corrected": corrected}


def get_rules(uow, engines: EngineSource) -> Any:
    with uow:
        return uow.triage.rules() or engines.shipped_rules()


def _admin_only(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed("只有管理员可以修改分拨规则 (only an admin may edit triage rules)")


def _store_rules(uow, actor: Actor, data: Any, now: datetime, detail: dict[str, Any] | None = None) -> Any:
    clean = RuleSet.from_data(data).to_data()  # raises with the id of the bad rule
    with uow:
        uow.triage.set_rules(clean, actor.user_id, now)
        uow.audit.add(now, actor.user_id, "triage_rules_changed", "triage_rules", "rules",
                      {"rules": len(clean.get("rules", [])), **(detail or {})})
        uow.commit()
    return clean


def put_rules(uow, actor: Actor, data: Any, now: datetime) -> Any:
    """Replace the urgency / special-group rules (admin; validated; audited)."""
    _admin_only(actor)
    return _store_rules(uow, actor, data, now)


def shipped_rule_changes(uow, engines: EngineSource) -> dict[str, Any]:
    """Where the shipped rules differ from an admin's saved copy (nothing when none is saved)."""
    with uow:
        saved = uow.triage.rules()
    shipped = engines.shipped_rules()
    changes = shipped_changes(saved, shipped) if saved else ShippedChanges((), (), (), ())
    return {"source": "saved" if saved else "shipped", "in_force_version": (saved or shipped).get("version", ""),
            "shipped_version": shipped.get("version", ""), "any": changes.any, **changes.to_dict()}


def take_shipped_rules(uow, actor: Actor, engines: EngineSource, ids: Any, lists: Any, now: datetime) -> Any:
    """Bring the chosen shipped rules and marker lists into the admin's saved copy (admin; audited)."""
    _admin_only(actor)
    if not isinstance(ids, list) or not isinstance(lists, list):
        raise InvalidInput("ids 和 lists 须为列表 (ids and lists must be lists of names)")
    if not ids and not lists:
        raise InvalidInput("请至少选择一条出厂规则或一个列表 (choose at least one shipped rule or list)")
    with uow:
        saved = uow.triage.rules()
    if not saved:
        raise InvalidInput("出厂规则已在使用，没有可合并的副本 (no saved copy: the shipped rules are in force)")
    merged = take_shipped(saved, engines.shipped_rules(), ids, lists)
    return _store_rules(uow, actor, merged, now, {"taken_from_shipped": [*map(str, ids), *map(str, lists)]})
