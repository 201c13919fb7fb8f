"""Gazetteer, routing rules and the knowledge base in SQL; their indexes are built once per
change (reference cache) and shared by every request of the process."""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...domain.kb.model import KbEntry
from ...domain.kb.search import KbIndex
from ...domain.org import Unit
from ...domain.routing import Gazetteer, GazetteerEntry, areas_from_units
from .refcache import ReferenceCache
from .tables import gazetteer_entries, kb_entries, routing_rules


def entry_to_body(e: GazetteerEntry) -> dict[str, Any]:
    d = dataclasses.asdict(e)
    d["polygon"] = [list(p) for p in e.polygon]
    d.pop("line", None)
    return d


def entry_from_body(d: dict[str, Any]) -> GazetteerEntry:
    return GazetteerEntry(**{**d, "aliases": tuple(d.get("aliases") or ()),
                             "polygon": tuple(tuple(p) for p in d.get("polygon") or ())})


class SqlGazetteerRepository:
    def __init__(self, conn: Connection, units_fn):
        self.conn = conn
        self._units = units_fn

    def replace_all(self, entries: list[GazetteerEntry], now: datetime) -> None:
        self.conn.execute(sa.delete(gazetteer_entries))
        if entries:
            self.conn.execute(sa.insert(gazetteer_entries), [
                {"kind": e.kind, "name": e.name, "committee_code": e.committee_code, "body": entry_to_body(e)}
                for e in entries])
        ReferenceCache.bump(self.conn, None, now)

    def count(self) -> int:
        return self.conn.execute(sa.select(sa.func.count()).select_from(gazetteer_entries)).scalar_one()

    def gazetteer(self) -> Gazetteer:
        def load() -> Gazetteer:
            entries = [entry_from_body(r.body) for r in self.conn.execute(
                sa.select(gazetteer_entries.c.body).order_by(gazetteer_entries.c.id))]
            units: list[Unit] = list(self._units())
            return Gazetteer(entries, areas_from_units(units))
        return ReferenceCache.get(self.conn, "gazetteer", load)


class SqlRoutingRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def rules(self) -> list[dict[str, Any]]:
        return ReferenceCache.get(self.conn, "routing_rules", lambda: [
            r.body for r in self.conn.execute(sa.select(routing_rules.c.body).where(routing_rules.c.active)
                                              .order_by(routing_rules.c.id))])

    def replace(self, rules: list[dict[str, Any]], actor_id: int | None, now: datetime) -> None:
        self.conn.execute(sa.delete(routing_rules))
        if rules:
            self.conn.execute(sa.insert(routing_rules), [
                {"body": r, "active": True, "updated_by": actor_id, "updated_at": now} for r in rules])
        ReferenceCache.bump(self.conn, actor_id, now)


def kb_from_row(r: Any) -> KbEntry:
    return KbEntry(id=r.key, question=r.question, answer=r.answer, category=r.category or "",
                   valid_from=r.valid_from, valid_to=r.valid_to, source=r.source, version=r.version,
                   keywords=tuple(r.keywords or ()))


class SqlKbRepository:
    def __init__(self, conn: Connection, tokenizer_fn):
        self.conn = conn
        self._tokenizer = tokenizer_fn

    def all_versions(self) -> list[KbEntry]:
        return [kb_from_row(r) for r in self.conn.execute(sa.select(kb_entries).order_by(kb_entries.c.key,
                                                                                         kb_entries.c.version))]

    def versions(self, key: str) -> list[KbEntry]:
        return [kb_from_row(r) for r in self.conn.execute(
            sa.select(kb_entries).where(kb_entries.c.key == key).order_by(kb_entries.c.version))]

    def latest(self, key: str) -> KbEntry | None:
        row = self.conn.execute(sa.select(kb_entries).where(kb_entries.c.key == key, kb_entries.c.current)).first()
        return kb_from_row(row) if row else None

    def add_version(self, e: KbEntry, actor_id: int | None, now: datetime, close_previous_at: datetime | None = None) -> None:
        """Store ``e`` as the current version of its key; the previous one stays as history."""
        t = kb_entries
        values: dict[str, Any] = {"current": False}
        if close_previous_at is not None:
            values["valid_to"] = close_previous_at
        self.conn.execute(sa.update(t).where(t.c.key == e.id, t.c.current).values(**values))
        self.conn.execute(sa.insert(t).values(
            key=e.id, version=e.version, current=True, question=e.question, answer=e.answer, category=e.category or None,
            keywords=list(e.keywords), source=e.source, valid_from=e.valid_from, valid_to=e.valid_to,
            created_at=now, created_by=actor_id))
        ReferenceCache.bump(self.conn, actor_id, now)

    def index(self) -> KbIndex:
        return ReferenceCache.get(self.conn, "kb_index",
                                  lambda: KbIndex.build(self.all_versions(), tokenizer=self._tokenizer()))
