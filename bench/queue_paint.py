"""Time to first paint of the queue page (/queue) with 100,000 orders in the database.

For each database (SQLite file, PostgreSQL private schema) it migrates, adds a small district
(``_common.prepare_db``: operator ``op`` at the center, handler ``s1`` in a street) and loads
100,000 orders over 60 days: orders older than three days are closed (90 %) or still open
(10 %, the backlog), the last three days a mix of every open state; all urgencies, both
category families, 8 % special groups, lead units the street and its committee. Then it starts
the real app (``cityops serve --no-workers``) on a free 127.0.0.1 port and measures:

* server time for the whole HTML response of ``/queue`` (default view: open orders, next
  deadline first, 50 a page, with the total count), of ``/queue?state=`` (every order) and of a
  deep page (``?state=&sort=received&page=1000``), as the operator (district) and as the
  street user (scoped) — p50/p99 over ``--runs`` keep-alive requests;
* baseline: ``GET /api/v1/ping`` on the same connection;
* with Debian's Chromium (``/usr/bin/chromium``, driven by Playwright) when present: the
  browser's first-contentful-paint of ``/queue`` (and responseEnd / DOMContentLoaded), warm
  cache, over ``--browser-runs`` navigations.

Prints a table and, as the last line, one JSON object.

    .venv/bin/python bench/queue_paint.py [--orders 100000] [--db sqlite,postgres] [--runs 30]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, free_port, pct, prepare_db, private_schema  # noqa: E402

from cityops.adapters.db.engine import make_engine  # noqa: E402
from cityops.adapters.db.tables import categories, orders, units  # noqa: E402

HOST = "127.0.0.1"
CHROMIUM = "/usr/bin/chromium"
TEXTS = ["小区封控三天了，家里没菜了", "楼道堆物影响通行", "核酸检测点排队太久", "独居老人需要配药", "隔离点热水供应不足",
         "路灯不亮", "垃圾清运不及时", "噪音扰民"]
OPEN_STATES = ["received", "dispatched", "accepted", "in_progress", "feedback_submitted", "callback_done"]
WINDOW = {"critical": timedelta(hours=2), "urgent": timedelta(hours=24), "normal": timedelta(hours=48)}


def rows(n: int, now: datetime, unit_ids: list[int], cats: list[str], seed: int = 2022):
    rnd = random.Random(seed)
    for i in range(n):
        rec = now - timedelta(seconds=rnd.uniform(60, 60 * 86400))
        urgency = rnd.choices(("critical", "urgent", "normal"), (1, 3, 6))[0]
        due = rec + WINDOW[urgency]
        if rec < now - timedelta(days=3):
            state = "closed" if rnd.random() < 0.9 else rnd.choice(OPEN_STATES[1:4])
        else:
            state = rnd.choice(OPEN_STATES + ["closed"])
        open_ = state != "closed"
        yield {
            "number": f"Q{i:09d}", "channel": "hotline_12345", "caller_name": "张女士", "caller_phone": "13912345678",
            "address": f"龙华路 {i % 500} 号", "text": TEXTS[i % len(TEXTS)] + f" #{i}", "category": cats[i % len(cats)],
            "urgency": urgency, "special_groups": "elderly" if i % 12 == 0 else "", "state": state,
            "lead_unit_id": None if state == "received" else unit_ids[i % len(unit_ids)],
            "received_at": rec, "dispatched_at": None if state == "received" else rec + timedelta(minutes=5),
            "closed_at": None if open_ else rec + WINDOW[urgency] * 0.8, "resolve_due_at": due,
            "accept_due_at": rec + timedelta(minutes=35), "next_due_at": due if open_ else None,
            "fired": [], "policy": {}, "updated_at": rec, "version": 1,
        }


def load(url: str, n: int, now: datetime) -> dict:
    prepare_db(url, now)
    engine = make_engine(url)
    t = time.perf_counter()
    with engine.begin() as conn:
        unit_ids = list(conn.execute(sa.select(units.c.id).where(units.c.code.in_(["S1", "S1C1"]))).scalars())
        cats = list(conn.execute(sa.select(categories.c.code).where(categories.c.parent_code.is_not(None))).scalars())
        batch = []
        for row in rows(n, now, unit_ids, cats):
            batch.append(row)
            if len(batch) == 5000:
                conn.execute(orders.insert(), batch)
                batch = []
        if batch:
            conn.execute(orders.insert(), batch)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE orders" if engine.dialect.name == "postgresql" else "ANALYZE")
        open_n = conn.exec_driver_sql("SELECT count(*) FROM orders WHERE state <> 'closed'").scalar_one()
    engine.dispose()
    return {"load_s": round(time.perf_counter() - t, 1), "open_orders": open_n}


def start_server(db_url: str, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    env.update(CITYOPS_DATABASE_URL=db_url, CITYOPS_RUN_WORKERS_IN_PROCESS="false",
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    cityops = Path(sys.executable).with_name("cityops")
    base = [str(cityops)] if cityops.exists() else [sys.executable, "-m", "cityops.entrypoints.cli"]
    with log.open("wb") as fh:
        proc = subprocess.Popen(base + ["serve", "--no-workers", "--host", HOST, "--port", str(port)], env=env,
                                stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://{HOST}:{port}/api/v1/ping", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_server(proc)
            raise SystemExit(f"server did not come up:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


def summary(xs: list[float]) -> dict:
    xs = [x for x in xs if x is not None]
    if not xs:
        return {"p50": None, "p99": None, "runs": 0}
    return {"p50": round(pct(xs, 50), 2), "p99": round(pct(xs, 99), 2), "mean": round(statistics.fmean(xs), 2),
            "runs": len(xs)}


def server_times(base: str, user: str, paths: list[str], runs: int) -> dict:
    out = {}
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as c:
        r = c.post("/login", data={"username": user, "password": "password-" + user})
        assert r.status_code == 303, r.text
        for label, path in [("ping", "/api/v1/ping")] + [(p, p) for p in paths]:
            for _ in range(3):  # warm-up
                c.get(path).raise_for_status()
            xs = []
            size = 0
            for _ in range(runs):
                t = time.perf_counter()
                resp = c.get(path)
                resp.raise_for_status()
                size = len(resp.content)
                xs.append((time.perf_counter() - t) * 1000)
            out[label] = summary(xs) | {"bytes": size}
    return out


FCP_JS = """() => {
  const p = performance.getEntriesByName('first-contentful-paint')[0];
  const n = performance.getEntriesByType('navigation')[0];
  return {fcp: p ? p.startTime : null, response_end: n ? n.responseEnd : null,
          dom_content_loaded: n ? n.domContentLoadedEventEnd : null};
}"""


def browser_paint(base: str, user: str, path: str, runs: int) -> dict | None:
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            page.goto(base + "/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", "password-" + user)
            with page.expect_navigation():
                page.click("button[type=submit]")
            fcp, resp_end, dcl = [], [], []
            for i in range(runs + 2):
                page.goto(base + path, wait_until="load")
                page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0",
                                       timeout=10000)
                m = page.evaluate(FCP_JS)
                if i >= 2:  # the first two warm the cache (CSS, scripts)
                    fcp.append(m["fcp"])
                    resp_end.append(m["response_end"])
                    dcl.append(m["dom_content_loaded"])
            rows_shown = page.locator("#queue-body tr[data-number]").count()
        finally:
            browser.close()
    return {"first_contentful_paint_ms": summary(fcp), "response_end_ms": summary(resp_end),
            "dom_content_loaded_ms": summary(dcl), "rows_shown": rows_shown}


def run_db(kind: str, url: str, args, tmp: Path) -> dict:
    now = datetime.now(timezone.utc)
    info = load(url, args.orders, now)
    print(f"[{kind}] loaded {args.orders:,} orders ({info['open_orders']:,} open) in {info['load_s']} s",
          file=sys.stderr, flush=True)
    proc, port = start_server(url, tmp / f"server-{kind}.log")
    base = f"http://{HOST}:{port}"
    paths = ["/queue", "/queue?state=", "/queue?state=&sort=received&page=1000"]
    try:
        res = {"load": info, "server": {u: server_times(base, u, paths, args.runs) for u in ("op", "s1")}}
        if args.browser_runs:
            res["browser"] = browser_paint(base, "op", "/queue", args.browser_runs)
    finally:
        stop_server(proc)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--browser-runs", type=int, default=10, help="0: no browser")
    args = ap.parse_args()
    out: dict = {"bench": "queue_paint", "orders": args.orders, "chromium": Path(CHROMIUM).exists()}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for kind in args.db.split(","):
            if kind == "sqlite":
                out["sqlite"] = run_db(kind, f"sqlite:///{tmp / 'queue.db'}", args, tmp)
            elif kind == "postgres":
                with private_schema("bench_queue") as (_schema, url):
                    out["postgres"] = run_db(kind, url, args, tmp)

    print()
    print(f"Queue page with {args.orders:,} orders: server time for the whole HTML response (ms)")
    print(f"{'db':10s}{'user':6s}{'request':44s}{'p50':>9s}{'p99':>9s}{'KB':>8s}")
    print("-" * 86)
    for kind in ("sqlite", "postgres"):
        if kind not in out:
            continue
        for user, res in out[kind]["server"].items():
            for label, m in res.items():
                print(f"{kind:10s}{user:6s}{label:44s}{m['p50']:9.2f}{m['p99']:9.2f}{m['bytes'] / 1024:8.1f}")
        b = out[kind].get("browser")
        if b:
            f = b["first_contentful_paint_ms"]
            print(f"{kind:10s}op    browser first-contentful-paint /queue      {f['p50']:9.1f}{f['p99']:9.1f}"
                  f"   (responseEnd p50 {b['response_end_ms']['p50']}, DOMContentLoaded p50 "
                  f"{b['dom_content_loaded_ms']['p50']}, {b['rows_shown']} rows)")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
