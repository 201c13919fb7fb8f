"""Open311 in SQL: API keys, service attributes, and the public reads (requests, updates)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .tables import api_keys, categories, order_events, orders, service_attributes, units

_KEY_COLUMNS = ("id", "prefix", "name", "channel", "active", "created_by", "created_at", "last_used_at")


class SqlOpen311Repository:
    def __init__(self, conn: Connection):
        self.conn = conn

    # ------------------------------------------------------------------ API keys
    def add_key(self, *, key_hash: str, prefix: str, name: str, channel: str, created_by: int | None,
                now: datetime) -> int:
        return self.conn.execute(sa.insert(api_keys).values(
            key_hash=key_hash, prefix=prefix, name=name, channel=channel, active=True, created_by=created_by,
            created_at=now).returning(api_keys.c.id)).scalar_one()

    def keys(self) -> list[dict[str, Any]]:
        cols = [api_keys.c[k] for k in _KEY_COLUMNS]
        return [dict(r._mapping) for r in self.conn.execute(sa.select(*cols).order_by(api_keys.c.id))]

    def key_by_hash(self, key_hash: str) -> dict[str, Any] | None:
        cols = [api_keys.c[k] for k in _KEY_COLUMNS]
        row = self.conn.execute(sa.select(*cols).where(api_keys.c.key_hash == key_hash)).first()
        return dict(row._mapping) if row else None

    def touch_key(self, key_id: int, now: datetime) -> None:
        self.conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=now))

    def revoke_key(self, key_id: int) -> bool:
        res = self.conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id).values(active=False))
        return res.rowcount == 1

    # ------------------------------------------------------------------ services
    def services(self) -> list[dict[str, Any]]:
        """Active categories that have no active children, each with its parent's name."""
        parent = categories.alias("parent")
        rows = [dict(r._mapping) for r in self.conn.execute(
            sa.select(categories.c.code, categories.c.name, categories.c.en, categories.c.about,
                      categories.c.parent_code, parent.c.name.label("parent_name"), parent.c.en.label("parent_en"))
            .select_from(categories.outerjoin(parent, parent.c.code == categories.c.parent_code))
            .where(categories.c.active).order_by(categories.c.code))]
        parents = {r["parent_code"] for r in rows if r["parent_code"]}
        counts = dict(self.conn.execute(
            sa.select(service_attributes.c.category, sa.func.count()).group_by(service_attributes.c.category)).all())
        return [r | {"attributes": counts.get(r["code"], 0)} for r in rows if r["code"] not in parents]

    def attributes(self, category: str) -> list[dict[str, Any]]:
        t = service_attributes
        return [dict(r._mapping) for r in self.conn.execute(
            sa.select(t.c.code, t.c.datatype, t.c.required, t.c.variable, t.c.description, t.c.position, t.c["values"])
            .where(t.c.category == category).order_by(t.c.position, t.c.id))]

    def replace_attributes(self, category: str, items: Iterable[dict[str, Any]]) -> None:
        self.conn.execute(sa.delete(service_attributes).where(service_attributes.c.category == category))
        rows = [{"category": category, **i} for i in items]
        if rows:
            self.conn.execute(sa.insert(service_attributes), rows)

    # ------------------------------------------------------------------ requests
    def requests(self, *, channels: Iterable[str], numbers: list[str] | None = None, category: str | None = None,
                 start: datetime | None = None, end: datetime | None = None, states: Iterable[str] | None = None,
                 limit: int = 1000) -> list[dict[str, Any]]:
        o = orders
        stmt = (
            sa.select(o.c.id, o.c.number, o.c.state, o.c.category, o.c.text, o.c.address, o.c.lat, o.c.lng,
                      o.c.details, o.c.received_at, o.c.updated_at, o.c.resolve_due_at, o.c.resolved, o.c.solved,
                      o.c.lead_unit_id, o.c.parent_id, categories.c.name.label("category_name"),
                      categories.c.en.label("category_en"), units.c.name.label("lead_unit_name"))
            .select_from(o.outerjoin(categories, categories.c.code == o.c.category)
                         .outerjoin(units, units.c.id == o.c.lead_unit_id))
            .where(o.c.channel.in_(list(channels)))
        )
        if numbers is not None:
            stmt = stmt.where(o.c.number.in_(numbers))
        else:
            if category is not None:
                stmt = stmt.where(o.c.category == category)
            if start is not None:
                stmt = stmt.where(o.c.received_at >= start)
            if end is not None:
                stmt = stmt.where(o.c.received_at <= end)
            if states is not None:
                stmt = stmt.where(o.c.state.in_(list(states)))
        stmt = stmt.order_by(o.c.received_at.desc(), o.c.id.desc()).limit(limit)
        return [dict(r._mapping) for r in self.conn.execute(stmt)]

    def parent_numbers(self, ids: Iterable[int]) -> dict[int, str]:
        ids = list(set(ids))
        if not ids:
            return {}
        return dict(self.conn.execute(sa.select(orders.c.id, orders.c.number).where(orders.c.id.in_(ids))).all())

    def latest_events(self, order_ids: Iterable[int], kinds: Iterable[str]) -> dict[int, dict[str, Any]]:
        """The latest event of the given kinds per order."""
        ids = list(order_ids)
        if not ids:
            return {}
        e = order_events
        out: dict[int, dict[str, Any]] = {}
        for r in self.conn.execute(sa.select(e.c.id, e.c.order_id, e.c.kind, e.c.at, e.c.reason, e.c.data)
                                   .where(e.c.order_id.in_(ids), e.c.kind.in_(list(kinds))).order_by(e.c.id)):
            out[r.order_id] = dict(r._mapping)
        return out

    def updates(self, *, channels: Iterable[str], kinds: Iterable[str], start: datetime, end: datetime,
                limit: int = 1000) -> list[dict[str, Any]]:
        e, o = order_events, orders
        stmt = (sa.select(e.c.id, e.c.kind, e.c.at, e.c.reason, e.c.data, o.c.number)
                .select_from(e.join(o, o.c.id == e.c.order_id))
                .where(o.c.channel.in_(list(channels)), e.c.kind.in_(list(kinds)), e.c.at >= start, e.c.at <= end)
                .order_by(e.c.at, e.c.id).limit(limit))
        return [dict(r._mapping) for r in self.conn.execute(stmt)]

    def public_event_exists(self, event_id: int, channels: Iterable[str], kinds: Iterable[str]) -> bool:
        e, o = order_events, orders
        return self.conn.execute(sa.select(e.c.id).select_from(e.join(o, o.c.id == e.c.order_id)).where(
            e.c.id == event_id, o.c.channel.in_(list(channels)), e.c.kind.in_(list(kinds)))).first() is not None

    def add_event(self, order_id: int, kind: str, at: datetime, reason: str | None, data: dict[str, Any]) -> int:
        return self.conn.execute(sa.insert(order_events).values(
            order_id=order_id, kind=kind, at=at, actor_id=None, actor_unit_id=None, reason=reason, data=data,
        ).returning(order_events.c.id)).scalar_one()

    def touch_order(self, order_id: int, now: datetime) -> None:
        """A citizen update changes the request's updated_datetime (and nothing else)."""
        self.conn.execute(sa.update(orders).where(orders.c.id == order_id).values(updated_at=now))
