"""Shared helpers for the benchmarks: private PostgreSQL schemas, a prepared database,
a free port, percentiles, and an app factory for ``uvicorn --factory``.

PostgreSQL comes from CITYOPS_BENCH_DATABASE_URL, else CITYOPS_TEST_DATABASE_URL, else the
local default below. Every benchmark works in its own schema (``bench_<random>``) and drops it
at the end; ``public`` and other schemas are never touched.
"""
from __future__ import annotations

import contextlib
import os
import socket
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:  # running from a checkout without installing
    sys.path.insert(0, str(ROOT / "src"))

from cityops.adapters.crypto.passwords import Argon2Hasher  # noqa: E402
from cityops.adapters.db.engine import make_engine, normalize_url  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_base_url() -> str:
    return normalize_url(os.environ.get("CITYOPS_BENCH_DATABASE_URL")
                         or os.environ.get("CITYOPS_TEST_DATABASE_URL") or DEFAULT_PG)


def schema_url(base: str, schema: str) -> str:
    """The URL with ``search_path`` pinned to one schema (works with make_engine and the CLI)."""
    url = sa.engine.make_url(normalize_url(base))
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@contextlib.contextmanager
def private_schema(prefix: str = "bench") -> Iterator[tuple[str, str]]:
    """Create ``<prefix>_<random>``; yield (schema, url); drop it (CASCADE) at the end."""
    base = pg_base_url()
    host = sa.engine.make_url(base).host or ""
    if host not in ("127.0.0.1", "localhost", "::1", ""):
        raise SystemExit(f"benchmarks run against a local PostgreSQL only, not {host!r}")
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema, schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND application_name = %(app)s", {"app": schema})
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def fast_hasher() -> Argon2Hasher:
    # the hash records its own parameters, so the server's default hasher verifies it
    return Argon2Hasher(time_cost=1, memory_cost=1024)


def prepare_db(url: str, now: datetime | None = None) -> dict:
    """Migrate, install reference data, and add a small district: the center, a street with
    phones (so reminders go out by SMS too), a committee, an operator ``op`` and a handler
    ``s1`` (passwords ``password-<username>``). Returns {'units': {code: id}}."""
    from cityops.adapters.db.migrate import upgrade
    from cityops.app import identity
    from cityops.app.reference import install_defaults
    from cityops.bootstrap import bootstrap
    from cityops.settings import load_settings

    now = now or datetime.now(timezone.utc)
    engine = make_engine(url)
    try:
        upgrade(engine)
        box = bootstrap(load_settings({}, env="test"), engine=engine, now=lambda: now, hasher=fast_hasher(),
                        transports={})
        install_defaults(box.uow(), now)
        spec = [("D", "示范区", "district", None, {}), ("CENTER", "示范区城运中心", "center", "D", {}),
                ("S1", "龙华街道", "street", "D", {"hotline_lead_phone": "13800000001", "leader_phone": "13800000002"}),
                ("S1C1", "龙漕居委", "committee", "S1", {})]
        units = {}
        for code, name, kind, parent, contacts in spec:
            units[code] = identity.create_unit(box.uow(), None, code=code, name=name, kind=kind, parent_code=parent,
                                               now=now, **contacts).id
        for username, role, unit in (("op", "operator", "CENTER"), ("s1", "unit_handler", "S1")):
            identity.create_user(box.uow(), box.hasher, None, username=username, password="password-" + username,
                                 role=role, unit_code=unit, now=now, display_name=username.upper())
        return {"units": units}
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values; nan when empty."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100 * len(v) + 0.5)) - 1))
    return v[k]


def app_factory():
    """``uvicorn --factory _common:app_factory``: the API as ``cityops serve --no-workers`` builds
    it, from CITYOPS_* settings."""
    from cityops.bootstrap import bootstrap
    from cityops.entrypoints.api.app import create_app

    return create_app(bootstrap(), workers=None)
