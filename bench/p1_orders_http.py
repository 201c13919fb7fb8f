"""P1: order intake over HTTP — POST /api/v1/orders against GET /api/v1/ping, same client.

Starts the real app in a subprocess on 127.0.0.1 (``cityops serve --no-workers`` for one
process; ``uvicorn --factory --workers 2`` for two), on (a) a SQLite file and (b) PostgreSQL in
a private schema, logs in as an operator, and drives it with 64 concurrent keep-alive
clients: first the empty endpoint (the baseline), then order intake. Prints a table and, as
the last line, one JSON object with every figure.

    .venv/bin/python bench/p1_orders_http.py [--seconds 10] [--clients 64] [--db sqlite,postgres]
                                             [--workers 1,2] [--dispatch]

Goal (PostgreSQL): >= 300 orders/s, p99 <= 100 ms, >= 40 % of the ping rate.
The load generator is a lean asyncio HTTP/1.1 client (no httpx per request), so that on a
small machine it takes as little CPU as possible from the server; its own CPU use is reported.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, free_port, pct, pg_base_url, prepare_db, private_schema  # noqa: E402

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

HOST = "127.0.0.1"
GOALS = {"orders_per_s": 300, "p99_ms": 100, "ratio": 0.40}


# ------------------------------------------------------------------ server


def start_server(db_url: str, workers: int, log: Path, appname: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_")}
    env.update(CITYOPS_DATABASE_URL=db_url, CITYOPS_RUN_WORKERS_IN_PROCESS="false", PGAPPNAME=appname,
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    cityops = Path(sys.executable).with_name("cityops")
    if workers == 1:
        base = [str(cityops)] if cityops.exists() else [sys.executable, "-m", "cityops.entrypoints.cli"]
        cmd = base + ["serve", "--no-workers", "--host", HOST, "--port", str(port)]
    else:
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "_common:app_factory", "--app-dir",
               str(Path(__file__).resolve().parent), "--workers", str(workers), "--host", HOST, "--port", str(port),
               "--log-level", "info"]
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://{HOST}:{port}/api/v1/ping", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_server(proc)
            raise SystemExit(f"server did not come up:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    if workers > 1:  # every worker process must be serving before we measure
        time.sleep(2.0)
    return proc, port


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 15)  # its own session: uvicorn's worker processes too
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


def server_cpu(proc: subprocess.Popen) -> float:
    """CPU seconds used so far by the server process and its children (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [proc.pid]
    try:
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        pids += [int(k) for k in kids]
    except OSError:
        pass
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


class PgSampler:
    """Samples pg_stat_activity for the server's backends (by application_name) every 50 ms:
    how many wait on a lock, how many sit idle in a transaction waiting for the app."""

    def __init__(self, appname: str):
        self.appname = appname
        self.n = 0
        self.sums = {"backends": 0, "lock_wait": 0, "idle_in_tx": 0, "active": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        engine = sa.create_engine(pg_base_url(), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                while not self._stop.wait(0.05):
                    rows = conn.exec_driver_sql(
                        "SELECT state, wait_event_type FROM pg_stat_activity WHERE application_name = %(a)s",
                        {"a": self.appname}).all()
                    conn.rollback()  # pg_stat_activity is a snapshot per transaction
                    self.n += 1
                    self.sums["backends"] += len(rows)
                    self.sums["lock_wait"] += sum(1 for st, w in rows if w == "Lock")
                    self.sums["idle_in_tx"] += sum(1 for st, w in rows if st == "idle in transaction")
                    self.sums["active"] += sum(1 for st, w in rows if st == "active")
        finally:
            engine.dispose()

    def __enter__(self) -> "PgSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def averages(self) -> dict:
        return {k: round(v / self.n, 1) if self.n else None for k, v in self.sums.items()}


# ------------------------------------------------------------------ load


def build_request(method: str, path: str, token: str, body: bytes = b"") -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", f"Authorization: Bearer {token}",
            "Accept: application/json"]
    if body:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def one_client(port: int, make_req, t_start: float, t_end: float, lat: list[float], status: dict) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    n = 0
    try:
        while True:
            t = time.perf_counter()
            if t >= t_end:
                break
            writer.write(make_req(n))
            n += 1
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            code = int(lines[0].split()[1])
            length = None
            for line in lines[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length is None:
                raise RuntimeError(f"no Content-Length in {head!r}")
            if length:
                await reader.readexactly(length)
            done = time.perf_counter()
            if t >= t_start:  # requests started during warm-up are not counted
                lat.append(done - t)
                status[code] = status.get(code, 0) + 1
    finally:
        writer.close()


async def drive(port: int, make_req, clients: int, warmup: float, seconds: float) -> dict:
    lat: list[float] = []
    status: dict[int, int] = {}
    t0 = time.perf_counter()
    t_start, t_end = t0 + warmup, t0 + warmup + seconds
    cpu0 = time.process_time()
    await asyncio.gather(*(one_client(port, make_req, t_start, t_end, lat, status) for _ in range(clients)))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    ok = sum(v for k, v in status.items() if 200 <= k < 300)
    return {"requests": len(lat), "ok": ok, "errors": len(lat) - ok, "status": {str(k): v for k, v in status.items()},
            "rate": ok / seconds, "p50_ms": pct(lat, 50) * 1000, "p99_ms": pct(lat, 99) * 1000,
            "max_ms": max(lat) * 1000 if lat else float("nan"), "client_cpu_pct": 100 * cpu / wall}


def measure(port: int, token: str, clients: int, warmup: float, seconds: float, dispatch: bool,
            proc: subprocess.Popen, pg_appname: str | None = None) -> dict:
    ping = build_request("GET", "/api/v1/ping", token)
    tag = f"{os.getpid()}-{time.time_ns()}"

    def order_req(n: int) -> bytes:
        body = {"text": f"小区封控三天了，家里没菜了，请帮忙协调送菜上门 #{tag}-{n}", "urgency": "urgent",
                "category": "epi.supplies", "caller_name": "张女士", "caller_phone": "13912345678",
                "address": "龙华路 1 号 3 幢 502", "special_groups": ["elderly"]}
        if dispatch:
            body["dispatch_to"] = "S1C1"
        return build_request("POST", "/api/v1/orders", token, json.dumps(body, ensure_ascii=False).encode())

    out = {}
    for name, make in (("ping", lambda n: ping), ("orders", order_req)):
        cpu0, t0 = server_cpu(proc), time.perf_counter()
        with ExitStack() as stack:
            sampler = stack.enter_context(PgSampler(pg_appname)) if pg_appname else None
            r = asyncio.run(drive(port, make, clients, warmup, seconds))
        r["server_cpu_pct"] = 100 * (server_cpu(proc) - cpu0) / (time.perf_counter() - t0)
        # server CPU per request (ms), from the steady rate
        r["server_cpu_ms_per_req"] = 10 * r["server_cpu_pct"] / r["rate"] if r["rate"] else float("nan")
        r["pg_backends"] = sampler.averages() if sampler else None
        out[name] = r
    return out


def login(port: int) -> str:
    r = httpx.post(f"http://{HOST}:{port}/api/v1/auth/login", json={"username": "op", "password": "password-op"},
                   timeout=30)
    r.raise_for_status()
    return r.json()["token"]


# ------------------------------------------------------------------ main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="measured seconds per endpoint and setup")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--db", default="sqlite,postgres")
    ap.add_argument("--workers", default="1,2", help="uvicorn worker processes to try")
    ap.add_argument("--dispatch", action="store_true", help="create and dispatch in one request")
    args = ap.parse_args()
    if uvloop is not None:
        uvloop.install()
    results = []
    with ExitStack() as stack:
        tmp = Path(tempfile.mkdtemp(prefix="cityops-p1-"))
        stack.callback(shutil.rmtree, tmp, True)
        for db in args.db.split(","):
            if db == "sqlite":
                url, appname = f"sqlite:///{tmp / 'p1.db'}", "cityops-p1"
            elif db == "postgres":
                appname, url = stack.enter_context(private_schema("bench_p1"))
            else:
                raise SystemExit(f"unknown --db {db}")
            prepare_db(url)
            for workers in (int(w) for w in args.workers.split(",")):
                log = tmp / f"server-{db}-{workers}.log"
                proc, port = start_server(url, workers, log, appname)
                try:
                    token = login(port)
                    r = measure(port, token, args.clients, args.warmup, args.seconds, args.dispatch, proc,
                                appname if db == "postgres" else None)
                finally:
                    stop_server(proc)
                r.update(db=db, workers=workers)
                r["ratio"] = r["orders"]["rate"] / r["ping"]["rate"] if r["ping"]["rate"] else float("nan")
                results.append(r)
                print(f"  {db:8s} workers={workers}: ping {r['ping']['rate']:7.0f}/s  orders {r['orders']['rate']:6.0f}/s"
                      f"  p50 {r['orders']['p50_ms']:6.1f} ms  p99 {r['orders']['p99_ms']:6.1f} ms", file=sys.stderr,
                      flush=True)

    print()
    print(f"P1 order intake over HTTP: {args.clients} keep-alive clients, {args.seconds:g} s measured per row "
          f"(+{args.warmup:g} s warm-up), {os.cpu_count()} CPUs shared by client, server and database"
          + (", create+dispatch" if args.dispatch else ""))
    hdr = (f"{'db':9s}{'uvicorn':>8s} {'endpoint':9s}{'req/s':>9s}{'p50 ms':>9s}{'p99 ms':>9s}{'max ms':>9s}"
           f"{'errors':>8s}{'srv CPU':>9s}{'ms/req':>8s}{'cli CPU':>9s}{'vs ping':>9s}")
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        for ep in ("ping", "orders"):
            m = r[ep]
            vs = f"{100 * r['ratio']:7.0f} %" if ep == "orders" else f"{'':9s}"
            print(f"{r['db']:9s}{r['workers']:>8d} {ep:9s}{m['rate']:9.0f}{m['p50_ms']:9.1f}{m['p99_ms']:9.1f}"
                  f"{m['max_ms']:9.1f}{m['errors']:8d}{m['server_cpu_pct']:8.0f}%{m['server_cpu_ms_per_req']:8.2f}"
                  f"{m['client_cpu_pct']:8.0f}%{vs}")
    print("(srv CPU: server processes' CPU, 100 % = one core; ms/req: server CPU time per request)")
    for r in results:
        pb = r["orders"]["pg_backends"]
        if pb:
            print(f"PostgreSQL backends during intake, {r['workers']} uvicorn worker(s), averages: {pb['backends']} "
                  f"connected, {pb['lock_wait']} waiting on a lock, {pb['idle_in_tx']} idle in transaction "
                  f"(waiting for the app), {pb['active']} active")
    print(f"goal on PostgreSQL: >= {GOALS['orders_per_s']} orders/s, p99 <= {GOALS['p99_ms']} ms, "
          f">= {100 * GOALS['ratio']:.0f} % of ping")
    for r in results:
        if r["db"] == "postgres":
            o = r["orders"]
            met = (o["rate"] >= GOALS["orders_per_s"] and o["p99_ms"] <= GOALS["p99_ms"] and r["ratio"] >= GOALS["ratio"]
                   and o["errors"] == 0)
            print(f"  postgres, {r['workers']} uvicorn worker(s): {'MET' if met else 'NOT MET'}")
    summary = {
        "bench": "p1_orders_http", "clients": args.clients, "seconds": args.seconds, "dispatch": args.dispatch,
        "cpus": os.cpu_count(), "goals": GOALS,
        "results": [{"db": r["db"], "workers": r["workers"],
                     "ping_rps": round(r["ping"]["rate"], 1), "ping_p50_ms": round(r["ping"]["p50_ms"], 2),
                     "ping_p99_ms": round(r["ping"]["p99_ms"], 2),
                     "orders_per_s": round(r["orders"]["rate"], 1), "orders_p50_ms": round(r["orders"]["p50_ms"], 2),
                     "orders_p99_ms": round(r["orders"]["p99_ms"], 2), "orders_max_ms": round(r["orders"]["max_ms"], 2),
                     "orders_errors": r["orders"]["errors"], "ping_errors": r["ping"]["errors"],
                     "orders_status": r["orders"]["status"],
                     "ratio_vs_ping": round(r["ratio"], 3),
                     "server_cpu_pct": {"ping": round(r["ping"]["server_cpu_pct"]),
                                        "orders": round(r["orders"]["server_cpu_pct"])},
                     "server_cpu_ms_per_req": {"ping": round(r["ping"]["server_cpu_ms_per_req"], 3),
                                               "orders": round(r["orders"]["server_cpu_ms_per_req"], 3)},
                     "pg_backends_during_orders": r["orders"]["pg_backends"],
                     "client_cpu_pct": {"ping": round(r["ping"]["client_cpu_pct"]),
                                        "orders": round(r["orders"]["client_cpu_pct"])}}
                    for r in results],
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
