"""P2: the deadline sweeper on a big table — idle sweeps, and a burst of 10,000 due orders.

On PostgreSQL (a private schema) it bulk-loads 1,000,000 open orders with COPY (rows shaped
by ``order_to_row`` from orders built with the domain's own transitions; every step already
due is marked fired, so ``next_due_at`` lies in the future and nothing is due), then:

* baseline: a bare ``SELECT 1`` round trip, and a plain indexed
  ``SELECT id FROM orders WHERE next_due_at <= now LIMIT 500``;
* idle: ``sweep_once`` with nothing due, 50 times (p50/p99; goal <= 5 ms);
* burst: 10,000 more orders (loaded with the rest, parked) whose steps really are due —
  reminders, overdue + escalation, and business-clock reminders — are released at once, and
  ``sweep_until_idle`` handles them (goal <= 2 s);
* EXPLAIN (ANALYZE) of the claim query the repository emits, idle and with 10,000 due.

Prints a table and, as the last line, one JSON object.

    .venv/bin/python bench/p2_sweep.py [--orders 1000000] [--due 10000] [--batch 500] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fast_hasher, pct, prepare_db, private_schema  # noqa: E402

from cityops.adapters.db.engine import make_engine  # noqa: E402
from cityops.adapters.db.orders_repo import order_to_row  # noqa: E402
from cityops.adapters.db.tables import orders  # noqa: E402
from cityops.app.orders.sweep import sweep_once, sweep_until_idle  # noqa: E402
from cityops.app.orders.usecases import clock_for  # noqa: E402
from cityops.bootstrap import bootstrap  # noqa: E402
from cityops.domain.orders import lifecycle as lc  # noqa: E402
from cityops.domain.orders.model import Channel  # noqa: E402
from cityops.domain.orders.policy import Mode, Urgency, choose_policy, default_policies  # noqa: E402
from cityops.domain.orders.schedule import due_steps, next_due, schedule  # noqa: E402
from cityops.domain.roles import Actor, Role  # noqa: E402
from cityops.settings import load_settings  # noqa: E402

GOALS = {"idle_p99_ms": 5.0, "burst_s": 2.0}
PARK = timedelta(days=365 * 100)  # due rows wait this far in the future until released
COLUMNS = [c.name for c in orders.columns if c.name != "id"]
TEXTS = ["小区封控三天了，家里没菜了", "楼道堆物影响通行", "核酸检测点排队太久", "独居老人需要配药", "隔离点热水供应不足",
         "路灯不亮", "垃圾清运不及时", "噪音扰民"]


# ------------------------------------------------------------------ rows


def _copy_field(v) -> str:
    if v is None:
        return r"\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, datetime):
        return v.astimezone(timezone.utc).isoformat()
    if isinstance(v, (dict, list)):
        v = json.dumps(v, ensure_ascii=False)
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_line_tail(row: dict) -> str:
    """The COPY text of a row without its first column (number), ending in a newline."""
    return "\t" + "\t".join(_copy_field(row[c]) for c in COLUMNS[1:]) + "\n"


assert COLUMNS[0] == "number"


class Maker:
    """Orders built with the domain's own transitions, for a given real 'now'."""

    def __init__(self, box, units: dict, now: datetime):
        self.now = now
        self.units = units
        with box.uow() as uow:
            self.op = Actor(user_id=uow.users.by_username("op")["id"], username="op", role=Role.OPERATOR,
                            unit_id=units["CENTER"])
            self.s1 = Actor(user_id=uow.users.by_username("s1")["id"], username="s1", role=Role.UNIT_HANDLER,
                            unit_id=units["S1"])
            pols = default_policies()
            self.policies = {(m, u): choose_policy(pols, m, u, None) for m in Mode for u in Urgency}
            self.clocks = {k: clock_for(uow, p) for k, p in self.policies.items()}

    def build(self, mode: Mode, urgency: Urgency, received: datetime, dispatch_after: float | None,
              accept_after: float | None, i: int):
        policy, clock = self.policies[(mode, urgency)], self.clocks[(mode, urgency)]
        o = lc.receive(number="", channel=Channel.HOTLINE, text=TEXTS[i % len(TEXTS)] + f" #{i}", urgency=urgency,
                       category="epi.supplies" if mode == Mode.EPIDEMIC else "city.environment", policy=policy,
                       clock=clock, actor=self.op, now=received, caller_name="张女士", caller_phone="13912345678",
                       address=f"龙华路 {i % 500} 号", special_groups=("elderly",) if i % 7 == 0 else ()).order
        if dispatch_after is not None:
            lead = self.units["S1"] if i % 3 else self.units["S1C1"]
            o = lc.dispatch(o, self.op, received + timedelta(minutes=dispatch_after), clock, lead).order
            if accept_after is not None:
                o = lc.accept(o, self.s1, received + timedelta(minutes=accept_after), clock).order
        return o, clock

    def idle(self, rnd: random.Random, i: int) -> dict:
        """An open order at some stage whose past steps were all handled: next deadline ahead."""
        mode = Mode.EPIDEMIC if rnd.random() < 0.7 else Mode.NORMAL
        urgency = rnd.choices(list(Urgency), weights=(1, 3, 6))[0]
        received = self.now - timedelta(minutes=rnd.uniform(1, 3 * 24 * 60))
        stage = rnd.random()
        o, clock = self.build(mode, urgency, received, None if stage < 0.15 else rnd.uniform(1, 20),
                              None if stage < 0.5 else rnd.uniform(25, 60), i)
        horizon = self.now + timedelta(minutes=5)
        o = o.evolve(fired=frozenset(s.key for s in schedule(o, clock) if s.due_at <= horizon))
        return order_to_row(o) | {"next_due_at": next_due(o, clock), "version": 3, "updated_at": self.now}

    def due(self, i: int) -> tuple[dict, int]:
        """An order with steps due now (row parked by PARK), and how many steps will act."""
        kind = i % 10
        if kind < 5:    # dispatched 40 minutes ago, not accepted: the 30-minute reminder
            o, clock = self.build(Mode.EPIDEMIC, Urgency.NORMAL, self.now - timedelta(minutes=41), 1, None, i)
        elif kind < 8:  # urgent, accepted, 24 h resolve deadline just passed: overdue, escalation, feedback
            o, clock = self.build(Mode.EPIDEMIC, Urgency.URGENT, self.now - timedelta(hours=24, minutes=3), 1, 20, i)
            o = o.evolve(fired=frozenset(s.key for s in schedule(o, clock)
                                         if s.due_at <= self.now - timedelta(hours=12)))
        else:           # normal mode, business clock: dispatched long enough ago for the reminder
            policy_clock = self.clocks[(Mode.NORMAL, Urgency.NORMAL)]
            t = self.now - timedelta(minutes=10)
            while policy_clock.add(t, 120) > self.now - timedelta(minutes=1):
                t -= timedelta(minutes=10)
            o, clock = self.build(Mode.NORMAL, Urgency.NORMAL, t - timedelta(minutes=5), 5, None, i)
        steps = due_steps(o, clock, self.now)
        nd = next_due(o, clock)
        assert steps.act and nd is not None and nd <= self.now, (kind, steps, nd)
        row = order_to_row(o) | {"next_due_at": nd + PARK, "version": 3, "updated_at": self.now}
        return row, len(steps.act)


def load(engine, maker: Maker, n_idle: int, n_due: int, templates: int, seed: int) -> dict:
    rnd = random.Random(seed)
    t0 = time.perf_counter()
    idle_tails = [copy_line_tail(maker.idle(rnd, i)) for i in range(min(templates, n_idle))]
    due = [maker.due(i) for i in range(n_due)]
    t_build = time.perf_counter() - t0
    expected_steps = sum(n for _, n in due)
    t1 = time.perf_counter()
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            with cur.copy(f"COPY orders ({', '.join(COLUMNS)}) FROM STDIN") as cp:
                buf, size = [], 0
                for i in range(n_idle):
                    line = f"B{i:09d}" + idle_tails[i % len(idle_tails)]
                    buf.append(line)
                    size += len(line)
                    if size > 4_000_000:
                        cp.write("".join(buf))
                        buf, size = [], 0
                for i, (row, _) in enumerate(due):
                    buf.append(f"D{i:09d}" + copy_line_tail(row))
                cp.write("".join(buf))
        raw.commit()
    finally:
        raw.close()
    t_copy = time.perf_counter() - t1
    t2 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE orders")
        size = conn.exec_driver_sql("SELECT pg_size_pretty(pg_total_relation_size('orders'))").scalar_one()
    t_vacuum = time.perf_counter() - t2
    return {"build_s": t_build, "copy_s": t_copy, "vacuum_analyze_s": t_vacuum, "table_size": size,
            "expected_steps": expected_steps, "templates": len(idle_tails)}


# ------------------------------------------------------------------ measurements


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def claim_sql(box) -> tuple[str, dict]:
    """The SQL and parameters that ``claim_due`` really sends."""
    seen: list = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FOR UPDATE" in statement:
            seen.append((statement, parameters))

    sa.event.listen(box.engine, "before_cursor_execute", grab)
    try:
        with box.uow() as uow:
            uow.orders.claim_due(box.now(), 500)
    finally:
        sa.event.remove(box.engine, "before_cursor_execute", grab)
    return seen[0]


def explain(engine, sql: str, params: dict) -> str:
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).scalars().all()
        conn.rollback()  # EXPLAIN ANALYZE took the row locks; let them go
    return "\n".join(plan)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=1_000_000, help="open orders with nothing due")
    ap.add_argument("--due", type=int, default=10_000, help="orders made due at once")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--idle-runs", type=int, default=50)
    ap.add_argument("--templates", type=int, default=20_000, help="distinct idle orders (the rest are copies)")
    ap.add_argument("--seed", type=int, default=2022)
    ap.add_argument("--profile", action="store_true", help="cProfile the burst sweep (slower) and print the top")
    args = ap.parse_args()

    out: dict = {"bench": "p2_sweep", "orders": args.orders, "due": args.due, "batch": args.batch, "goals": GOALS}
    with private_schema("bench_p2") as (schema, url):
        t = time.perf_counter()
        info = prepare_db(url)
        engine = make_engine(url)
        box = bootstrap(load_settings({}, env="test", database_url=url), engine=engine, hasher=fast_hasher(),
                        transports={})
        maker = Maker(box, info["units"], box.now())
        ld = load(engine, maker, args.orders, args.due, args.templates, args.seed)
        ld["setup_total_s"] = time.perf_counter() - t
        out["load"] = ld
        print(f"loaded {args.orders:,} idle + {args.due:,} parked orders: build {ld['build_s']:.1f} s, "
              f"COPY {ld['copy_s']:.1f} s, VACUUM ANALYZE {ld['vacuum_analyze_s']:.1f} s, table {ld['table_size']}",
              file=sys.stderr, flush=True)

        with engine.connect() as conn:
            due_now = conn.exec_driver_sql("SELECT count(*) FROM orders WHERE next_due_at <= now()").scalar_one()
            assert due_now == 0, f"{due_now} orders are due before the release"
            # baselines, on one open connection
            conn.rollback()
            select1 = timed(lambda: conn.exec_driver_sql("SELECT 1").scalar_one(), 200)
            plain = timed(lambda: conn.exec_driver_sql(
                "SELECT id FROM orders WHERE next_due_at <= %(now)s LIMIT 500", {"now": box.now()}).all(), 200)
            conn.rollback()
        checkout = timed(lambda: engine.connect().close(), 200)

        sweep_once(box.uow(), box.now(), args.batch)  # warm the pool and caches
        idle = timed(lambda: sweep_once(box.uow(), box.now(), args.batch), args.idle_runs)
        sql, params = claim_sql(box)
        plan_idle = explain(engine, sql, params)

        # the burst: release the parked rows, EXPLAIN the claim with them due, then sweep them all
        with engine.begin() as conn:
            released = conn.exec_driver_sql(
                "UPDATE orders SET next_due_at = next_due_at - make_interval(secs => %(s)s) "
                "WHERE next_due_at > now() + interval '50 years'", {"s": PARK.total_seconds()}).rowcount
        assert released == args.due, released
        sql, params = claim_sql(box)
        plan_due = explain(engine, sql, params)
        prof = cProfile.Profile() if args.profile else None
        t = time.perf_counter()
        if prof:
            prof.enable()
        r = sweep_until_idle(box.uow, box.now, args.batch)
        if prof:
            prof.disable()
        burst_s = time.perf_counter() - t
        with engine.connect() as conn:
            left = conn.exec_driver_sql("SELECT count(*) FROM orders WHERE next_due_at <= now()").scalar_one()
            events = conn.exec_driver_sql("SELECT count(*) FROM order_events").scalar_one()
            inapp = conn.exec_driver_sql("SELECT count(*) FROM notifications").scalar_one()
            outbox = conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar_one()
        idle_after = timed(lambda: sweep_once(box.uow(), box.now(), args.batch), args.idle_runs)
        engine.dispose()

    uses_index = "ix_orders_next_due_at" in plan_idle and "ix_orders_next_due_at" in plan_due
    out.update({
        "baseline_select1_ms": {"p50": round(pct(select1, 50), 3), "p99": round(pct(select1, 99), 3)},
        "baseline_checkout_ms": {"p50": round(pct(checkout, 50), 3), "p99": round(pct(checkout, 99), 3)},
        "baseline_indexed_select_ms": {"p50": round(pct(plain, 50), 3), "p99": round(pct(plain, 99), 3)},
        "idle_sweep_ms": {"p50": round(pct(idle, 50), 3), "p99": round(pct(idle, 99), 3),
                          "mean": round(statistics.fmean(idle), 3), "runs": len(idle)},
        "idle_sweep_after_burst_ms": {"p50": round(pct(idle_after, 50), 3), "p99": round(pct(idle_after, 99), 3)},
        "burst": {"seconds": round(burst_s, 3), "orders": r.orders, "steps": r.steps, "notices": r.notices,
                  "expected_steps": ld["expected_steps"], "left_due": left, "events": events, "inapp": inapp,
                  "outbox": outbox, "orders_per_s": round(r.orders / burst_s)},
        "claim_uses_next_due_index": uses_index,
    })
    out["goals_met"] = {"idle_p99": out["idle_sweep_ms"]["p99"] <= GOALS["idle_p99_ms"],
                        "burst": burst_s <= GOALS["burst_s"] and left == 0 and r.orders == args.due}

    print()
    print(f"P2 deadline sweeper: {args.orders:,} open orders + {args.due:,} due, batch {args.batch}, PostgreSQL")
    print(f"load: build {ld['build_s']:.1f} s, COPY {ld['copy_s']:.1f} s, VACUUM ANALYZE {ld['vacuum_analyze_s']:.1f} s,"
          f" table {ld['table_size']}")
    print()
    print(f"{'measurement':52s}{'p50 ms':>10s}{'p99 ms':>10s}")
    print("-" * 72)
    for label, xs in (("baseline: SELECT 1 (open connection)", select1),
                      ("baseline: pool checkout (+ pre-ping) and return", checkout),
                      ("baseline: SELECT id ... next_due_at <= now LIMIT 500", plain),
                      (f"idle sweep_once, nothing due ({len(idle)} runs)", idle),
                      ("idle sweep_once after the burst", idle_after)):
        print(f"{label:52s}{pct(xs, 50):10.3f}{pct(xs, 99):10.3f}")
    print()
    b = out["burst"]
    print(f"burst: {b['orders']:,} due orders swept in {burst_s:.3f} s ({b['orders_per_s']:,} orders/s): "
          f"{b['steps']:,} steps (expected {b['expected_steps']:,}), {b['notices']:,} notices "
          f"({b['inapp']:,} in-app, {b['outbox']:,} outbox), {b['events']:,} events; still due: {left}")
    print(f"goals: idle p99 <= {GOALS['idle_p99_ms']} ms: {'MET' if out['goals_met']['idle_p99'] else 'NOT MET'}; "
          f"10k due <= {GOALS['burst_s']} s: {'MET' if out['goals_met']['burst'] else 'NOT MET'}")
    print()
    print("claim query:", " ".join(sql.split()))
    print("EXPLAIN (ANALYZE, BUFFERS), nothing due:")
    print("  " + plan_idle.replace("\n", "\n  "))
    print(f"EXPLAIN (ANALYZE, BUFFERS), {args.due:,} due:")
    print("  " + plan_due.replace("\n", "\n  "))
    print(f"claim query uses ix_orders_next_due_at: {uses_index}")
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(35)
        print(s.getvalue())
    out["explain_idle"] = plan_idle
    out["explain_due"] = plan_due
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
