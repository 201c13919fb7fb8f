"""Small timing helpers shared by the latency benchmarks."""
from __future__ import annotations

import os


def pin_one_core() -> str:
    """Run on one core (the figures are per core); returns which, or 'unpinned'."""
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"cpu{cpu}"
    except (AttributeError, OSError):
        return "unpinned"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile by nearest rank (q in 0–100)."""
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[k]
