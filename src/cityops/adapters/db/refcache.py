"""A per-process cache of reference data, invalidated through the database."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .tables import district_settings


class ReferenceCache:
    """Reference data (policies, mode, calendar, category codes) read once per change, not per request.

    Every change of reference data writes a new random ``ref_version`` in the same transaction;
    a reader compares one small row with the version it cached (per database URL), so a change
    made by any process is seen by all at their next transaction. The version is read once per
    transaction (remembered on the connection for that transaction)."""

    _store: dict[str, tuple[str, dict[str, Any]]] = {}
    _lock = threading.Lock()

    @classmethod
    def get(cls, conn: Connection, name: str, load) -> Any:
        key = f"{conn.engine.url}|{_search_path(conn)}"
        version = cls._version(conn)
        with cls._lock:
            cached = cls._store.get(key)
            if cached is None or cached[0] != version:
                cached = (version, {})
                cls._store[key] = cached
            if name in cached[1]:
                return cached[1][name]
        value = load()
        with cls._lock:
            if cls._store.get(key, ("",))[0] == version:
                cls._store[key][1][name] = value
        return value

    @staticmethod
    def _version(conn: Connection) -> str:
        tx = id(conn.get_transaction())
        seen = conn.info.get("cityops_ref_version")
        if seen is not None and seen[0] == tx:
            return seen[1]
        row = conn.execute(sa.select(district_settings.c.value).where(district_settings.c.key == "ref_version")).first()
        version = row.value if row else ""
        conn.info["cityops_ref_version"] = (id(conn.get_transaction()), version)
        return version

    @staticmethod
    def bump(conn: Connection, actor_id: int | None, now: datetime) -> None:
        value = uuid.uuid4().hex
        conn.info["cityops_ref_version"] = (id(conn.get_transaction()), value)
        _upsert(conn, "ref_version", value, actor_id, now)


def read_setting(conn: Connection, key: str, default: Any = None) -> Any:
    """A district setting (mode, working hours, active triage model…), or ``default``."""
    row = conn.execute(sa.select(district_settings.c.value).where(district_settings.c.key == key)).first()
    return default if row is None else row.value


def write_setting(conn: Connection, key: str, value: Any, actor_id: int | None, now: datetime) -> None:
    """Set a district setting; it is reference data, so every process's cache is invalidated."""
    ReferenceCache.bump(conn, actor_id, now)
    _upsert(conn, key, value, actor_id, now)


def _upsert(conn: Connection, key: str, value: Any, actor_id: int | None, now: datetime) -> None:
    t = district_settings
    if conn.execute(sa.update(t).where(t.c.key == key).values(value=value, updated_by=actor_id,
                                                              updated_at=now)).rowcount == 0:
        conn.execute(sa.insert(t).values(key=key, value=value, updated_by=actor_id, updated_at=now))


def _search_path(conn: Connection) -> str:
    if conn.dialect.name != "postgresql":
        return ""
    if "cityops_search_path" not in conn.info:  # once per pooled connection, not per read
        conn.info["cityops_search_path"] = conn.exec_driver_sql("SHOW search_path").scalar()
    return conn.info["cityops_search_path"]
