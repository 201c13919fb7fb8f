"""The cross-match engine: the resident ledger × the test results of a round, in DuckDB.

Fed from the operational database by a snapshot into Parquet (PostgreSQL: ``COPY … TO STDOUT``
streamed to a file and converted by DuckDB; SQLite: read in chunks). Each side carries the
person's key as two BIGINTs (k1, k2: the first 120 bits of the HMAC of the ID number), so the
join works on fixed-width integers instead of 64-character strings: a hash join over 25 M × 25 M
rows that fits in a few GB (see bench/community_crossmatch.py for the figures, and pandas and
Polars doing the same).

The classification is :func:`cityops.domain.community.rounds.classify`, written as SQL with the
domain's own constants; ``tests/integration/test_community_crossmatch.py`` checks both agree.
"""
from __future__ import annotations

import csv
import os
import tempfile
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ...app.community.ports import MatchOutcome
from ...domain.community import rounds as R
from ...domain.community.ledger import BEDRIDDEN
from ...domain.community.results import POSITIVE
from ..db import tables as T

KEY_HEX = 15  # hex digits per key column: 60 bits, two columns = 120 bits of the HMAC
COUNTS = ("must", "tested", "exempted", "untested", "positive")


def connect(memory_limit: str = "4GB", threads: int = 2, temp_dir: str | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit='{memory_limit}'")
    con.execute(f"SET threads={int(threads)}")
    con.execute("SET preserve_insertion_order=false")
    if temp_dir:
        con.execute(f"SET temp_directory='{temp_dir}'")
    return con


def _q(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def classify_sql(status: str = "r.status", bedridden: str = "r.bedridden", tested: str = "t.k1 IS NOT NULL",
                 noted: str = "x.resident_id IS NOT NULL") -> str:
    """``rounds.classify`` as a SQL CASE (same constants)."""
    exempt_tags = [f"{bedridden}" for t in R.EXEMPT_TAGS if t == BEDRIDDEN]
    return (f"CASE WHEN {status} IN ({_q(R.EXCLUDED_STATUSES)}) THEN '{R.NOT_COUNTED}' "
            f"WHEN {tested} THEN '{R.TESTED}' "
            f"WHEN {status} IN ({_q(R.EXEMPT_STATUSES)}) {''.join(' OR ' + e for e in exempt_tags)} OR {noted} "
            f"THEN '{R.EXEMPTED}' ELSE '{R.UNTESTED}' END")


def crossmatch(con: duckdb.DuckDBPyConnection, residents: str, results: str, *, exempt_ids: Sequence[int] = (),
               untested_out: str | None = None) -> duckdb.DuckDBPyRelation:
    """Per (committee, building, unit), into the temp table ``progress``: must, tested, exempted, untested, positive.

    ``residents``/``results``: anything DuckDB can scan (a table name, ``read_parquet('…')``).
    Residents: resident_id, committee_id, building_id, unit, status, bedridden, k1, k2.
    Results (already the round's window): k1, k2, positive. ``untested_out``: a Parquet file to
    write the untested residents to (resident_id, committee_id, building_id, unit)."""
    con.execute("CREATE OR REPLACE TEMP TABLE exempt_notes (resident_id BIGINT)")
    if exempt_ids:
        con.executemany("INSERT INTO exempt_notes VALUES (?)", [(int(i),) for i in exempt_ids])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE matched AS
        WITH tested AS (SELECT k1, k2, bool_or(positive) AS pos FROM {results} GROUP BY k1, k2)
        SELECT r.resident_id, r.committee_id, r.building_id, r.unit,
               {classify_sql()} AS st, coalesce(t.pos, false) AS pos
        FROM {residents} r
        LEFT JOIN tested t ON t.k1 = r.k1 AND t.k2 = r.k2
        LEFT JOIN exempt_notes x ON x.resident_id = r.resident_id""")
    if untested_out:
        con.execute(f"COPY (SELECT resident_id, committee_id, building_id, unit FROM matched WHERE st = '{R.UNTESTED}') "
                    f"TO '{untested_out}' (FORMAT parquet)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE progress AS
        SELECT committee_id, building_id, unit,
               count(*) FILTER (WHERE st <> '{R.NOT_COUNTED}') AS must,
               count(*) FILTER (WHERE st = '{R.TESTED}') AS tested,
               count(*) FILTER (WHERE st = '{R.EXEMPTED}') AS exempted,
               count(*) FILTER (WHERE st = '{R.UNTESTED}') AS untested,
               count(*) FILTER (WHERE pos AND st <> '{R.NOT_COUNTED}') AS positive
        FROM matched GROUP BY committee_id, building_id, unit
        HAVING count(*) FILTER (WHERE st <> '{R.NOT_COUNTED}') > 0""")
    con.execute("DROP TABLE matched")
    return con.table("progress")


# ----------------------------------------------------------------------------- snapshot

def _scope_where(committee_ids: Sequence[int], building_ids: Sequence[int]) -> str:
    ids = ", ".join(str(int(i)) for i in committee_ids) or "NULL"
    out = f"committee_id IN ({ids})"
    if building_ids:
        out += " AND building_id IN (" + ", ".join(str(int(i)) for i in building_ids) + ")"
    return out


def _pg_copy(engine: Engine, query: str, path: Path) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with open(path, "wb") as fh, cur.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
            for chunk in copy:
                fh.write(chunk)
        raw.rollback()
    finally:
        raw.close()


def _sqlite_dump(engine: Engine, stmt, path: Path) -> None:
    with engine.connect() as conn, open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        result = conn.execution_options(stream_results=True).execute(stmt)
        while True:
            rows = result.fetchmany(50_000)
            if not rows:
                break
            w.writerows(rows)


def snapshot(engine: Engine, con: duckdb.DuckDBPyConnection, workdir: Path, spec: R.RoundSpec,
             committee_ids: Sequence[int]) -> tuple[str, str, int, int]:
    """Copy the round's residents and its window's results out of the operational database into
    Parquet files; returns (residents scan, results scan, residents, results)."""
    workdir.mkdir(parents=True, exist_ok=True)
    res_csv, out_csv = workdir / "residents.csv", workdir / "results.csv"
    where = _scope_where(committee_ids, spec.building_ids if spec.scope == R.BUILDINGS else ())
    bedridden = f"(tags = '{BEDRIDDEN}' OR tags LIKE '{BEDRIDDEN},%' OR tags LIKE '%,{BEDRIDDEN}' OR tags LIKE '%,{BEDRIDDEN},%')"
    if engine.dialect.name == "postgresql":
        key = lambda a, b: f"('x' || substr(id_hash, {a}, {KEY_HEX}))::bit({KEY_HEX * 4})::bigint"  # noqa: E731
        _pg_copy(engine, f"SELECT id, committee_id, building_id, unit, status, {bedridden}, {key(1, 0)}, "
                         f"{key(1 + KEY_HEX, 0)} FROM community_residents WHERE {where}", res_csv)
        _pg_copy(engine, f"SELECT {key(1, 0)}, {key(1 + KEY_HEX, 0)}, result = '{POSITIVE}' FROM test_results "
                         f"WHERE sample_time >= '{spec.starts_at.isoformat()}' AND sample_time < '{spec.ends_at.isoformat()}'",
                 out_csv)
        hexed = False
    else:
        r, t = T.community_residents, T.test_results
        stmt = sa.select(r.c.id, r.c.committee_id, r.c.building_id, r.c.unit, r.c.status, sa.text(bedridden),
                         r.c.id_hash).where(sa.text(where))
        _sqlite_dump(engine, stmt, res_csv)
        _sqlite_dump(engine, sa.select(t.c.id_hash, t.c.result == POSITIVE).where(
            t.c.sample_time >= spec.starts_at, t.c.sample_time < spec.ends_at), out_csv)
        hexed = True
    k = lambda col, a: f"('0x' || substr({col}, {a}, {KEY_HEX}))::BIGINT"  # noqa: E731
    res_cols = ("{'resident_id': 'BIGINT', 'committee_id': 'INTEGER', 'building_id': 'INTEGER', 'unit': 'VARCHAR', "
                "'status': 'VARCHAR', 'bedridden': 'BOOLEAN', " +
                ("'id_hash': 'VARCHAR'}" if hexed else "'k1': 'BIGINT', 'k2': 'BIGINT'}"))
    keys = f"{k('id_hash', 1)} AS k1, {k('id_hash', 1 + KEY_HEX)} AS k2" if hexed else "k1, k2"
    con.execute(f"COPY (SELECT resident_id, committee_id, building_id, coalesce(unit, '') AS unit, status, bedridden, {keys} "
                f"FROM read_csv('{res_csv}', header=false, columns={res_cols})) TO '{workdir / 'residents.parquet'}' (FORMAT parquet)")
    out_cols = ("{'id_hash': 'VARCHAR', 'positive': 'BOOLEAN'}" if hexed else
                "{'k1': 'BIGINT', 'k2': 'BIGINT', 'positive': 'BOOLEAN'}")
    con.execute(f"COPY (SELECT {keys}, positive FROM read_csv('{out_csv}', header=false, columns={out_cols})) "
                f"TO '{workdir / 'results.parquet'}' (FORMAT parquet)")
    os.unlink(res_csv)
    os.unlink(out_csv)
    n_res = con.execute(f"SELECT count(*) FROM read_parquet('{workdir / 'residents.parquet'}')").fetchone()[0]
    n_out = con.execute(f"SELECT count(*) FROM read_parquet('{workdir / 'results.parquet'}')").fetchone()[0]
    return (f"read_parquet('{workdir / 'residents.parquet'}')", f"read_parquet('{workdir / 'results.parquet'}')",
            n_res, n_out)


class DuckDbCrossMatcher:
    """The engine behind ``refresh_progress``: snapshot, cross-match, figures per building and unit."""

    def __init__(self, engine: Engine, workdir: str | Path | None = None, memory_limit: str = "4GB", threads: int = 2):
        self.engine = engine
        self.workdir = Path(workdir) if workdir else None
        self.memory_limit = memory_limit
        self.threads = threads

    @contextmanager
    def _dir(self) -> Iterator[Path]:
        if self.workdir is not None:
            self.workdir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="crossmatch-", dir=self.workdir) as d:
            yield Path(d)

    def match(self, spec: R.RoundSpec, committee_ids: Sequence[int], exempt_resident_ids: Sequence[int]) -> MatchOutcome:
        seconds: dict[str, float] = {}
        with self._dir() as d:
            con = connect(self.memory_limit, self.threads, str(d / "spill"))
            try:
                t0 = time.perf_counter()
                residents, results, n_res, n_out = snapshot(self.engine, con, d, spec, committee_ids)
                seconds["snapshot"] = round(time.perf_counter() - t0, 3)
                t0 = time.perf_counter()
                rel = crossmatch(con, residents, results, exempt_ids=exempt_resident_ids)
                cols = rel.columns
                rows = [dict(zip(cols, row)) for row in rel.fetchall()]
                seconds["match"] = round(time.perf_counter() - t0, 3)
            finally:
                con.close()
        for row in rows:
            for c in COUNTS:
                row[c] = int(row[c])
        return MatchOutcome(rows=rows, residents=n_res, results=n_out, seconds=seconds)
