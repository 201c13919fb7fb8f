"""Triage latency with all suggestions together (category, urgency, groups, area, unit and rule,
duplicates, knowledge base), as the console's one call per keystroke pause gets them.

Seeds the demo district (its orders, gazetteer, routing rules and KB) in a temporary SQLite
file, then times ``suggest()`` in-process on one core over the dev-set texts with demo
addresses; the baseline in the same run is the triage engine alone on the same texts.
The last line is one JSON object."""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _timing import percentile, pin_one_core  # noqa: E402

from cityops.adapters.db.migrate import upgrade  # noqa: E402
from cityops.app.demo import seed_demo  # noqa: E402
from cityops.app.reference import install_defaults  # noqa: E402
from cityops.app.triage.usecases import suggest  # noqa: E402
from cityops.bootstrap import bootstrap  # noqa: E402
from cityops.entrypoints.demo_knowledge import seed_demo_knowledge  # noqa: E402
from cityops.settings import load_settings  # noqa: E402

DEV = ROOT.parent / "shared" / "data" / "triage-dev.jsonl"
ADDRESSES = ["滨江花园二期12号楼", "望潮路88弄3号", "东湖镇幸福村5组", "潮音路285弄", ""]


def main() -> None:
    core = pin_one_core()
    tmp = Path(tempfile.mkdtemp())
    box = bootstrap(load_settings({}, database_url=f"sqlite:///{tmp / 'b.db'}", media_dir=str(tmp / "media")),
                    transports={})
    upgrade(box.engine)
    install_defaults(box.uow(), box.now())
    seed_demo(box, orders=500, seed=1)
    seed_demo_knowledge(box)
    texts = [json.loads(line)["text"] for line in DEV.read_text("utf-8").splitlines() if line.strip()] \
        if DEV.exists() else ["小区封控三天家里没菜了"] * 140
    engine_t0 = time.perf_counter()
    suggest(box.uow(), box.triage, "预热", box.now())  # builds the engine and the indexes once
    warm_s = time.perf_counter() - engine_t0
    full, alone = [], []
    engine = box.triage.engine(None, None)
    for rnd in range(5):
        for i, text in enumerate(texts):
            t = time.perf_counter()
            suggest(box.uow(), box.triage, text, box.now(), address=ADDRESSES[i % len(ADDRESSES)])
            full.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            engine.triage(text)
            alone.append((time.perf_counter() - t) * 1000)
    out = {"benchmark": "suggest_latency", "core": core, "calls": len(full), "first_call_s": round(warm_s, 3),
           "all_suggestions_ms": {"p50": round(percentile(full, 50), 3), "p99": round(percentile(full, 99), 3)},
           "baseline_engine_only_ms": {"p50": round(percentile(alone, 50), 3), "p99": round(percentile(alone, 99), 3)},
           "goal_p99_ms": 20}
    print(f"all suggestions: p50 {out['all_suggestions_ms']['p50']} ms, p99 {out['all_suggestions_ms']['p99']} ms; "
          f"engine alone: p50 {out['baseline_engine_only_ms']['p50']} ms, p99 {out['baseline_engine_only_ms']['p99']} ms")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
