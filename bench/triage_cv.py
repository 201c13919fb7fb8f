"""K-fold cross-validation of triage on the shipped corpus (the way model choices are made).

The dev set is held out from all training; choices about features, thresholds and corpus
lines are judged here first.  Each fold trains the models on the other folds and runs the
full engine (shipped rules + models) on the held-out lines; the keyword baseline runs on the
same lines.  With ``--ablate-rules`` the urgency rules whose patterns came from reading the
corpus are left out, so the figure shows what the models carry alone (the rules were written
while reading corpus lines, so the full-engine CV flatters them).

Usage: python bench/triage_cv.py [--folds 5] [--seed 0] [--ablate-rules] [--corpus FILE]
       [--extra FILE.jsonl]   (lines added to every training fold, never evaluated)
Prints per-fold figures, the confusions, and one JSON object as the last line.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from typing import Any  # noqa: E402

from cityops.adapters.triage.data import load_corpus, load_rules, read_jsonl  # noqa: E402
from cityops.adapters.triage.model import build_engine, default_tokenizer, train_model  # noqa: E402
from cityops.app.triage.baseline import KeywordBaseline  # noqa: E402
from cityops.app.triage.evaluate import METRIC_KEYS, evaluate, format_report, parse_example  # noqa: E402
from cityops.domain.triage.engine import Triage  # noqa: E402
from cityops.domain.triage.rules import RuleSet  # noqa: E402


def stratified_folds(labels: list[str], k: int, seed: int) -> list[list[int]]:
    """Indices split into ``k`` folds, each label spread evenly (deterministic for a seed)."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for label in sorted(by_label):
        idx = by_label[label]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[(j + offset) % k].append(i)
        offset += len(idx)
    return folds


def without_urgency_rules(rules: RuleSet) -> RuleSet:
    """The same rule set keeping only special-group rules and urgency caps."""
    kept = [r for r in rules.rules if r.kind != "urgency" or r.effect == "cap"]
    return RuleSet(kept, negators=rules.negators, hypothetical=rules.hypothetical, version=rules.version)


class Recorded:
    """Each held-out answer, kept so the pooled figures reuse it instead of triaging again."""

    def __init__(self) -> None:
        self.answers: dict[str, Triage] = {}
        self.engine: Any = None

    def triage(self, text: str) -> Triage:
        if text not in self.answers:
            self.answers[text] = self.engine.triage(text)
        return self.answers[text]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ablate-rules", action="store_true", help="leave out the urgency floor rules")
    ap.add_argument("--corpus", help="corpus JSONL (default: the shipped one)")
    ap.add_argument("--extra", help="JSONL lines added to every training fold, never evaluated")
    ap.add_argument("--lexicon-weight", type=float, default=None, help="override the model's lexicon weight")
    ap.add_argument("--critical-threshold", type=float, default=None, help="override the engine's P(critical) threshold")
    ap.add_argument("--show-errors", type=int, default=0, help="print up to N held-out misses per kind")
    args = ap.parse_args(argv)
    if args.folds < 2:
        ap.error("--folds must be at least 2")

    corpus = load_corpus(args.corpus)
    extra = [parse_example(d) for d in read_jsonl(args.extra)] if args.extra else []
    rules = load_rules()
    if args.ablate_rules:
        rules = without_urgency_rules(rules)
    tokenizer = default_tokenizer()
    folds = stratified_folds([f"{e.category}|{e.urgency}" for e in corpus], args.folds, args.seed)
    recorded = Recorded()  # corpus texts are unique (a test checks it), so a text names its fold
    start = time.perf_counter()
    for k, held in enumerate(folds):
        held_set = set(held)
        train = [e for i, e in enumerate(corpus) if i not in held_set] + extra
        model_kwargs = {} if args.lexicon_weight is None else {"lexicon_weight": args.lexicon_weight}
        engine_kwargs = {} if args.critical_threshold is None else {"critical_threshold": args.critical_threshold}
        recorded.engine = build_engine(train_model(train, tokenizer, **model_kwargs), rules, tokenizer, **engine_kwargs)
        m = evaluate([corpus[i] for i in held], recorded)
        print(f"fold {k + 1}/{args.folds}: n={m['n']} top1={m['category_top1']:.3f} top3={m['category_top3']:.3f} "
              f"crit_recall={m['critical_recall']:.3f} crit_prec={m['critical_precision']:.3f}", file=sys.stderr)
    model = evaluate(corpus, recorded, top_confusions=12)  # pooled over folds: every answer is recorded
    base = evaluate(corpus, KeywordBaseline())
    misses: dict[str, list[str]] = defaultdict(list)
    for ex in corpus if args.show_errors else ():
        t = recorded.triage(ex.text)
        if t.top_category != ex.category:
            misses["category"].append(f"{ex.category} -> {t.top_category}: {ex.text}")
        if ex.urgency == "critical" and t.urgency != "critical":
            misses["critical"].append(f"-> {t.urgency}: {ex.text}")
        if ex.urgency != "critical" and t.urgency == "critical":
            misses["false_critical"].append(f"{ex.urgency} -> critical {t.urgency_reasons}: {ex.text}")
    print(f"{args.folds}-fold CV on {len(corpus)} corpus lines (+{len(extra)} extra training lines), "
          f"rules {'without urgency floors' if args.ablate_rules else 'as shipped'}, {time.perf_counter() - start:.0f} s")
    print(format_report(model, base))
    for kind, lines in misses.items():
        print(f"\n{kind} misses ({len(lines)}):")
        for line in lines[: args.show_errors]:
            print("  " + line)
    payload = {k: model[k] for k in METRIC_KEYS}
    payload.update({"folds": args.folds, "seed": args.seed, "ablate_rules": args.ablate_rules,
                    "lexicon_weight": args.lexicon_weight, "critical_threshold": args.critical_threshold})
    payload["baseline"] = {k: base[k] for k in METRIC_KEYS}
    print(json.dumps(payload, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
