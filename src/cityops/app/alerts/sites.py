"""The testing-site monitor: every site's latest figures (list + big-screen summary), and the
outcome of a standby proposal recorded on its order."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ...domain.errors import InvalidInput
from ...domain.orders.lifecycle import checked_text
from ...domain.orders.model import Event
from ...domain.roles import Actor
from ..orders.usecases import load_visible
from .common import scope_path
from .ports import AlertsUnitOfWork

STALE_AFTER = timedelta(minutes=15)   # a site silent this long is shown as not reporting
OUTCOMES = {"standby_sent": "备勤人员已派出", "standby_arrived": "备勤人员已到岗", "supplies_sent": "物资已送达",
            "queue_normal": "排队已恢复正常", "not_needed": "核实后无需增派"}


def monitor(uow: AlertsUnitOfWork, actor: Actor | None, now: datetime) -> dict[str, Any]:
    """All sites of the caller's scope, worst first, with a summary for the big screen."""
    with uow:
        items = uow.alerts.list_sites(scope_path(uow, actor))
    for s in items:
        s["stale"] = now - s["reported_at"] > STALE_AFTER
    order = {"alert": 0, "watch": 1, "ok": 2}
    items.sort(key=lambda s: (order.get(s["level"], 3), -s["status"].get("queue_length", 0)))
    summary = {"sites": len(items), "alert": sum(s["level"] == "alert" for s in items),
               "watch": sum(s["level"] == "watch" for s in items), "ok": sum(s["level"] == "ok" for s in items),
               "stale": sum(s["stale"] for s in items),
               "queue_total": sum(s["status"].get("queue_length", 0) for s in items),
               "samples_per_hour_total": sum(s["status"].get("samples_per_hour", 0) for s in items),
               "staff_total": sum(s["status"].get("staff_on_site", 0) for s in items)}
    return {"summary": summary, "items": items}


def record_outcome(uow: AlertsUnitOfWork, actor: Actor, number: str, outcome: str, now: datetime,
                   note: str | None = None) -> dict[str, Any]:
    """备勤 outcome (sent, arrived, supplies delivered, queue back to normal) on the site's order."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome 必须是 {list(OUTCOMES)} 之一 (unknown outcome)", field="outcome")
    note = checked_text(note, "note", required=False)
    with uow:
        order = load_visible(uow, actor, number)  # a unit records outcomes on its own orders only
        if "site" not in (order.details or {}):
            raise InvalidInput(f"工单 {number} 不是采样点告警工单 (not a testing-site alert order)", field="number")
        uow.orders.add_events([(order.id, Event("site_outcome", now, actor.user_id or None, actor.unit_id or None,
                                                note or OUTCOMES[outcome], {"outcome": outcome,
                                                                            "name_zh": OUTCOMES[outcome]}))])
        uow.commit()
    return {"number": number, "outcome": outcome, "name_zh": OUTCOMES[outcome], "at": now}
