"""Statistics (PRODUCT §1): counts by dimension, rates, growth, urgent and special-group figures.

Rates are fractions of the orders that have the thing measured (on-time among those the
unit reported on, solve and satisfaction among those called back); ``None`` when nothing
was measured. Windows are [start, end) on the received time; "overdue now" is a snapshot.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain.roles import Actor
from .tables import categories, orders, units
from .views import OrderFilter, UNRESOLVED, _apply_filter, day_expr, scope_clause

c = orders.c


def _ratio(num: int | None, den: int | None) -> float | None:
    return None if not den else round((num or 0) / den, 4)


def _base(conn: Connection, actor: Actor, f: OrderFilter, now: datetime, start: datetime, end: datetime):
    stmt = sa.select(orders.c.id).where(c.received_at >= start, c.received_at < end)
    scope = scope_clause(conn, actor)
    if scope is not None:
        stmt = stmt.where(scope)
    return _apply_filter(conn, stmt, f, now)


def _figures(conn: Connection, ids_subq) -> dict[str, Any]:
    closed = c.state == "closed"
    sat_ok = c.satisfaction.in_(["satisfied", "basically_satisfied"])
    row = conn.execute(sa.select(
        sa.func.count().label("received"),
        sa.func.sum(sa.case((closed, 1), else_=0)).label("closed"),
        sa.func.sum(sa.case((c.state == "transferred", 1), else_=0)).label("transferred"),
        sa.func.sum(sa.case((c.category.like("epi.%"), 1), else_=0)).label("epidemic"),
        sa.func.sum(sa.case((c.feedback_at.is_not(None), 1), else_=0)).label("with_feedback"),
        sa.func.sum(sa.case((sa.and_(c.feedback_at.is_not(None), c.feedback_at <= c.resolve_due_at), 1), else_=0)).label("on_time"),
        sa.func.sum(sa.case((c.solved.is_not(None), 1), else_=0)).label("called_back"),
        sa.func.sum(sa.case((c.solved.is_(True), 1), else_=0)).label("solved"),
        sa.func.sum(sa.case((c.satisfaction.is_not(None), 1), else_=0)).label("rated"),
        sa.func.sum(sa.case((sat_ok, 1), else_=0)).label("satisfied"),
        sa.func.sum(sa.case((c.dispatched_at.is_not(None), 1), else_=0)).label("dispatched"),
        sa.func.sum(sa.case((c.return_count > 0, 1), else_=0)).label("returned"),
    ).where(c.id.in_(ids_subq))).one()
    m = {k: int(v or 0) for k, v in row._mapping.items()}
    m["remaining"] = m["received"] - m["closed"] - m["transferred"]
    m["epidemic_share"] = _ratio(m["epidemic"], m["received"])
    m["on_time_rate"] = _ratio(m["on_time"], m["with_feedback"])
    m["solve_rate"] = _ratio(m["solved"], m["called_back"])
    m["satisfaction_rate"] = _ratio(m["satisfied"], m["rated"])
    m["return_rate"] = _ratio(m["returned"], m["dispatched"])
    return m


def _group(conn: Connection, ids_subq, key, label: str) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(key.label(label), sa.func.count().label("count"))
                        .where(c.id.in_(ids_subq)).group_by(key).order_by(sa.func.count().desc())).all()
    return [{label: r[0], "count": r[1]} for r in rows]


def statistics(conn: Connection, actor: Actor, start: datetime, end: datetime, now: datetime,
               f: OrderFilter | None = None, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    f = f or OrderFilter()
    ids = _base(conn, actor, f, now, start, end)
    if ids is None:
        ids = sa.select(orders.c.id).where(sa.false())
    prev = _base(conn, actor, f, now, start - (end - start), start)
    out: dict[str, Any] = {"from": start, "to": end, "now": now}
    out.update(_figures(conn, ids))
    prev_total = conn.execute(sa.select(sa.func.count()).select_from(prev.subquery())).scalar_one() if prev is not None else 0
    out["previous_received"] = prev_total
    out["growth_ratio"] = _ratio(out["received"], prev_total)  # ×5.8 in Yangpu's words
    out["growth_rate"] = None if not prev_total else round(out["received"] / prev_total - 1, 4)
    out["by_state"] = _group(conn, ids, c.state, "state")
    out["by_urgency"] = _group(conn, ids, c.urgency, "urgency")
    out["by_channel"] = _group(conn, ids, c.channel, "channel")
    out["by_category"] = _with_names(conn, _group(conn, ids, c.category, "category"), "category",
                                     categories.c.code, categories.c.name)
    out["by_unit"] = _with_names(conn, _group(conn, ids, c.lead_unit_id, "unit_id"), "unit_id", units.c.id,
                                 units.c.name)
    out["by_day"] = sorted(_group(conn, ids, day_expr(conn, c.received_at, tz), "day"), key=lambda r: r["day"])
    # Overdue now: a snapshot over the caller's scope, whatever the window.
    scope = scope_clause(conn, actor)
    od = sa.select(sa.func.count()).where(c.state.in_(UNRESOLVED), c.paused_at.is_(None), c.resolve_due_at < now)
    if scope is not None:
        od = od.where(scope)
    out["overdue_now"] = conn.execute(od).scalar_one()
    urgent_ids = ids.where(c.urgency.in_(["critical", "urgent"]))
    out["urgent"] = _short(_figures(conn, urgent_ids))
    out["critical"] = _short(_figures(conn, ids.where(c.urgency == "critical")))
    out["special_groups"] = _short(_figures(conn, ids.where(c.special_groups != "")))
    return out


def _short(m: dict[str, Any]) -> dict[str, Any]:
    keys = ("received", "closed", "remaining", "on_time_rate", "solve_rate", "satisfaction_rate", "return_rate")
    return {k: m[k] for k in keys}


def _with_names(conn: Connection, groups: list[dict], key: str, id_col, name_col) -> list[dict]:
    names = dict(conn.execute(sa.select(id_col, name_col)).all())
    for g in groups:
        g["name"] = names.get(g[key])
    return groups
