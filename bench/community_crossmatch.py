"""P3 — the community cross-match at city scale, and ledger/results import throughput.

Cross-match (the figures per committee, building and unit, plus the untested list as a file):
25 M residents × ~25 M results of one round (Shanghai: 24.9 M residents, 25.7 M sampled in a
day), synthetic (``cityops community synth``), generated once into ``--data`` and reused.
Each engine runs in its own process so its peak memory (ru_maxrss) is its own:

* **duckdb** — ``adapters/community/crossmatch.py``: the production code path;
* **polars** — the same computation with Polars' lazy API (to justify the choice of engine);
* **pandas** — the same with ``merge`` + ``groupby`` (the baseline). At 25 M it needs more
  memory than the goal; it runs at ``--pandas-scale`` (1.0 = full scale) when the machine has
  the memory, else at a smaller scale (data generated at that scale), and the ratio is
  reported at the scale it ran, with DuckDB timed on the same data.

All three must agree on the totals (must, tested, exempted, untested, positive).

Import throughput: realistic ledger and results files (``synth_files``) of ``--import-rows``
rows, imported through the real use cases (parse, check digits, HMAC, row report, upsert)
into a fresh SQLite file and a private PostgreSQL schema, as CSV (UTF-8 and GBK) and XLSX
with merged header rows: rows/s. Also the snapshot (operational database → Parquet) rate.

Usage: python bench/community_crossmatch.py [--residents 25000000] [--data /tmp/community25m]
       [--pandas-scale 1.0] [--import-rows 50000] [--skip-import]
Prints a readable summary, then one JSON object as the last line.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _common import ROOT, private_schema  # (also puts src/ on sys.path)

COUNTS = ("must", "tested", "exempted", "untested", "positive")

# ---------------------------------------------------------------------------- engines (child processes)

DUCKDB = """
import json, resource, sys, time
from cityops.adapters.community.crossmatch import connect, crossmatch
data, mem = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
con = connect(mem, 2, data + '/spill')
crossmatch(con, f"read_parquet('{data}/residents.parquet')", f"read_parquet('{data}/results.parquet')",
           untested_out=data + '/untested.duckdb.parquet')
tot = con.execute('SELECT count(*), sum(must), sum(tested), sum(exempted), sum(untested), sum(positive) FROM progress').fetchall()[0]
secs = time.perf_counter() - t0
print(json.dumps({'seconds': secs, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  'units': tot[0], **dict(zip(['must','tested','exempted','untested','positive'], map(int, tot[1:])))}))
"""

POLARS = """
import json, resource, sys, time
import polars as pl
data = sys.argv[1]
t0 = time.perf_counter()
r = pl.scan_parquet(f'{data}/residents.parquet')
t = pl.scan_parquet(f'{data}/results.parquet')
tested = t.group_by('k1', 'k2').agg(pl.col('positive').any().alias('pos'), pl.lit(True).alias('hit'))
m = r.join(tested, on=['k1', 'k2'], how='left').with_columns(
    pl.when(pl.col('status') == 'moved_out').then(pl.lit('not_counted'))
      .when(pl.col('hit').fill_null(False)).then(pl.lit('tested'))
      .when((pl.col('status') == 'away') | pl.col('bedridden')).then(pl.lit('exempted'))
      .otherwise(pl.lit('untested')).alias('st'), pl.col('pos').fill_null(False))
m.filter(pl.col('st') == 'untested').select('resident_id', 'committee_id', 'building_id', 'unit') \\
 .sink_parquet(f'{data}/untested.polars.parquet')
agg = m.group_by('committee_id', 'building_id', 'unit').agg(
    (pl.col('st') != 'not_counted').sum().alias('must'), (pl.col('st') == 'tested').sum().alias('tested'),
    (pl.col('st') == 'exempted').sum().alias('exempted'), (pl.col('st') == 'untested').sum().alias('untested'),
    (pl.col('pos') & (pl.col('st') != 'not_counted')).sum().alias('positive')).filter(pl.col('must') > 0).collect()
secs = time.perf_counter() - t0
s = agg.select([pl.col(c).sum() for c in ['must','tested','exempted','untested','positive']]).row(0)
print(json.dumps({'seconds': secs, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  'units': agg.height, **dict(zip(['must','tested','exempted','untested','positive'], map(int, s)))}))
"""

PANDAS = """
import json, resource, sys, time
import numpy as np, pandas as pd, pyarrow.parquet as pq
data = sys.argv[1]
t0 = time.perf_counter()
r = pq.read_table(f'{data}/residents.parquet').to_pandas()
t = pq.read_table(f'{data}/results.parquet').to_pandas()
tested = t.groupby(['k1', 'k2'], sort=False)['positive'].any().rename('pos').reset_index()
tested['hit'] = True
m = r.merge(tested, on=['k1', 'k2'], how='left')
hit = m['hit'].fillna(False).astype(bool).to_numpy()
pos = m['pos'].fillna(False).astype(bool).to_numpy()
moved = (m['status'] == 'moved_out').to_numpy()
exempt = ((m['status'] == 'away') | m['bedridden']).to_numpy()
st = np.select([moved, hit, exempt], ['not_counted', 'tested', 'exempted'], 'untested')
m['st'] = st
m['pos'] = pos & ~moved
m.loc[m['st'] == 'untested', ['resident_id', 'committee_id', 'building_id', 'unit']].to_parquet(f'{data}/untested.pandas.parquet')
m['must'] = ~moved; m['tested'] = st == 'tested'; m['exempted'] = st == 'exempted'; m['untested'] = st == 'untested'
agg = m.groupby(['committee_id', 'building_id', 'unit'], sort=False)[['must','tested','exempted','untested','pos']].sum()
agg = agg[agg['must'] > 0]
secs = time.perf_counter() - t0
s = agg.sum()
print(json.dumps({'seconds': secs, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  'units': int(len(agg)), 'must': int(s['must']), 'tested': int(s['tested']), 'exempted': int(s['exempted']),
                  'untested': int(s['untested']), 'positive': int(s['pos'])}))
"""


def run_child(code: str, *args: str, timeout: float = 900) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=timeout)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        return {"error": (p.stderr or p.stdout).strip().splitlines()[-1][:300] if (p.stderr or p.stdout) else f"exit {p.returncode}",
                "process_wall_s": wall}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["process_wall_s"] = wall
    return out


def mem_available_gb() -> float:
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def same(a: dict, b: dict) -> bool:
    return all(a.get(k) == b.get(k) for k in COUNTS)


# ---------------------------------------------------------------------------- import throughput

def import_bench(rows: int) -> dict:
    from cityops.adapters.community import synth as S
    from cityops.adapters.community.crossmatch import DuckDbCrossMatcher
    from cityops.adapters.community.files import read_rows, sha256
    from cityops.adapters.crypto.passwords import Argon2Hasher
    from cityops.adapters.db.engine import make_engine
    from cityops.app import identity
    from cityops.app.community import ledger as led
    from cityops.app.community import results as res
    from cityops.app.community.rounds import create_round, refresh_progress
    from cityops.bootstrap import bootstrap
    from cityops.settings import load_settings

    tz = timezone(timedelta(hours=8))
    day = datetime(2022, 4, 2, 6, 0, tzinfo=tz)
    now = day + timedelta(days=1)
    committees = [f"C{i:02d}" for i in range(max(1, rows // 4000))]
    per = rows // len(committees)
    people = [S.synth_people(code, per, start=k * per) for k, code in enumerate(committees)]
    ledger, results = S.ledger_table(people), S.results_table(people, day)
    files = {}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        S.write_csv(d / "ledger.csv", S.LEDGER_HEADER, ledger)
        S.write_csv(d / "ledger-gbk.csv", S.LEDGER_HEADER, ledger, encoding="gbk")
        S.write_xlsx(d / "ledger.xlsx", "居民台账", S.LEDGER_HEADER, ledger)
        S.write_csv(d / "results.csv", S.RESULT_HEADER, results)
        S.write_xlsx(d / "results.xlsx", "检测结果", S.RESULT_HEADER, results, merged=False)
        for f in d.iterdir():
            files[f.name] = f.read_bytes()
    out: dict = {"ledger_rows": len(ledger), "results_rows": len(results)}

    def setup(url: str):
        from cityops.adapters.db.migrate import upgrade
        from cityops.app.reference import install_defaults

        engine = make_engine(url)
        upgrade(engine)
        box = bootstrap(load_settings({}, env="test"), engine=engine, now=lambda: now,
                        hasher=Argon2Hasher(time_cost=1, memory_cost=1024), transports={})
        install_defaults(box.uow(), now)
        identity.create_unit(box.uow(), None, code="D", name="示范区", kind="district", parent_code=None, now=now)
        identity.create_unit(box.uow(), None, code="S1", name="龙华街道", kind="street", parent_code="D", now=now)
        for code in committees:
            identity.create_unit(box.uow(), None, code=code, name=f"居委{code}", kind="committee", parent_code="S1", now=now)
        for p in people:
            led.add_buildings(box.uow(), None, p.committee_code, p.buildings, now)
        return box

    def timed(box, name: str, fn) -> dict:
        data = files[name]
        t0 = time.perf_counter()
        rows_ = read_rows(data, name)
        r = fn(box.uow(), None, rows_, filename=name, sha256=sha256(data), secret="bench", now=now)
        secs = time.perf_counter() - t0
        return {"seconds": round(secs, 2), "rows_per_s": round(r["rows"] / secs), "bad_rows": r["bad_rows"],
                **{k: r[k] for k in ("added", "updated", "unchanged", "imported", "already_imported") if k in r}}

    dbs = []
    tmp = tempfile.mkdtemp()
    dbs.append(("sqlite", f"sqlite:///{tmp}/bench.db", None))
    cm = private_schema("bench_p3")
    schema, pg_url = cm.__enter__()
    dbs.append(("postgres", pg_url, cm))
    try:
        for label, url, _ in dbs:
            box = setup(url)
            o = {}
            o["ledger_csv_utf8"] = timed(box, "ledger.csv", led.import_ledger)           # first import: inserts
            o["ledger_csv_gbk_again"] = timed(box, "ledger-gbk.csv", led.import_ledger)  # same people: all unchanged
            o["ledger_xlsx_again"] = timed(box, "ledger.xlsx", led.import_ledger)
            o["results_csv"] = timed(box, "results.csv", res.import_results)
            o["results_xlsx_again"] = timed(box, "results.xlsx", res.import_results)     # all already imported
            rnd = create_round(box.uow(), None, name="bench", area_code="D", starts_at=day, ends_at=day + timedelta(hours=24),
                               now=now)
            t0 = time.perf_counter()
            m = refresh_progress(box.uow(), None, rnd["id"], DuckDbCrossMatcher(box.engine, tmp), now)
            o["refresh_round"] = {"seconds": round(time.perf_counter() - t0, 2), "snapshot_s": m["seconds"]["snapshot"],
                                  "match_s": m["seconds"]["match"], "residents": m["residents_read"],
                                  "results": m["results_in_window"], "untested": m["untested"]}
            out[label] = o
            box.engine.dispose()
    finally:
        cm.__exit__(None, None, None)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--residents", type=int, default=25_000_000)
    ap.add_argument("--data", default="/tmp/community25m")
    ap.add_argument("--pandas-scale", type=float, default=1.0)
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB's memory_limit")
    ap.add_argument("--import-rows", type=int, default=50_000)
    ap.add_argument("--skip-import", action="store_true")
    ap.add_argument("--skip-polars", action="store_true")
    args = ap.parse_args()

    data = Path(args.data)
    if not (data / "residents.parquet").exists():
        from cityops.adapters.community.synth import synth_parquet

        t0 = time.perf_counter()
        info = synth_parquet(data, args.residents)
        print(f"generated {info['residents']:,} residents and {info['results']:,} results in {time.perf_counter() - t0:.1f} s")
    import duckdb

    n_res = duckdb.sql(f"SELECT count(*) FROM read_parquet('{data}/residents.parquet')").fetchall()[0][0]
    n_out = duckdb.sql(f"SELECT count(*) FROM read_parquet('{data}/results.parquet')").fetchall()[0][0]
    print(f"P3 cross-match: {n_res:,} residents × {n_out:,} results ({data})")
    result: dict = {"residents": n_res, "results": n_out, "machine": {"cores": os.cpu_count(),
                                                                     "mem_available_gb": round(mem_available_gb(), 1)}}

    duck = run_child(DUCKDB, str(data), args.memory_limit)
    print(f"  duckdb  full : {duck.get('seconds', 0):6.1f} s  peak {duck.get('peak_rss_mb', 0):7.0f} MB  {duck}")
    result["duckdb"] = duck
    if not args.skip_polars:
        pol = run_child(POLARS, str(data))
        print(f"  polars  full : {pol.get('seconds', 0):6.1f} s  peak {pol.get('peak_rss_mb', 0):7.0f} MB  agrees={same(duck, pol)}")
        result["polars"] = pol
        result["polars_agrees"] = same(duck, pol)

    scale = args.pandas_scale
    need_gb = 12 * scale  # pandas peaks near 7 GB per 25 M rows each side: leave room for the others on the machine
    if mem_available_gb() < need_gb:
        scale = max(0.1, round(mem_available_gb() / 12 * 0.8, 2))
        print(f"  (only {mem_available_gb():.1f} GB available: pandas runs at scale {scale})")
    if scale >= 1.0:
        scaled, duck_same = data, duck
    else:  # the same generator at the smaller scale (a prefix of the shuffled results would not be a round)
        from cityops.adapters.community.synth import synth_parquet

        scaled = data.parent / f"{data.name}-scale{scale}"
        if not (scaled / "results.parquet").exists():
            synth_parquet(scaled, int(n_res * scale))
        duck_same = run_child(DUCKDB, str(scaled), args.memory_limit)
    pan = run_child(PANDAS, str(scaled))
    print(f"  pandas  scale {scale}: {pan.get('seconds', 0):6.1f} s  peak {pan.get('peak_rss_mb', 0):7.0f} MB  agrees={same(duck_same, pan)}")
    speedup = round(pan["seconds"] / duck_same["seconds"], 1) if "seconds" in pan and "seconds" in duck_same else None
    print(f"  duckdb vs pandas at that scale: {speedup}x faster")
    result.update({"pandas": pan, "pandas_scale": scale, "pandas_agrees": same(duck_same, pan),
                   "duckdb_at_pandas_scale": duck_same, "speedup_vs_pandas": speedup,
                   "goal": {"seconds": 30, "peak_mb": 6144, "speedup": 5},
                   "goal_met": bool(duck.get("seconds", 99) <= 30 and duck.get("peak_rss_mb", 1e9) <= 6144
                                    and (speedup or 0) >= 5)})

    if not args.skip_import:
        print(f"import throughput ({args.import_rows:,} ledger rows, through the use cases):")
        imp = import_bench(args.import_rows)
        for db in ("sqlite", "postgres"):
            for k, v in imp[db].items():
                print(f"  {db:8s} {k:22s} {v}")
        result["import"] = imp
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
