"""Orders in SQL: mapping between the ``Order`` value and its rows."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ...domain.errors import Conflict
from ...domain.orders.model import Channel, Event, ExtensionRequest, Order, Satisfaction, State
from ...domain.orders.policy import DeadlinePolicy, Urgency
from .tables import intake_keys, order_co_units, order_events, order_number_seq, orders

_SCALARS = (
    "number", "channel", "caller_name", "caller_phone", "address", "text", "category", "urgency", "state",
    "lead_unit_id", "area_unit_id", "created_by", "received_at", "dispatched_at", "accepted_at", "feedback_at",
    "closed_at", "window_start_at", "accept_due_at", "feedback_due_at", "resolve_due_at", "paused_at", "resolved",
    "satisfaction", "solved", "supervised", "urge_count", "return_count", "reopen_count", "parent_id", "external_ref",
    "lat", "lng",
)


def order_to_row(o: Order) -> dict[str, Any]:
    row = {k: getattr(o, k) for k in _SCALARS}
    for k in ("channel", "urgency", "state", "satisfaction"):
        if row[k] is not None:
            row[k] = str(row[k])
    row["special_groups"] = ",".join(o.special_groups)
    row["fired"] = sorted(o.fired)
    row["policy"] = o.policy.to_dict()
    row["details"] = o.details or {}
    row["extension"] = None if o.extension is None else {
        "requested_until": o.extension.requested_until.isoformat(), "reason": o.extension.reason,
        "requested_by": o.extension.requested_by, "requested_at": o.extension.requested_at.isoformat(),
    }
    return row


def order_from_row(r: Any, co_units: Iterable[int] = ()) -> Order:
    m = r._mapping
    ext = m["extension"]
    return Order(
        **{k: m[k] for k in _SCALARS if k not in ("channel", "urgency", "state", "satisfaction")},
        channel=Channel(m["channel"]), urgency=Urgency(m["urgency"]), state=State(m["state"]),
        satisfaction=Satisfaction(m["satisfaction"]) if m["satisfaction"] else None,
        special_groups=tuple(g for g in m["special_groups"].split(",") if g),
        co_unit_ids=tuple(sorted(co_units)), fired=frozenset(m["fired"] or ()),
        policy=_policy(m["policy"]), details=dict(m["details"] or {}),
        extension=None if not ext else ExtensionRequest(
            requested_until=datetime.fromisoformat(ext["requested_until"]), reason=ext["reason"],
            requested_by=ext["requested_by"], requested_at=datetime.fromisoformat(ext["requested_at"])),
        id=m["id"], version=m["version"],
    )


_ROW_COLUMNS = [c.name for c in orders.columns if c.name != "id"]
# Built once: compiling a 40-column INSERT/UPDATE per call costs more than running it.
_INSERT = sa.insert(orders).returning(orders.c.id)
_UPDATE = (
    sa.update(orders)
    .where(orders.c.id == sa.bindparam("b_id"), orders.c.version == sa.bindparam("b_old_version"))
    .values({name: sa.bindparam("b_" + name, type_=orders.c[name].type) for name in _ROW_COLUMNS})
)


_POLICIES: dict[str, DeadlinePolicy] = {}


def _policy(data: dict) -> DeadlinePolicy:
    """Policy snapshots repeat across orders: parse each distinct one once."""
    key = json.dumps(data, sort_keys=True)
    p = _POLICIES.get(key)
    if p is None:
        if len(_POLICIES) > 1000:
            _POLICIES.clear()
        p = _POLICIES[key] = DeadlinePolicy.from_dict(data)
    return p


class SqlOrderRepository:
    def __init__(self, conn: Connection):
        self.conn = conn
        self._pg = conn.dialect.name == "postgresql"
        self._loaded_co: dict[int, tuple[int, ...]] = {}  # co-handling units as read, to skip rewriting them

    # -- numbers
    def next_number(self, now: datetime, tz: str) -> str:
        day = now.astimezone(ZoneInfo(tz)).strftime("%y%m%d")
        if self._pg:
            # The counter's own short transaction need not wait for its WAL flush: the order that
            # uses the number commits synchronously later, which flushes this commit first. A crash
            # can only lose numbers nobody used (a gap), never hand one out twice.
            self.conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        ins = (postgresql.insert if self._pg else sqlite.insert)(order_number_seq).values(day=day, last=1)
        stmt = ins.on_conflict_do_update(index_elements=["day"], set_={"last": order_number_seq.c.last + 1})
        last = self.conn.execute(stmt.returning(order_number_seq.c.last)).scalar_one()
        return f"{day}{last:04d}"

    # -- reads
    def _co_units(self, ids: list[int]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {i: [] for i in ids}
        if ids:
            for oid, uid in self.conn.execute(
                sa.select(order_co_units.c.order_id, order_co_units.c.unit_id).where(order_co_units.c.order_id.in_(ids))
            ):
                out[oid].append(uid)
        return out

    def _one(self, where, lock: bool) -> Order | None:
        stmt = sa.select(orders).where(where)
        if lock and self._pg:
            stmt = stmt.with_for_update()
        row = self.conn.execute(stmt).first()
        if row is None:
            return None
        co = self._co_units([row.id])[row.id]
        self._loaded_co[row.id] = tuple(sorted(co))
        return order_from_row(row, co)

    def get(self, number: str, lock: bool = True) -> Order | None:
        return self._one(orders.c.number == number, lock)

    def get_by_id(self, order_id: int) -> Order | None:
        return self._one(orders.c.id == order_id, False)

    def children(self, parent_id: int) -> list[Order]:
        rows = self.conn.execute(sa.select(orders).where(orders.c.parent_id == parent_id).order_by(orders.c.id)).all()
        co = self._co_units([r.id for r in rows])
        return [order_from_row(r, co[r.id]) for r in rows]

    # -- writes
    def add(self, order: Order, next_due_at: datetime | None, now: datetime) -> Order:
        row = order_to_row(order) | {"next_due_at": next_due_at, "version": 1, "updated_at": now}
        oid = self.conn.execute(_INSERT, row).scalar_one()
        self._set_co_units(oid, order.co_unit_ids, replace=False)
        self._loaded_co[oid] = tuple(sorted(set(order.co_unit_ids)))
        return order.evolve(id=oid, version=1)

    def save(self, order: Order, next_due_at: datetime | None, now: datetime) -> Order:
        row = order_to_row(order) | {"next_due_at": next_due_at, "updated_at": now, "version": order.version + 1}
        params = {"b_" + k: v for k, v in row.items()} | {"b_id": order.id, "b_old_version": order.version}
        res = self.conn.execute(_UPDATE, params)
        if res.rowcount != 1:
            raise Conflict(f"工单 {order.number} 已被他人修改，请刷新后重试 (order changed meanwhile; reload and retry)")
        self._set_co_units(order.id, order.co_unit_ids, replace=True)
        return order.evolve(version=order.version + 1)

    def _set_co_units(self, order_id: int, unit_ids: Iterable[int], replace: bool) -> None:
        ids = sorted(set(unit_ids))
        if replace:
            current = self._loaded_co.get(order_id)
            if current is None:
                current = tuple(sorted(self._co_units([order_id])[order_id]))
            if list(current) == ids:
                return
            self._loaded_co[order_id] = tuple(ids)
            self.conn.execute(sa.delete(order_co_units).where(order_co_units.c.order_id == order_id))
        if ids:
            self.conn.execute(sa.insert(order_co_units), [{"order_id": order_id, "unit_id": u} for u in ids])

    def add_events(self, items: Iterable[tuple[int, Event]]) -> None:
        rows = [
            {"order_id": oid, "kind": e.kind, "at": e.at, "actor_id": e.actor_id, "actor_unit_id": e.actor_unit_id,
             "reason": e.reason, "data": e.data}
            for oid, e in items
        ]
        if rows:
            self.conn.execute(sa.insert(order_events), rows)

    # -- intake keys (one order per submitted form)
    def intake_key_order(self, user_id: int, key: str) -> int | None:
        return self.conn.execute(sa.select(intake_keys.c.order_id).where(
            intake_keys.c.user_id == user_id, intake_keys.c.key == key)).scalar()

    def claim_intake_key(self, user_id: int, key: str, order_id: int, now: datetime) -> bool:
        """Tie the key to the order; False when the (user, key) primary key is already taken.

        ON CONFLICT DO NOTHING keeps the transaction usable on PostgreSQL (a failed INSERT would
        abort it); a concurrent insert of the same key waits for the other transaction and then
        conflicts, so two submissions never both win.
        """
        ins = (postgresql.insert if self._pg else sqlite.insert)(intake_keys).values(
            user_id=user_id, key=key, order_id=order_id, created_at=now)
        stmt = ins.on_conflict_do_nothing(index_elements=["user_id", "key"]).returning(intake_keys.c.order_id)
        return self.conn.execute(stmt).first() is not None  # (rowcount is -1 here on psycopg 3)

    # -- deadlines
    def claim_due(self, now: datetime, limit: int) -> list[Order]:
        stmt = sa.select(orders).where(orders.c.next_due_at <= now).order_by(orders.c.next_due_at).limit(limit)
        if self._pg:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = self.conn.execute(stmt).all()
        co = self._co_units([r.id for r in rows])
        return [order_from_row(r, co[r.id]) for r in rows]

    def save_deadline_state(self, items: Iterable[tuple[Order, datetime | None]], now: datetime) -> None:
        params = [{"b_id": o.id, "b_fired": sorted(o.fired), "b_next": nxt, "b_now": now} for o, nxt in items]
        if not params:
            return
        stmt = (
            sa.update(orders)
            .where(orders.c.id == sa.bindparam("b_id"))
            .values(fired=sa.bindparam("b_fired", type_=orders.c.fired.type),
                    next_due_at=sa.bindparam("b_next", type_=orders.c.next_due_at.type),
                    updated_at=sa.bindparam("b_now", type_=orders.c.updated_at.type),
                    version=orders.c.version + 1)
        )
        self.conn.execute(stmt, params)
