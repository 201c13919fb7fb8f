"""Read side of the supervisor pages (督办): the lists a supervisor works through, scoped by unit.

Built on ``views`` (the same columns, masking and scope as every other list). Each list
returns ``{"total": n, "items": [...]}`` with ``items`` shaped like ``views.present``.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain.orders.model import State
from ...domain.roles import Actor
from .tables import order_events, orders, units, users
from .views import LIST_COLUMNS, OPEN, SORTS, UNRESOLVED, extension_pending, lead, present, scope_clause

# Deadline steps that mean "somebody is late": what the escalations tab shows.
FIRED_KINDS = ("escalated", "overdue", "accept_overdue", "feedback_overdue")


def _base(conn: Connection, actor: Actor, *where):
    stmt = (sa.select(*LIST_COLUMNS, lead.c.code.label("lead_unit_code"), lead.c.name.label("lead_unit_name"))
            .select_from(orders.outerjoin(lead, lead.c.id == orders.c.lead_unit_id)).where(*where))
    scope = scope_clause(conn, actor)
    return stmt.where(scope) if scope is not None else stmt


def _page(conn: Connection, stmt, order_by, now: datetime, limit: int, offset: int,
          with_total: bool = True) -> dict[str, Any]:
    total = None
    if with_total:
        total = conn.execute(sa.select(sa.func.count()).select_from(
            stmt.with_only_columns(orders.c.id).subquery())).scalar_one()
    rows = conn.execute(stmt.order_by(*order_by).limit(limit).offset(offset)).all()
    return {"total": total, "items": [_present(dict(r._mapping), now) for r in rows]}


def _present(m: dict[str, Any], now: datetime) -> dict[str, Any]:
    ext = m.get("extension")
    out = present(m, now)
    if ext:
        out["extension"] = {**ext, "requested_until": datetime.fromisoformat(ext["requested_until"]),
                            "requested_at": datetime.fromisoformat(ext["requested_at"])}
    return out


def supervision_queue(conn: Connection, actor: Actor, now: datetime, limit: int = 50, offset: int = 0,
                      with_total: bool = True) -> dict[str, Any]:
    """督办 queue: open orders that need a supervisor's eye (marked, urged, special groups, an
    extension to decide, returned, overdue), most pressing deadline first."""
    c = orders.c
    needs = sa.or_(
        c.supervised.is_(True), c.urge_count > 0, c.special_groups != "", extension_pending(c),
        c.state == State.RETURNED.value,
        sa.and_(c.state.in_(UNRESOLVED), c.paused_at.is_(None), c.resolve_due_at < now),
    )
    stmt = _base(conn, actor, c.state.in_(OPEN), c.state != State.MERGED.value, needs)
    return _page(conn, stmt, SORTS["resolve_due"], now, limit, offset, with_total)


def special_groups(conn: Connection, actor: Actor, now: datetime, limit: int = 50, offset: int = 0,
                   with_total: bool = True) -> dict[str, Any]:
    """特殊人群跟进: open orders with any special group, most urgent first, then by deadline."""
    c = orders.c
    stmt = _base(conn, actor, c.state.in_(OPEN), c.state != State.MERGED.value, c.special_groups != "")
    return _page(conn, stmt, SORTS["urgency"], now, limit, offset, with_total)


def overdue(conn: Connection, actor: Actor, now: datetime, limit: int = 50, offset: int = 0,
            with_total: bool = True) -> dict[str, Any]:
    """超时: past the resolve deadline, not resolved, clock running; longest overdue first."""
    c = orders.c
    stmt = _base(conn, actor, c.state.in_(UNRESOLVED), c.paused_at.is_(None), c.resolve_due_at < now)
    return _page(conn, stmt, SORTS["resolve_due"], now, limit, offset, with_total)


def pending_returns(conn: Connection, actor: Actor, now: datetime, limit: int = 50, offset: int = 0,
                    with_total: bool = True) -> dict[str, Any]:
    """退单 waiting for re-dispatch, with the latest return's reason, time and unit."""
    stmt = _base(conn, actor, orders.c.state == State.RETURNED.value)
    page = _page(conn, stmt, SORTS["resolve_due"], now, limit, offset, with_total)
    ids = [o["id"] for o in page["items"]]
    if ids:
        latest = (sa.select(sa.func.max(order_events.c.id))
                  .where(order_events.c.order_id.in_(ids), order_events.c.kind == "returned")
                  .group_by(order_events.c.order_id))
        by = units.alias("returned_by")
        rows = conn.execute(
            sa.select(order_events.c.order_id, order_events.c.reason, order_events.c.at,
                      by.c.name.label("unit_name"))
            .select_from(order_events.outerjoin(by, by.c.id == order_events.c.actor_unit_id))
            .where(order_events.c.id.in_(latest))).all()
        found = {r.order_id: r for r in rows}
        for o in page["items"]:
            r = found.get(o["id"])
            o["return_reason"] = r.reason if r else ""
            o["returned_at"] = r.at if r else None
            o["returned_by_unit"] = (r.unit_name or "") if r else ""
    return page


def pending_extensions(conn: Connection, actor: Actor, now: datetime, limit: int = 50, offset: int = 0,
                       with_total: bool = True) -> dict[str, Any]:
    """延期申请 waiting for a decision, oldest request first, with who asked."""
    c = orders.c
    stmt = _base(conn, actor, c.state.in_(OPEN), extension_pending(c))
    page = _page(conn, stmt, SORTS["resolve_due"], now, limit, offset, with_total)
    asked = {o["extension"]["requested_by"] for o in page["items"] if o.get("extension")}
    names = {}
    if asked:
        names = {r.id: (r.display_name or r.username) for r in conn.execute(
            sa.select(users.c.id, users.c.display_name, users.c.username).where(users.c.id.in_(asked)))}
    for o in page["items"]:
        ext = o.get("extension") or {}
        ext["requested_by_name"] = names.get(ext.get("requested_by"), "")
    return page


def recent_escalations(conn: Connection, actor: Actor, now: datetime, hours: int = 24, limit: int = 50,
                       offset: int = 0, with_total: bool = True) -> dict[str, Any]:
    """Deadline alarms that fired in the last ``hours`` (escalated, overdue, accept/feedback
    overdue), newest first: one row per event, with its order."""
    e = order_events
    since = now - timedelta(hours=hours)
    stmt = (sa.select(e.c.id.label("event_id"), e.c.kind.label("event_kind"), e.c.at.label("event_at"),
                      e.c.data.label("event_data"), *LIST_COLUMNS,
                      lead.c.code.label("lead_unit_code"), lead.c.name.label("lead_unit_name"))
            .select_from(e.join(orders, orders.c.id == e.c.order_id)
                         .outerjoin(lead, lead.c.id == orders.c.lead_unit_id))
            .where(e.c.kind.in_(FIRED_KINDS), e.c.at >= since, e.c.at <= now))
    scope = scope_clause(conn, actor)
    if scope is not None:
        stmt = stmt.where(scope)
    total = None
    if with_total:
        total = conn.execute(sa.select(sa.func.count()).select_from(
            stmt.with_only_columns(e.c.id).subquery())).scalar_one()
    rows = conn.execute(stmt.order_by(e.c.at.desc(), e.c.id.desc()).limit(limit).offset(offset)).all()
    items = []
    for r in rows:
        m = dict(r._mapping)
        ev = {"id": m.pop("event_id"), "kind": m.pop("event_kind"), "at": m.pop("event_at"),
              "data": m.pop("event_data") or {}}
        o = _present(m, now)
        o["event"] = {**ev, "level": ev["data"].get("level")}
        items.append(o)
    return {"total": total, "items": items}
