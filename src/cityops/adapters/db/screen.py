"""The big screen's figures (PRODUCT §8), every panel from a handful of aggregate queries.

Built to stay fast on a big table: each query reads one narrow slice through an index —

* today and the same day last week: ``received_at`` in two one-day windows
  (``ix_orders_received_at``), grouped in SQL;
* the open-order snapshot (SLA risk, special groups, urgent ticker): the partial index
  ``ix_orders_open_due`` on ``resolve_due_at`` over open orders only, whose size follows the
  open orders, not the history (migration 0006);
* the change marker: ``max(order_events.id)`` (the primary key).

State lists are sent as SQL literals (not bound parameters) so that PostgreSQL can match the
partial index's predicate even when psycopg prepares the statement. Everything is scoped by the
caller's unit (``views.scope_clause``). No personal data: callers are never read here.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain.orders.model import State
from ...domain.roles import Actor
from .tables import (alert_sites, categories, community_rounds, duty_assignments, duty_shifts, order_events, orders,
                     pass_applications, pass_scans, passes, special_groups, units)
from .views import OPEN, UNRESOLVED, scope_clause

c = orders.c
# Open and not merged: the orders someone still works on (the partial index's predicate).
LIVE = [s for s in OPEN if s != State.MERGED.value]
LIVE_SQL = "state IN (" + ", ".join(f"'{s}'" for s in LIVE) + ")"
HOT = ("critical", "urgent")
TICKER_SIZE = 15
TOP_CATEGORIES = 10


def _in(col, values):
    """``col IN (...)`` with the values inlined as literals (constants only, never user input)."""
    return col.in_(sa.bindparam(None, list(values), expanding=True, literal_execute=True))


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def day_bounds(now: datetime, tz: str, day=None) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day (default: today) as aware datetimes."""
    z = ZoneInfo(tz)
    d = day or now.astimezone(z).date()
    start = datetime.combine(d, time(0), z)
    return start, datetime.combine(d + timedelta(days=1), time(0), z)


def local_hour(conn: Connection, col, tz: str, now: datetime):
    """The local hour (0–23) of a timestamp column."""
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.extract("hour", sa.func.timezone(tz, col)), sa.Integer)
    offset = now.astimezone(ZoneInfo(tz)).utcoffset() or timedelta()
    minutes = int(offset.total_seconds() // 60)
    return sa.cast(sa.func.strftime("%H", col, f"{minutes:+d} minutes"), sa.Integer)


class Places:
    """The unit tree (a few hundred rows): which street each unit lies in."""

    def __init__(self, conn: Connection):
        rows = conn.execute(sa.select(units.c.id, units.c.code, units.c.name, units.c.kind, units.c.path)).all()
        self.units = {r.id: r for r in rows}
        self._street: dict[int, int | None] = {}
        for r in rows:
            street = None
            for part in r.path.strip("/").split("/"):
                u = self.units.get(int(part)) if part.isdigit() else None
                if u is not None and u.kind == "street":
                    street = u.id
                    break
            self._street[r.id] = street

    def street_of(self, unit_id: int | None) -> int | None:
        return self._street.get(unit_id) if unit_id is not None else None

    def name(self, unit_id: int | None) -> str:
        u = self.units.get(unit_id) if unit_id is not None else None
        return u.name if u else ""

    def code(self, unit_id: int | None) -> str | None:
        u = self.units.get(unit_id) if unit_id is not None else None
        return u.code if u else None


def _names(conn: Connection) -> tuple[dict[str, Any], dict[str, Any]]:
    cats = {r.code: r for r in conn.execute(sa.select(categories.c.code, categories.c.name, categories.c.en,
                                                      categories.c.parent_code))}
    groups = {r.code: r for r in conn.execute(sa.select(special_groups.c.code, special_groups.c.name,
                                                        special_groups.c.en))}
    return cats, groups


def _scoped(stmt, scope):
    return stmt if scope is None else stmt.where(scope)


def change_marker(conn: Connection) -> int:
    """Grows with every order event (each state change writes one): a cheap "did anything change?"."""
    return conn.execute(sa.select(sa.func.max(order_events.c.id))).scalar() or 0


def contexts_marker(conn: Connection) -> tuple:
    """Moves when the other panels' contexts change: a roster or an assignment (duty), a round's
    cross-match (community), a site's report (alerts), an application, a pass or a scan (passes).
    One statement of primary-key or small-table maxima; what moves with the clock alone (who is on
    duty now) is caught by the stream's periodic refresh."""
    def top(col):
        return sa.select(sa.func.max(col)).scalar_subquery()

    row = conn.execute(sa.select(top(duty_shifts.c.id), top(duty_assignments.c.id), top(community_rounds.c.matched_at),
                                 top(alert_sites.c.updated_at), top(pass_applications.c.id),
                                 top(passes.c.issued_at), top(pass_scans.c.id))).one()
    return tuple(row)


def window_groups(conn: Connection, start: datetime, end: datetime, scope) -> list[Any]:
    """Orders received in [start, end) grouped by category and place (area, else lead unit);
    ``scope`` is ``views.scope_clause(conn, actor)``."""
    place = sa.func.coalesce(c.area_unit_id, c.lead_unit_id).label("place")
    closed = sa.case((c.state == State.CLOSED.value, 1), else_=0)
    stmt = (sa.select(c.category, place, sa.func.count().label("received"),
                      sa.func.sum(closed).label("closed"),
                      sa.func.sum(sa.case((c.state == State.TRANSFERRED.value, 1), else_=0)).label("transferred"),
                      sa.func.sum(sa.case((_in(c.urgency, HOT), 1), else_=0)).label("urgent"),
                      sa.func.sum(sa.case((sa.and_(_in(c.urgency, HOT), c.state == State.CLOSED.value), 1),
                                          else_=0)).label("urgent_closed"),
                      sa.func.sum(sa.case((c.special_groups != "", 1), else_=0)).label("special"))
            .where(c.received_at >= start, c.received_at < end)
            .group_by(c.category, place))
    return conn.execute(_scoped(stmt, scope)).all()


def by_street(rows: list[Any], places: Places) -> list[dict[str, Any]]:
    """Fold (category, place) groups into streets; orders placed nowhere or at district level: code None."""
    acc: dict[int | None, dict[str, Any]] = {}
    for r in rows:
        sid = places.street_of(r.place)
        s = acc.setdefault(sid, {"code": places.code(sid), "name": places.name(sid), "received": 0, "closed": 0,
                                 "transferred": 0, "epidemic": 0, "urgent": 0, "special": 0})
        s["received"] += r.received
        s["closed"] += int(r.closed or 0)
        s["transferred"] += int(r.transferred or 0)
        s["urgent"] += int(r.urgent or 0)
        s["special"] += int(r.special or 0)
        if (r.category or "").startswith("epi."):
            s["epidemic"] += r.received
    out = []
    for s in acc.values():
        s["remaining"] = s["received"] - s["closed"] - s["transferred"]
        s["epidemic_share"] = _ratio(s["epidemic"], s["received"])
        out.append(s)
    # streets by volume; the "elsewhere" bucket last
    out.sort(key=lambda s: (s["code"] is None, -s["received"], s["code"] or ""))
    return out


def screen_data(conn: Connection, actor: Actor, now: datetime, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """Every panel of the big screen as one JSON-ready object."""
    scope = scope_clause(conn, actor)
    places = Places(conn)
    cats, groups = _names(conn)
    t0, t1 = day_bounds(now, tz)
    marker = change_marker(conn)

    # 1. today: counts by category and place → totals, by category, by street
    rows = window_groups(conn, t0, t1, scope)
    today = {"received": 0, "closed": 0, "transferred": 0, "epidemic": 0, "urgent": 0, "urgent_closed": 0,
             "special": 0}
    per_cat: dict[str | None, int] = {}
    for r in rows:
        today["received"] += r.received
        today["closed"] += int(r.closed or 0)
        today["transferred"] += int(r.transferred or 0)
        today["urgent"] += int(r.urgent or 0)
        today["urgent_closed"] += int(r.urgent_closed or 0)
        today["special"] += int(r.special or 0)
        if (r.category or "").startswith("epi."):
            today["epidemic"] += r.received
        per_cat[r.category] = per_cat.get(r.category, 0) + r.received
    today["remaining"] = today["received"] - today["closed"] - today["transferred"]
    today["epidemic_share"] = _ratio(today["epidemic"], today["received"])

    def cat_item(code: str | None, count: int) -> dict[str, Any]:
        k = cats.get(code) if code else None
        return {"code": code, "name": k.name if k else None, "en": (k.en or k.name) if k else None,
                "epidemic": bool(code and code.startswith("epi.")), "count": count}

    ranked = sorted(per_cat.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    by_category = [cat_item(code, n) for code, n in ranked[:TOP_CATEGORIES]]
    rest = sum(n for _, n in ranked[TOP_CATEGORIES:])
    if rest:
        by_category.append({"code": "_other", "name": None, "en": None, "epidemic": False, "count": rest})

    # 2. trend: hourly, today against the same day a week ago
    w0, w1 = t0 - timedelta(days=7), t1 - timedelta(days=7)
    hour = local_hour(conn, c.received_at, tz, now).label("hour")
    is_today = sa.case((c.received_at >= t0, 1), else_=0).label("today")
    same_time = sa.case((c.received_at < now - timedelta(days=7), 1), else_=0)
    trend_rows = conn.execute(_scoped(
        sa.select(is_today, hour, sa.func.count().label("n"), sa.func.sum(same_time).label("before"))
        .where(sa.or_(sa.and_(c.received_at >= t0, c.received_at < t1),
                      sa.and_(c.received_at >= w0, c.received_at < w1)))
        .group_by(is_today, hour), scope)).all()
    current_hour = now.astimezone(ZoneInfo(tz)).hour
    this_week, last_week = [0] * 24, [0] * 24
    last_week_same_time = 0
    for r in trend_rows:
        if r.hour is None or not 0 <= r.hour < 24:
            continue
        if r.today:
            this_week[r.hour] += r.n
        else:
            last_week[r.hour] += r.n
            last_week_same_time += int(r.before or 0)
    trend = {"hours": list(range(24)), "today": this_week[:current_hour + 1], "last_week": last_week,
             "today_so_far": sum(this_week), "last_week_same_time": last_week_same_time,
             "change": None if not last_week_same_time else round(sum(this_week) / last_week_same_time - 1, 4)}

    # 3. the open snapshot: SLA risk and special groups, one pass over the open orders
    unresolved = sa.and_(_in(c.state, UNRESOLVED), c.paused_at.is_(None))
    due = c.resolve_due_at

    def n_if(cond):
        return sa.func.sum(sa.case((cond, 1), else_=0))

    snap = conn.execute(_scoped(
        sa.select(c.special_groups, sa.func.count().label("open"),
                  n_if(sa.and_(unresolved, due < now)).label("overdue"),
                  n_if(sa.and_(unresolved, due >= now, due < now + timedelta(hours=1))).label("due_1h"),
                  n_if(sa.and_(unresolved, due >= now, due < now + timedelta(hours=4))).label("due_4h"),
                  n_if(_in(c.urgency, HOT)).label("urgent"))
        .where(sa.text(LIVE_SQL)).group_by(c.special_groups), scope)).all()
    sla = {"open": 0, "overdue": 0, "due_1h": 0, "due_4h": 0, "urgent_open": 0}
    special = {"today": today["special"], "open": 0, "overdue": 0, "by_group": []}
    per_group: dict[str, dict[str, int]] = {}
    for r in snap:
        sla["open"] += r.open
        sla["overdue"] += int(r.overdue or 0)
        sla["due_1h"] += int(r.due_1h or 0)
        sla["due_4h"] += int(r.due_4h or 0)
        sla["urgent_open"] += int(r.urgent or 0)
        codes = [g for g in (r.special_groups or "").split(",") if g]
        if codes:
            special["open"] += r.open
            special["overdue"] += int(r.overdue or 0)
            for g in codes:
                pg = per_group.setdefault(g, {"open": 0, "overdue": 0})
                pg["open"] += r.open
                pg["overdue"] += int(r.overdue or 0)
    for code, v in sorted(per_group.items(), key=lambda kv: (-kv[1]["open"], kv[0])):
        g = groups.get(code)
        special["by_group"].append({"code": code, "name": g.name if g else code, "en": (g.en or g.name) if g else code,
                                    **v})

    # 4. the urgent / critical ticker: most pressing resolve deadline first (partial index, in order)
    ticker_rows = conn.execute(_scoped(
        sa.select(c.number, c.urgency, c.category, c.state, c.text, c.special_groups, c.lead_unit_id,
                  c.area_unit_id, c.received_at, c.resolve_due_at, c.paused_at, c.supervised)
        .where(_in(c.state, UNRESOLVED), _in(c.urgency, HOT), due.is_not(None))
        # the partial index's own order (deadline first; the other columns break ties): a walk, no sort
        .order_by(due, c.urgency, c.state, c.special_groups, c.paused_at, c.lead_unit_id, c.id)
        .limit(TICKER_SIZE), scope)).all()
    ticker = []
    for r in ticker_rows:
        k = cats.get(r.category) if r.category else None
        left = None if r.paused_at is not None else int((r.resolve_due_at - now).total_seconds())
        ticker.append({
            "number": r.number, "urgency": r.urgency, "state": r.state, "category": r.category,
            "category_name": k.name if k else None, "category_en": (k.en or k.name) if k else None,
            "text": _short(r.text, 40), "special_groups": [g for g in r.special_groups.split(",") if g],
            "unit": places.name(r.lead_unit_id), "area": places.name(r.area_unit_id),
            "street": places.name(places.street_of(r.area_unit_id) or places.street_of(r.lead_unit_id)),
            "received_at": r.received_at, "resolve_due_at": r.resolve_due_at, "seconds_left": left,
            "overdue": left is not None and left < 0, "paused": r.paused_at is not None, "supervised": r.supervised,
        })

    # 5. hot spots: clusters of open orders about one place and one matter in the last 24 hours
    spots = []
    for h in hot_spots(conn, scope, now):
        k = cats.get(h.category)
        spots.append({"area": places.code(h.area_unit_id), "area_name": places.name(h.area_unit_id),
                      "street": places.name(places.street_of(h.area_unit_id)), "category": h.category,
                      "category_name": k.name if k else h.category, "category_en": (k.en or k.name) if k else h.category,
                      "count": h.count, "first_at": h.first, "last_at": h.last})

    unit = places.units.get(actor.unit_id)
    return {
        "generated_at": now, "timezone": tz, "day": t0.date().isoformat(), "marker": marker,
        "scope": {"district": scope is None, "unit": unit.code if unit else None, "unit_name": unit.name if unit else ""},
        "today": today, "by_category": by_category, "by_street": by_street(rows, places), "sla": sla,
        "special_groups": special, "hotspots": spots, "trend": trend, "urgent_open": ticker,
    }


def hot_spots(conn: Connection, scope, now: datetime, hours: int = 24, min_count: int = 3, limit: int = 8):
    """``views.hotspots``' clusters (N or more open orders about one committee and one matter within
    T hours) in one query: the screen shows the count, the place and the matter, not the numbers."""
    stmt = (sa.select(c.area_unit_id, c.category, sa.func.count().label("count"),
                      sa.func.min(c.received_at).label("first"), sa.func.max(c.received_at).label("last"))
            .where(sa.text(LIVE_SQL), c.received_at >= now - timedelta(hours=hours), c.area_unit_id.is_not(None),
                   c.category.is_not(None))
            .group_by(c.area_unit_id, c.category).having(sa.func.count() >= min_count)
            .order_by(sa.func.count().desc(), sa.func.max(c.received_at).desc()).limit(limit))
    return conn.execute(_scoped(stmt, scope)).all()


def _short(text: str, n: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[:n - 1] + "…"
