"""Duty: roster generation for 500 people over 90 days, and the latency of an assignment
suggestion with 200 members on duty — each with a baseline measured in the same run.

1. Roster (pure domain, pinned to one core): ``generate`` from the two-shift and the 7+14
   patterns for ``--people`` people over ``--days`` days, then the 7×24 coverage check of the
   result (sweep line) and the overlap check. Baselines: a naive generator (per person and day:
   find the person's group by scanning the groups, build the local datetimes from scratch) and a
   naive coverage check (per hour, count the people on duty by scanning every shift — measured on the
   first week only, against the sweep line on the same week: over 90 days it takes minutes).
   Then the whole use case ``generate_roster`` (validation, 500 members looked up, the rows written,
   gaps and overlaps answered) on SQLite and on PostgreSQL.
2. Suggestion: a team of ``--members`` field members all on duty (a roster), with open
   assignments spread over them; ``assign.suggest`` for one order ``--runs`` times (a fresh unit of
   work each time: what an HTTP request costs minus HTTP) → p50/p99. Baseline: the naive
   suggestion that asks the database once per member (its shifts, its load: N+1 queries), and the
   pure ranking alone (what the domain costs).

Usage: python bench/duty_roster.py [--people 500] [--days 90] [--members 200] [--runs 200] [--no-pg]
Prints a readable summary, then one JSON object as the last line.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402

from _common import fast_hasher, prepare_db, private_schema  # noqa: E402
from _timing import percentile, pin_one_core  # noqa: E402
from cityops.domain.duty.coverage import gaps  # noqa: E402
from cityops.domain.duty.patterns import BUILTIN  # noqa: E402
from cityops.domain.duty.roster import ShiftSlot, generate, overlaps, split_groups  # noqa: E402
from cityops.domain.duty.suggest import Candidate, rank  # noqa: E402

TZ = "Asia/Shanghai"
START = date(2022, 3, 1)
NOW = datetime(2022, 3, 1, 4, 0, tzinfo=timezone.utc)  # 12:00 local on the first day
PATTERNS = {p.code: p for p in BUILTIN}


def timed(fn, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def naive_generate(pattern, people: list[int], start: date, days: int) -> list[ShiftSlot]:
    groups = split_groups(pattern, people)
    out = []
    for uid in people:
        for i in range(days):
            g = next(name for name, members in groups.items() if uid in members)  # a scan per person and day
            code = pattern.rotation[g][i % pattern.cycle_days]
            if not code:
                continue
            s = next(x for x in pattern.shifts if x.code == code)
            day = start + timedelta(days=i)
            begin = datetime(day.year, day.month, day.day, s.start.hour, s.start.minute, tzinfo=ZoneInfo(TZ))
            out.append(ShiftSlot(uid, begin, begin + timedelta(minutes=s.minutes), code, g))
    return out


def naive_gaps(slots: list[ShiftSlot], start: datetime, end: datetime, required: int = 1) -> list[datetime]:
    out = []
    t = start
    while t < end:
        on = {s.user_id for s in slots if s.kind == "work" and s.starts_at <= t and t + timedelta(hours=1) <= s.ends_at}
        if len(on) < required:
            out.append(t)
        t += timedelta(hours=1)
    return out


def bench_generation(people: int, days: int) -> dict:
    ids = list(range(1, people + 1))
    start_dt = datetime.combine(START, datetime.min.time(), ZoneInfo(TZ))
    end_dt = start_dt + timedelta(days=days)
    out = {}
    for code in ("two_shifts", "seven_fourteen"):
        p = PATTERNS[code]
        groups = split_groups(p, ids)
        t_gen, slots = timed(lambda: generate(p, groups, START, days, TZ))
        t_naive, naive = timed(lambda: naive_generate(p, ids, START, days), repeat=1)
        assert len(naive) == len(slots)
        t_cov, g = timed(lambda: gaps(slots, start_dt, end_dt))
        t_ov, ov = timed(lambda: overlaps(slots))
        # the naive hourly scan takes minutes over the whole period: measured on the first week, both ways
        week = start_dt + timedelta(days=min(7, days))
        t_naive_cov, ng = timed(lambda: naive_gaps(slots, start_dt, week), repeat=1)
        t_cov_week, _ = timed(lambda: gaps(slots, start_dt, week))
        out[code] = {"shifts": len(slots), "generate_ms": round(t_gen * 1000, 1),
                     "naive_generate_ms": round(t_naive * 1000, 1), "coverage_ms": round(t_cov * 1000, 1),
                     "overlaps_ms": round(t_ov * 1000, 1), "coverage_week_ms": round(t_cov_week * 1000, 2),
                     "naive_coverage_week_ms": round(t_naive_cov * 1000, 1),
                     "gaps": len(g), "naive_gap_hours": len(ng), "overlaps": len(ov)}
    return out


def setup_team(url: str, members: int, now: datetime):
    """A migrated database with a team of ``members`` field members (S1 → TEAM)."""
    from cityops.app import identity
    from cityops.app.duty import teams
    from cityops.bootstrap import bootstrap
    from cityops.settings import load_settings

    prepare_db(url, now)
    from cityops.adapters.db.engine import make_engine
    engine = make_engine(url)
    box = bootstrap(load_settings({}, env="test"), engine=engine, now=lambda: now, hasher=fast_hasher(), transports={})
    identity.create_unit(box.uow(), None, code="TEAM", name="联动小分队", kind="field_team", parent_code="S1", now=now)
    hashed = box.hasher.hash("password-x")
    with box.uow() as uow:  # users in one transaction (the identity use case hashes each: ~members × 5 ms)
        team_id = uow.units.by_code("TEAM").id
        uow.conn.execute(sa.text(
            "INSERT INTO users (username, display_name, password_hash, role, unit_id, phone, email, active, created_at) "
            "VALUES (:u, :d, :h, 'field_member', :unit, '', '', true, :now)"),
            [{"u": f"m{i:04d}", "d": f"队员{i:04d}", "h": hashed, "unit": team_id, "now": now} for i in range(members)])
        uow.commit()
    teams.configure_team(box.uow(), None, "TEAM", now, area_units=["S1C1"], min_on_duty=1)
    rng = random.Random(7)
    for i in range(members):
        teams.set_member(box.uow(), None, "TEAM", f"m{i:04d}", now, skills=rng.sample(["patrol", "delivery",
                                                                                       "medical_escort"], 1))
    return box


def bench_use_case(url: str, label: str, people: int, days: int) -> dict:
    from cityops.app.duty import rosters
    box = setup_team(url, people, NOW)
    t = time.perf_counter()
    r = rosters.generate_roster(box.uow(), None, "TEAM", "two_shifts", START, days, NOW)
    took = time.perf_counter() - t
    box.engine.dispose()
    return {f"{label}_use_case_s": round(took, 2), f"{label}_use_case_shifts": r["shifts"]}


def bench_suggest(url: str, label: str, members: int, runs: int) -> dict:
    from cityops.app.duty import assign, rosters
    from cityops.app.orders import usecases as uc
    from cityops.domain.roles import SYSTEM

    box = setup_team(url, members, NOW)
    names = [f"m{i:04d}" for i in range(members)]
    rosters.generate_roster(box.uow(), None, "TEAM", "two_shifts", START, 3, NOW, groups={"A": names})
    order_numbers = []
    for i in range(60):  # open orders with the team, a third held by members: loads of 0-2
        o = uc.create_order(box.uow(), SYSTEM, uc.NewOrder(text=f"需要上门协助 {i}", area_unit_code="S1C1",
                                                            dispatch_to="TEAM", category="epi.supplies"), NOW)
        order_numbers.append(o.number)
    rng = random.Random(3)
    for n in order_numbers[:40]:
        assign.assign(box.uow(), None, n, NOW, username=rng.choice(names))
    target = order_numbers[-1]
    with box.uow() as uow:
        actor_on = sum(1 for s in uow.duty.shifts(None, NOW, NOW + timedelta(seconds=1)) if s.covers(NOW))
    assert actor_on == members, actor_on

    def ours():
        return assign.suggest(box.uow(), SYSTEM, target, NOW)

    def naive():
        with box.uow() as uow:
            order = uc.load_visible(uow, SYSTEM, target)
            team = uow.duty.team(order.lead_unit_id)
            cands = []
            for m in uow.duty.members(order.lead_unit_id):  # N+1: one round of queries per member
                mine = uow.duty.shifts_of_users([m.user_id], NOW - timedelta(seconds=1), NOW + timedelta(seconds=1))
                load = uow.duty.active_counts([m.user_id]).get(m.user_id, 0)
                on = any(s.kind == "work" and s.covers(NOW) for s in mine)
                covers = m.area_or(team).covers({order.area_unit_id}, None, uow.units.is_within)
                cands.append(Candidate(m.user_id, m.extra["display_name"], on, covers, load, frozenset(m.skills)))
        return rank(cands, NOW, "delivery")[0]

    assert ours()["best"]["user_id"] == naive().candidate.user_id  # same answer
    out = {}
    for name, fn in (("suggest", ours), ("naive_suggest", naive)):
        for _ in range(5):
            fn()
        lat = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            lat.append((time.perf_counter() - t) * 1000)
        out[f"{label}_{name}_p50_ms"] = round(percentile(lat, 50), 2)
        out[f"{label}_{name}_p99_ms"] = round(percentile(lat, 99), 2)
    cands = [Candidate(i, f"m{i}", True, i % 3 != 0, i % 4, frozenset({"delivery"} if i % 2 else ()), float(i % 7))
             for i in range(members)]
    lat = []
    for _ in range(runs):
        t = time.perf_counter()
        rank(cands, NOW, "delivery")
        lat.append((time.perf_counter() - t) * 1000)
    out["rank_only_p50_ms"] = round(percentile(lat, 50), 3)
    box.engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=500)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--members", type=int, default=200)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--no-pg", action="store_true")
    a = ap.parse_args()
    core = pin_one_core()
    result = {"bench": "duty_roster", "core": core, "people": a.people, "days": a.days, "members": a.members}
    gen = bench_generation(a.people, a.days)
    for code, r in gen.items():
        print(f"{code:15} {r['shifts']:>6} shifts: generate {r['generate_ms']} ms (naive {r['naive_generate_ms']} ms); "
              f"coverage {r['coverage_ms']} ms; first week {r['coverage_week_ms']} ms (naive hourly scan "
              f"{r['naive_coverage_week_ms']} ms); overlaps {r['overlaps_ms']} ms; "
              f"gaps {r['gaps']}")
        result.update({f"{code}_{k}": v for k, v in r.items()})
    with tempfile.TemporaryDirectory() as d:
        uc_sqlite = bench_use_case(f"sqlite:///{d}/roster.db", "sqlite", a.people, a.days)
        sug_sqlite = bench_suggest(f"sqlite:///{d}/suggest.db", "sqlite", a.members, a.runs)
    result.update(uc_sqlite)
    result.update(sug_sqlite)
    print(f"generate_roster use case, {a.people} people × {a.days} days on SQLite: {uc_sqlite['sqlite_use_case_s']} s "
          f"({uc_sqlite['sqlite_use_case_shifts']} shifts written)")
    print(f"suggest, {a.members} on duty, SQLite: p50 {sug_sqlite['sqlite_suggest_p50_ms']} ms, p99 "
          f"{sug_sqlite['sqlite_suggest_p99_ms']} ms (naive N+1: p50 {sug_sqlite['sqlite_naive_suggest_p50_ms']} ms, "
          f"p99 {sug_sqlite['sqlite_naive_suggest_p99_ms']} ms); ranking alone p50 {sug_sqlite['rank_only_p50_ms']} ms")
    if not a.no_pg:
        try:
            with private_schema("bench_duty") as (_s, url):
                uc_pg = bench_use_case(url, "pg", a.people, a.days)
            with private_schema("bench_duty") as (_s, url):
                sug_pg = bench_suggest(url, "pg", a.members, a.runs)
            result.update(uc_pg)
            result.update(sug_pg)
            print(f"generate_roster use case on PostgreSQL: {uc_pg['pg_use_case_s']} s")
            print(f"suggest, PostgreSQL: p50 {sug_pg['pg_suggest_p50_ms']} ms, p99 {sug_pg['pg_suggest_p99_ms']} ms "
                  f"(naive N+1: p50 {sug_pg['pg_naive_suggest_p50_ms']} ms, p99 {sug_pg['pg_naive_suggest_p99_ms']} ms)")
        except Exception as e:  # no local PostgreSQL: SQLite figures stand
            print(f"PostgreSQL skipped: {type(e).__name__}: {e}")
            result["pg"] = "skipped"
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
