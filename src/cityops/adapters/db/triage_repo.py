"""Triage in SQL: what was suggested at intake, operator-confirmed examples, model versions, rules."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .tables import orders, orders_triage, triage_models
from .refcache import ReferenceCache, read_setting, write_setting

OPEN_STATES = ("received", "dispatched", "returned", "accepted", "in_progress", "feedback_submitted", "callback_done")


class SqlTriageRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def active_version(self) -> str | None:
        return ReferenceCache.get(self.conn, "triage_model", lambda: read_setting(self.conn, "triage_model"))

    def rules(self) -> Any | None:
        return ReferenceCache.get(self.conn, "triage_rules", lambda: read_setting(self.conn, "triage_rules"))

    def set_rules(self, data: Any, actor_id: int | None, now: datetime) -> None:
        write_setting(self.conn, "triage_rules", data, actor_id, now)

    def add_model(self, version: str, examples: int, corrections: int, metrics: dict, actor_id: int | None,
                  now: datetime) -> None:
        t = triage_models
        if self.conn.execute(sa.select(t.c.version).where(t.c.version == version)).first() is None:
            self.conn.execute(sa.insert(t).values(version=version, created_at=now, created_by=actor_id,
                                                  examples=examples, corrections=corrections, metrics=metrics))
        self.conn.execute(sa.update(t).values(active=(t.c.version == version)))
        write_setting(self.conn, "triage_model", version, actor_id, now)

    def models(self) -> list[dict]:
        return [dict(r._mapping) for r in self.conn.execute(sa.select(triage_models).order_by(triage_models.c.created_at.desc()))]

    def record(self, order_id: int, suggestion: dict, final_category: str | None, final_urgency: str,
               final_groups: tuple[str, ...], now: datetime) -> bool:
        cat, urg = suggestion.get("category"), suggestion.get("urgency")
        groups = ",".join(sorted(suggestion.get("special_groups") or ()))
        corrected = cat != final_category or urg != final_urgency or groups != ",".join(sorted(final_groups))
        self.conn.execute(sa.insert(orders_triage).values(
            order_id=order_id, model_version=str(suggestion.get("model_version", ""))[:80], suggested_category=cat,
            suggested_urgency=urg, suggested_groups=groups, suggestion=suggestion, corrected=corrected, created_at=now))
        return corrected

    def confirmed_examples(self) -> list[dict]:
        """Every triaged order as the operator confirmed or corrected it (its current category,
        urgency and special groups): the extra training data of a retrain."""
        rows = self.conn.execute(
            sa.select(orders.c.text, orders.c.category, orders.c.urgency, orders.c.special_groups,
                      orders_triage.c.corrected)
            .join(orders_triage, orders_triage.c.order_id == orders.c.id)
            .where(orders.c.category.is_not(None))
        )
        return [{"text": r.text, "category": r.category, "urgency": r.urgency,
                 "special_groups": [g for g in r.special_groups.split(",") if g], "corrected": r.corrected}
                for r in rows]

    def open_candidates(self, since: datetime, limit: int = 500) -> list[dict]:
        """Open orders received since ``since``: the pool possible duplicates are drawn from."""
        rows = self.conn.execute(
            sa.select(orders.c.number, orders.c.text, orders.c.address, orders.c.category, orders.c.area_unit_id)
            .where(orders.c.state.in_(OPEN_STATES), orders.c.received_at >= since)
            .order_by(orders.c.received_at.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]
