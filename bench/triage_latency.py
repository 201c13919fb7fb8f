"""Latency of one full triage (category top-3, urgency with reasons, special groups).

Pinned to one core with single-threaded numeric libraries; texts of the dev set repeated.
Baseline measured in the same run: the plain keyword baseline (KeywordBaseline).
Usage: python bench/triage_latency.py [DEV.jsonl] [--rounds N]
Prints a readable summary, then one JSON object as the last line.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from _timing import percentile, pin_one_core  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DEV = next(
    (p for p in (REPO.parent / "shared" / "data" / "triage-dev.jsonl", Path("/work/shared/data/triage-dev.jsonl")) if p.exists()),
    None,
)


def measure(fn, texts: list[str], rounds: int) -> list[float]:
    for t in texts[:20]:  # warm-up
        fn(t)
    out = []
    for _ in range(rounds):
        for t in texts:
            start = time.perf_counter_ns()
            fn(t)
            out.append((time.perf_counter_ns() - start) / 1e6)
    return out


def summary(ms: list[float]) -> dict:
    return {
        "calls": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "max_ms": round(max(ms), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT_DEV) if DEFAULT_DEV else None)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    if not args.path:
        print("no dev set found; pass a JSONL path", file=sys.stderr)
        return 2
    core = pin_one_core()
    with open(args.path, encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]

    from cityops.adapters.triage.model import build_default_triager
    from cityops.app.triage.baseline import KeywordBaseline

    t0 = time.perf_counter()
    engine = build_default_triager()
    build_s = time.perf_counter() - t0
    baseline = KeywordBaseline()

    triage_ms = measure(engine.triage, texts, args.rounds)
    base_ms = measure(baseline.triage, texts, args.rounds)
    result = {
        "benchmark": "triage_latency",
        "core": core,
        "texts": len(texts),
        "rounds": args.rounds,
        "build_s": round(build_s, 2),
        "model_version": engine.model_version,
        "triage": summary(triage_ms),
        "baseline_keyword": summary(base_ms),
    }
    result["p99_ratio_vs_baseline"] = round(result["triage"]["p99_ms"] / max(result["baseline_keyword"]["p99_ms"], 1e-6), 1)
    print(f"trained+built in {build_s:.2f}s on {core}; {len(triage_ms)} calls each")
    for name in ("triage", "baseline_keyword"):
        s = result[name]
        print(f"{name:<18} p50 {s['p50_ms']:>8.3f} ms   p99 {s['p99_ms']:>8.3f} ms   max {s['max_ms']:>8.3f} ms")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
