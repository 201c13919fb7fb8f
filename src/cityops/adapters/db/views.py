"""Read side: lists, details, timelines, inbox and statistics, straight from SQL.

Every query is scoped by the caller's unit: handling roles (units, field members) see
the orders whose lead or co-handling unit is their unit or below it; center roles see the
district. Personal data is masked here; the reveal use case is the only way to see it whole.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain.orders.model import State
from ...domain.org import mask_name, mask_phone
from ...domain.roles import HANDLING_ROLES, Actor
from .tables import categories, notifications, order_co_units, order_events, orders, units, users

UNRESOLVED = [s.value for s in (State.RECEIVED, State.DISPATCHED, State.RETURNED, State.ACCEPTED, State.IN_PROGRESS)]
OPEN = [s.value for s in State if s not in (State.CLOSED, State.TRANSFERRED)]
lead = units.alias("lead")


def scope_clause(conn: Connection, actor: Actor):
    """SQL condition: the orders this actor may see (None: no restriction)."""
    if actor.role not in HANDLING_ROLES:
        return None
    path = conn.execute(sa.select(units.c.path).where(units.c.id == actor.unit_id)).scalar_one()
    subtree = sa.select(units.c.id).where(units.c.path.like(path + "%"))
    co = sa.select(order_co_units.c.order_id).where(order_co_units.c.unit_id.in_(subtree))
    return sa.or_(orders.c.lead_unit_id.in_(subtree), orders.c.id.in_(co))


@dataclass
class OrderFilter:
    state: list[str] | None = None
    urgency: list[str] | None = None
    category: str | None = None        # a code or a parent code ("epi")
    unit: str | None = None            # lead unit code (and its subtree)
    channel: str | None = None
    special_group: str | None = None   # a code, or "any"
    overdue: bool | None = None
    supervised: bool | None = None
    open_only: bool = False
    q: str | None = None               # text or number contains
    received_from: datetime | None = None
    received_to: datetime | None = None


def _apply_filter(conn: Connection, stmt, f: OrderFilter, now: datetime):
    c = orders.c
    if f.state:
        stmt = stmt.where(c.state.in_(f.state))
    if f.open_only:
        stmt = stmt.where(c.state.in_(OPEN))
    if f.urgency:
        stmt = stmt.where(c.urgency.in_(f.urgency))
    if f.category:
        stmt = stmt.where(sa.or_(c.category == f.category, c.category.like(f.category + ".%")))
    if f.channel:
        stmt = stmt.where(c.channel == f.channel)
    if f.unit:
        path = conn.execute(sa.select(units.c.path).where(units.c.code == f.unit)).scalar()
        if path is None:
            return None
        stmt = stmt.where(c.lead_unit_id.in_(sa.select(units.c.id).where(units.c.path.like(path + "%"))))
    if f.special_group == "any":
        stmt = stmt.where(c.special_groups != "")
    elif f.special_group:
        stmt = stmt.where(sa.or_(c.special_groups == f.special_group,
                                 c.special_groups.like(f.special_group + ",%"),
                                 c.special_groups.like("%," + f.special_group),
                                 c.special_groups.like("%," + f.special_group + ",%")))
    if f.overdue is not None:
        is_overdue = sa.and_(c.state.in_(UNRESOLVED), c.paused_at.is_(None), c.resolve_due_at < now)
        stmt = stmt.where(is_overdue if f.overdue else sa.not_(is_overdue))
    if f.supervised is not None:
        stmt = stmt.where(c.supervised == f.supervised)
    if f.q:
        like = "%" + f.q.replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(sa.or_(c.number.like(like, escape="\\"), c.text.like(like, escape="\\"),
                                 c.address.like(like, escape="\\")))
    if f.received_from:
        stmt = stmt.where(c.received_at >= f.received_from)
    if f.received_to:
        stmt = stmt.where(c.received_at < f.received_to)
    return stmt


SORTS = {
    "next_due": (orders.c.next_due_at.is_(None), orders.c.next_due_at, orders.c.id),
    "resolve_due": (orders.c.resolve_due_at.is_(None), orders.c.resolve_due_at, orders.c.id),
    "received": (orders.c.received_at.desc(), orders.c.id.desc()),
    "received_asc": (orders.c.received_at, orders.c.id),
    "urgency": (sa.case({"critical": 0, "urgent": 1}, value=orders.c.urgency, else_=2), orders.c.resolve_due_at,
                orders.c.id),
}

LIST_COLUMNS = [orders.c[n] for n in (
    "id", "number", "channel", "caller_name", "caller_phone", "address", "text", "category", "urgency",
    "special_groups", "state", "lead_unit_id", "received_at", "dispatched_at", "accepted_at", "feedback_at",
    "closed_at", "accept_due_at", "feedback_due_at", "resolve_due_at", "next_due_at", "paused_at", "supervised",
    "urge_count", "return_count", "reopen_count", "satisfaction", "solved", "resolved", "parent_id", "extension",
    "external_ref", "version")]


def present(m: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One order as the API shows it: personal data masked, deadlines with time left."""
    out = dict(m)
    out["caller_name"] = mask_name(m["caller_name"])
    out["caller_phone"] = mask_phone(m["caller_phone"])
    out["special_groups"] = [g for g in m["special_groups"].split(",") if g]
    due = m.get("resolve_due_at")
    open_ = m["state"] in UNRESOLVED and m.get("paused_at") is None
    out["overdue"] = bool(open_ and due is not None and now > due)
    out["seconds_left"] = int((due - now).total_seconds()) if (open_ and due is not None) else None
    out["extension_pending"] = m.get("extension") is not None
    out.pop("extension", None)
    return out


def list_orders(conn: Connection, actor: Actor, f: OrderFilter, now: datetime, *, sort: str = "received",
                limit: int = 50, offset: int = 0, with_total: bool = True) -> dict[str, Any]:
    stmt = (sa.select(*LIST_COLUMNS, lead.c.code.label("lead_unit_code"), lead.c.name.label("lead_unit_name"))
            .select_from(orders.outerjoin(lead, lead.c.id == orders.c.lead_unit_id)))
    scope = scope_clause(conn, actor)
    if scope is not None:
        stmt = stmt.where(scope)
    stmt = _apply_filter(conn, stmt, f, now)
    if stmt is None:
        return {"total": 0, "items": []}
    total = None
    if with_total:
        total = conn.execute(sa.select(sa.func.count()).select_from(stmt.with_only_columns(orders.c.id).subquery())).scalar_one()
    if offset:
        # A deep page: find the page's ids with a narrow query first (skipping tens of thousands of
        # rows is cheap when only ids are carried), then read just those rows in full.
        ids = list(conn.execute(stmt.with_only_columns(orders.c.id).order_by(*SORTS[sort])
                                .limit(limit).offset(offset)).scalars())
        if not ids:
            return {"total": total, "items": []}
        stmt = stmt.where(orders.c.id.in_(ids))
        rows = conn.execute(stmt.order_by(*SORTS[sort])).all()
    else:
        rows = conn.execute(stmt.order_by(*SORTS[sort]).limit(limit).offset(offset)).all()
    return {"total": total, "items": [present(dict(r._mapping), now) for r in rows]}


def timeline(conn: Connection, order_id: int) -> list[dict[str, Any]]:
    actor = users.alias("actor")
    unit = units.alias("actor_unit")
    rows = conn.execute(
        sa.select(order_events, actor.c.display_name.label("actor_name"), actor.c.username.label("actor_username"),
                  unit.c.name.label("actor_unit_name"))
        .select_from(order_events.outerjoin(actor, actor.c.id == order_events.c.actor_id)
                     .outerjoin(unit, unit.c.id == order_events.c.actor_unit_id))
        .where(order_events.c.order_id == order_id).order_by(order_events.c.id)
    ).all()
    return [dict(r._mapping) for r in rows]


def order_detail(conn: Connection, number: str, now: datetime) -> dict[str, Any] | None:
    stmt = (sa.select(*LIST_COLUMNS, lead.c.code.label("lead_unit_code"), lead.c.name.label("lead_unit_name"),
                      orders.c.policy, orders.c.window_start_at)
            .select_from(orders.outerjoin(lead, lead.c.id == orders.c.lead_unit_id)).where(orders.c.number == number))
    row = conn.execute(stmt).first()
    if row is None:
        return None
    m = dict(row._mapping)
    ext = m.get("extension")
    out = present(m, now)
    out["extension"] = ext
    out["co_units"] = [dict(r._mapping) for r in conn.execute(
        sa.select(units.c.code, units.c.name).join(order_co_units, order_co_units.c.unit_id == units.c.id)
        .where(order_co_units.c.order_id == m["id"]))]
    out["children"] = list(conn.execute(sa.select(orders.c.number).where(orders.c.parent_id == m["id"])).scalars())
    out["parent"] = conn.execute(sa.select(orders.c.number).where(orders.c.id == m["parent_id"])).scalar() \
        if m["parent_id"] else None
    out["timeline"] = timeline(conn, m["id"])
    return out


def inbox(conn: Connection, actor: Actor, unread_only: bool, limit: int, offset: int) -> dict[str, Any]:
    n = notifications
    where = sa.or_(n.c.user_id == actor.user_id, n.c.unit_id == actor.unit_id)
    stmt = sa.select(n, orders.c.number.label("order_number")).select_from(
        n.outerjoin(orders, orders.c.id == n.c.order_id)).where(where)
    if unread_only:
        stmt = stmt.where(n.c.read_at.is_(None))
    total = conn.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()
    rows = conn.execute(stmt.order_by(n.c.id.desc()).limit(limit).offset(offset)).all()
    return {"total": total, "items": [dict(r._mapping) for r in rows]}


def mark_read(conn: Connection, actor: Actor, ids: list[int], now: datetime) -> int:
    n = notifications
    res = conn.execute(sa.update(n).where(n.c.id.in_(ids), sa.or_(n.c.user_id == actor.user_id,
                                                                  n.c.unit_id == actor.unit_id),
                                          n.c.read_at.is_(None)).values(read_at=now))
    return res.rowcount


def list_units(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(sa.select(units).order_by(units.c.path))]


def list_users(conn: Connection) -> list[dict[str, Any]]:
    cols = [users.c[k] for k in ("id", "username", "display_name", "role", "phone", "email", "active")]
    rows = conn.execute(sa.select(*cols, units.c.code.label("unit_code"), units.c.name.label("unit_name"))
                        .join(units, units.c.id == users.c.unit_id).order_by(users.c.id))
    out = []
    for r in rows:
        m = dict(r._mapping)
        m["phone"] = mask_phone(m["phone"])
        out.append(m)
    return out


def list_categories(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(sa.select(categories).order_by(categories.c.code))]


def day_expr(conn: Connection, col, tz: str):
    """The local calendar day of a timestamp column, as text YYYY-MM-DD."""
    if conn.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone(tz, col), "YYYY-MM-DD")
    from zoneinfo import ZoneInfo
    offset = datetime.now(ZoneInfo(tz)).utcoffset() or timedelta()
    hours = int(offset.total_seconds() // 3600)
    return sa.func.strftime("%Y-%m-%d", col, f"{hours:+d} hours")


def extension_pending(c=orders.c):
    """An extension request is waiting. The column holds JSON ``null`` (not SQL NULL) when there is
    none, so ``IS NOT NULL`` alone is true for every order."""
    return sa.and_(c.extension.is_not(None), sa.cast(c.extension, sa.Text) != "null")


def supervision_queue(conn: Connection, actor: Actor, now: datetime, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """督办 queue: open orders that need a supervisor's eye, most pressing deadline first."""
    c = orders.c
    needs = sa.or_(
        c.supervised.is_(True), c.urge_count > 0, c.special_groups != "", extension_pending(c),
        c.state == State.RETURNED.value,
        sa.and_(c.state.in_(UNRESOLVED), c.paused_at.is_(None), c.resolve_due_at < now),
    )
    stmt = (sa.select(*LIST_COLUMNS, lead.c.code.label("lead_unit_code"), lead.c.name.label("lead_unit_name"))
            .select_from(orders.outerjoin(lead, lead.c.id == orders.c.lead_unit_id))
            .where(c.state.in_(OPEN), c.state != State.MERGED.value, needs))
    scope = scope_clause(conn, actor)
    if scope is not None:
        stmt = stmt.where(scope)
    total = conn.execute(sa.select(sa.func.count()).select_from(stmt.with_only_columns(c.id).subquery())).scalar_one()
    rows = conn.execute(stmt.order_by(*SORTS["resolve_due"]).limit(limit).offset(offset)).all()
    return {"total": total, "items": [present(dict(r._mapping), now) for r in rows]}


def hotspots(conn: Connection, actor: Actor, now: datetime, hours: int = 24, min_count: int = 3,
             limit: int = 50) -> list[dict[str, Any]]:
    """Clusters: N or more open orders about one committee and one matter within T hours."""
    c = orders.c
    since = now - timedelta(hours=hours)
    base = sa.and_(c.state.in_(OPEN), c.state != State.MERGED.value, c.received_at >= since,
                   c.area_unit_id.is_not(None), c.category.is_not(None))
    scope = scope_clause(conn, actor)
    if scope is not None:
        base = sa.and_(base, scope)
    area = units.alias("area")
    groups = conn.execute(
        sa.select(c.area_unit_id, c.category, sa.func.count().label("count"), sa.func.min(c.received_at).label("first"),
                  sa.func.max(c.received_at).label("last"))
        .where(base).group_by(c.area_unit_id, c.category).having(sa.func.count() >= min_count)
        .order_by(sa.func.count().desc()).limit(limit)).all()
    names = dict(conn.execute(sa.select(categories.c.code, categories.c.name)).all())
    out = []
    for g in groups:
        a = conn.execute(sa.select(area.c.code, area.c.name).where(area.c.id == g.area_unit_id)).first()
        numbers = list(conn.execute(sa.select(c.number).where(base, c.area_unit_id == g.area_unit_id,
                                                              c.category == g.category)
                                    .order_by(c.received_at)).scalars())
        out.append({"area": a.code, "area_name": a.name, "category": g.category, "category_name": names.get(g.category),
                    "count": g.count, "first_at": g.first, "last_at": g.last, "orders": numbers,
                    "suggested_parent": numbers[0]})
    return out


def order_attachments(conn: Connection, order_id: int) -> dict[int, dict[str, Any]]:
    """The files of one order by id (name, type, size) — for the timeline's links."""
    from .tables import attachments

    rows = conn.execute(sa.select(attachments.c.id, attachments.c.filename, attachments.c.content_type,
                                  attachments.c.size).where(attachments.c.order_id == order_id))
    return {r.id: dict(r._mapping) for r in rows}
