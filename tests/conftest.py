"""Shared fixtures: a migrated database per test on SQLite (always) and PostgreSQL (when
CITYOPS_TEST_DATABASE_URL is set), a fake clock, and a small district with a user per role."""
from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from cityops.adapters.crypto.passwords import Argon2Hasher
from cityops.adapters.db.engine import make_engine, normalize_url
from cityops.adapters.db.migrate import upgrade
from cityops.adapters.db.tables import metadata
from cityops.app import identity
from cityops.app.reference import install_defaults
from cityops.bootstrap import Container, bootstrap
from cityops.settings import load_settings

PG_URL = os.environ.get("CITYOPS_TEST_DATABASE_URL")
START = datetime(2022, 3, 25, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai, a Friday


class FakeClock:
    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> datetime:
        self.now += timedelta(**kw)
        return self.now


def fast_hasher() -> Argon2Hasher:
    return Argon2Hasher(time_cost=1, memory_cost=1024)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    install_defaults(bootstrap(load_settings({}), engine=engine, hasher=fast_hasher(), transports={}).uow(), START)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema():
    """A private schema for this test session, so parallel runs never meet."""
    if not PG_URL:
        yield None
        return
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(normalize_url(PG_URL))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = pg_engine(schema)
    upgrade(engine)
    install_defaults(bootstrap(load_settings({}), engine=engine, hasher=fast_hasher(), transports={}).uow(), START)
    engine.dispose()
    yield schema
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def pg_engine(schema: str, pool_size: int = 5):
    return sa.create_engine(normalize_url(PG_URL), pool_size=pool_size, max_overflow=10,
                            connect_args={"options": f"-csearch_path={schema}"})


REFERENCE_TABLES = {"categories", "special_groups", "deadline_policies", "district_settings", "alembic_version"}


def _reset_pg(engine) -> None:
    names = [t.name for t in metadata.sorted_tables if t.name not in REFERENCE_TABLES]
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE")
        # reference rows an earlier test may have edited go back to the defaults
        conn.exec_driver_sql("DELETE FROM deadline_policies")
        conn.exec_driver_sql("DELETE FROM district_settings")
        # categories an earlier test added or renamed (children before their parents)
        conn.exec_driver_sql("DELETE FROM categories WHERE parent_code IS NOT NULL")
        conn.exec_driver_sql("DELETE FROM categories")
        conn.exec_driver_sql("DELETE FROM special_groups")


def db_params():
    return ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)] if PG_URL else ["sqlite"]


@pytest.fixture(params=db_params())
def engine(request, tmp_path, sqlite_template, pg_schema):
    if request.param == "sqlite":
        path = tmp_path / "cityops.db"
        shutil.copy(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
    else:
        eng = pg_engine(pg_schema)
        _reset_pg(eng)
        install_defaults(bootstrap(load_settings({}), engine=eng, hasher=fast_hasher(), transports={}).uow(), START)
    yield eng
    eng.dispose()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def box(engine, clock, tmp_path) -> Container:
    settings = load_settings({}, env="test", media_dir=str(tmp_path / "media"))
    return bootstrap(settings, engine=engine, now=clock, hasher=fast_hasher(), transports={})


@dataclass
class District:
    units: dict
    actors: dict


def build_district(box: Container) -> District:
    """District 示范区: a center, two streets with two committees each, a department, a team."""
    now = box.now()
    spec = [
        ("D", "示范区", "district", None, {}),
        ("CENTER", "示范区城运中心", "center", "D", {}),
        ("S1", "龙华街道", "street", "D", {"hotline_lead_name": "王强", "hotline_lead_phone": "13800000001",
                                        "leader_name": "李明", "leader_phone": "13800000002",
                                        "webhook_url": ""}),
        ("S1C1", "龙漕居委", "committee", "S1", {}),
        ("S1C2", "漕溪居委", "committee", "S1", {}),
        ("S2", "四川北路街道", "street", "D", {"hotline_lead_phone": "13800000003"}),
        ("S2C1", "永丰居委", "committee", "S2", {}),
        ("HEALTH", "区卫健委", "department", "D", {}),
        ("TEAM1", "联动小分队", "field_team", "S1", {}),
    ]
    units = {}
    for code, name, kind, parent, contacts in spec:
        units[code] = identity.create_unit(box.uow(), None, code=code, name=name, kind=kind, parent_code=parent,
                                           now=now, **contacts)
    people = [("op", "operator", "CENTER"), ("sup", "supervisor", "CENTER"), ("cmd", "commander", "CENTER"),
              ("adm", "admin", "CENTER"), ("s1", "unit_handler", "S1"), ("s1c1", "unit_handler", "S1C1"),
              ("s2", "unit_handler", "S2"), ("hw", "unit_handler", "HEALTH"), ("fm", "field_member", "TEAM1")]
    actors = {}
    for username, role, unit in people:
        identity.create_user(box.uow(), box.hasher, None, username=username, password="password-" + username,
                             role=role, unit_code=unit, now=now, display_name=username.upper())
        with box.uow() as uow:
            actors[username] = identity.actor_of(uow.users.by_username(username))
    return District(units=units, actors=actors)


@pytest.fixture
def district(box) -> District:
    return build_district(box)
