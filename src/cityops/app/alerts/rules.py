"""Alert rules: list, create, replace, (de)activate — admin, audited — and a dry run that
replays recent events through a draft rule to show what it would have done."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from ...domain.alerts import dedup
from ...domain.alerts.rules import Rule
from ...domain.errors import InvalidInput, NotFound
from ...domain.roles import Actor, Role
from .common import require_admin, require_center
from .ports import AlertsUnitOfWork


def _checked(uow: AlertsUnitOfWork, body: Any, **ids) -> Rule:
    rule = Rule.from_dict(body, **ids)
    if rule.category is not None and not uow.catalog.category_exists(rule.category):
        raise NotFound(f"未知类别 {rule.category!r} (unknown category)", field="category")
    if rule.assignee_unit is not None:
        unit = uow.units.by_code(rule.assignee_unit)
        if unit is None or not unit.active:
            raise NotFound(f"单位 {rule.assignee_unit} 不存在 (unknown unit)", field="assignee.unit")
    return rule


def list_rules(uow: AlertsUnitOfWork, actor: Actor | None) -> list[dict[str, Any]]:
    require_center(actor)
    with uow:
        return [r.to_dict() for r in uow.alerts.all_rules()]


def create_rule(uow: AlertsUnitOfWork, actor: Actor | None, body: Any, now: datetime) -> dict[str, Any]:
    require_admin(actor)
    with uow:
        rule = uow.alerts.add_rule(_checked(uow, body), actor.user_id if actor else None, now)
        uow.audit.add(now, actor.user_id if actor else None, "alert_rule_created", "alert_rule", str(rule.id),
                      rule.to_dict())
        uow.commit()
        return rule.to_dict()


def replace_rule(uow: AlertsUnitOfWork, actor: Actor | None, rule_id: int, body: Any, now: datetime) -> dict[str, Any]:
    """Replace a rule's body; its dedup tracks (open orders, flap state) carry on."""
    require_admin(actor)
    with uow:
        old = uow.alerts.rule(rule_id)
        if old is None:
            raise NotFound(f"规则 {rule_id} 不存在 (unknown rule)", field="rule_id")
        if isinstance(body, dict) and body.get("event_type", old.event_type) != old.event_type:
            raise InvalidInput("不能修改规则的触发事件类型，请新建规则 (event_type cannot change; create a new rule)",
                               field="event_type")
        rule = uow.alerts.save_rule(_checked(uow, body, id=rule_id, version=old.version + 1),
                                    actor.user_id if actor else None, now)
        uow.audit.add(now, actor.user_id if actor else None, "alert_rule_replaced", "alert_rule", str(rule_id),
                      {"before": old.to_dict(), "after": rule.to_dict()})
        uow.commit()
        return rule.to_dict()


def set_rule_active(uow: AlertsUnitOfWork, actor: Actor | None, rule_id: int, active: bool,
                    now: datetime) -> dict[str, Any]:
    require_admin(actor)
    with uow:
        old = uow.alerts.rule(rule_id)
        if old is None:
            raise NotFound(f"规则 {rule_id} 不存在 (unknown rule)", field="rule_id")
        body = old.to_dict() | {"active": active}
        rule = uow.alerts.save_rule(Rule.from_dict(body, id=rule_id, version=old.version + 1),
                                    actor.user_id if actor else None, now)
        uow.audit.add(now, actor.user_id if actor else None, "alert_rule_" + ("enabled" if active else "disabled"),
                      "alert_rule", str(rule_id), {})
        uow.commit()
        return rule.to_dict()


def dry_run(uow: AlertsUnitOfWork, actor: Actor | None, body: Any, now: datetime, *, hours: int = 24,
            limit: int = 5000, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """Which of the last ``hours`` of events a draft rule would have matched, and the orders it
    would have opened or updated (dedup and flap suppression simulated from a clean state).
    Nothing is written."""
    require_center(actor, {Role.ADMIN, Role.SUPERVISOR})
    if not 1 <= hours <= 24 * 7:
        raise InvalidInput("hours 必须在 1…168 之间 (hours must be 1..168)", field="hours")
    with uow:
        rule = _checked(uow, body)
        types = {rule.event_type} | ({rule.clear_type} if rule.clear_type else set())
        events = uow.alerts.recent_events(types, now - timedelta(hours=hours), limit)
        devices = {}
        for device_id, _ in events:
            if device_id not in devices:
                devices[device_id] = uow.alerts.device_by_id(device_id)
    tracks: dict[int, dedup.Track] = {}
    tally: Counter[str] = Counter()
    matched = []
    for device_id, ev in sorted(events, key=lambda x: x[1].at):
        device = devices[device_id]
        if device is None or not rule.place.holds(device):
            continue
        t = tracks.get(device_id, dedup.Track())
        j = rule.judge(ev, device, tz, t.breach_since)
        t, actions = dedup.step(t, rule, ev, j)
        tracks[device_id] = t
        tally["events"] += 1
        for a in actions:
            tally[a] += 1
        if actions:
            matched.append({"event_id": ev.event_id, "device": device.code, "type": ev.type, "at": ev.at,
                            "actions": actions, "text": rule.render(ev, device, tz) if dedup.OPEN_ORDER in actions else None})
    return {"rule": rule.to_dict(), "hours": hours, "events_considered": len(events),
            "events_in_place": tally["events"], "orders_opened": tally[dedup.OPEN_ORDER],
            "orders_updated": tally[dedup.UPDATE], "cleared": tally[dedup.CLEAR], "resolved": tally[dedup.RESOLVE],
            "flapping": tally[dedup.FLAPPING], "truncated": len(events) >= limit, "matches": matched[:200]}
