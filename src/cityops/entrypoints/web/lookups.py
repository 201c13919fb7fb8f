"""Names for codes shown on pages: categories, special groups, units, states, urgencies, channels."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...adapters.db import views
from ...adapters.db.refcache import ReferenceCache
from ...adapters.db.tables import special_groups as special_groups_table
from ...domain.orders.model import Channel, State, Urgency
from ...domain.roles import Actor, HANDLING_ROLES
from . import i18n


@dataclass
class Labels:
    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    units: dict[int, dict[str, Any]] = field(default_factory=dict)
    scope_units: list[dict[str, Any]] = field(default_factory=list)  # units the user may filter by
    en: bool = False

    def category(self, code: str | None) -> str:
        if not code:
            return ""
        c = self.categories.get(code)
        if c is None:
            return code
        return (c.get("en") or c["name"]) if self.en else c["name"]

    def group(self, code: str) -> str:
        g = self.groups.get(code)
        if g is None:
            return code
        return (g.get("en") or g["name"]) if self.en else g["name"]

    def unit(self, unit_id: int | None) -> str:
        u = self.units.get(unit_id) if unit_id is not None else None
        return u["name"] if u else ""

    @staticmethod
    def state(code: str) -> str:
        return i18n.label("state", code)

    @staticmethod
    def urgency(code: str) -> str:
        return i18n.label("urgency", code)

    @staticmethod
    def channel(code: str) -> str:
        return i18n.label("channel", code)

    @property
    def states(self) -> list[str]:
        return [s.value for s in State]

    @property
    def urgencies(self) -> list[str]:
        return [u.value for u in Urgency]

    @property
    def channels(self) -> list[str]:
        return [c.value for c in Channel]

    def top_categories(self) -> list[dict[str, Any]]:
        return [c for c in self.categories.values() if not c.get("parent_code")]

    def dispatch_units(self) -> list[dict[str, Any]]:
        """Units an order can be dispatched to: every active unit below the district and the center."""
        return [u for u in self.units.values() if u["active"] and u["kind"] not in ("district", "center")]

    def leaf_categories(self) -> list[dict[str, Any]]:
        return [c for c in self.categories.values() if c.get("parent_code") and c.get("active", True)]


def _reference(conn: Connection) -> tuple[dict, dict, list, dict]:
    """Categories, special groups and units: read once per reference-data change (every page uses them)."""
    def load():
        all_units = views.list_units(conn)
        return ({c["code"]: c for c in views.list_categories(conn)},
                {r.code: dict(r._mapping) for r in conn.execute(sa.select(special_groups_table))},
                all_units, {u["id"]: u for u in all_units})
    return ReferenceCache.get(conn, "web_labels", load)


def labels(conn: Connection, actor: Actor | None = None) -> Labels:
    cats, groups, all_units, units = _reference(conn)
    scope = all_units
    if actor is not None and actor.role in HANDLING_ROLES:
        own = units.get(actor.unit_id)
        scope = [u for u in all_units if own and u["path"].startswith(own["path"])]
    return Labels(categories=cats, groups=groups, units=units, scope_units=scope,
                  en=i18n.current_locale.get() == "en")
