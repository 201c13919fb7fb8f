"""Evaluate triage suggestions on a labelled JSONL set, next to the keyword baseline.

Input: one JSON object per line with ``text``, ``category``, ``urgency`` and optionally
``special_groups`` (other fields are ignored).  Lines that are not JSON objects or lack
those fields are reported and skipped.

Metrics (fractions 0-1; a ratio with an empty denominator is 0.0):

- ``category_top1`` / ``category_top3``: true category first / among the top three;
- ``urgency_accuracy``: exact urgency class;
- ``critical_recall`` / ``critical_precision``: on the class ``critical``;
- ``special_recall`` / ``special_precision``: micro-averaged over (example, group) pairs.

``python -m cityops.app.triage.evaluate FILE.jsonl [--json]`` prints a table (model vs
baseline) and, with ``--json``, one JSON object as the last line.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from cityops.app.triage.baseline import KeywordBaseline
from cityops.domain.triage.codes import CRITICAL, URGENCY_LEVELS
from cityops.domain.triage.engine import Triage
from cityops.domain.triage.examples import LabelledExample

METRIC_KEYS: tuple[str, ...] = (
    "n", "category_top1", "category_top3", "urgency_accuracy",
    "critical_recall", "critical_precision", "special_recall", "special_precision",
)


class Triager(Protocol):
    def triage(self, text: str) -> Triage: ...


Example = LabelledExample  # the evaluation's name for a labelled request


def parse_example(obj: Any) -> Example:
    """An :class:`Example` from a decoded JSON value; ``ValueError`` says what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing or empty 'text'")
    for key in ("category", "urgency"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise ValueError(f"missing {key!r}")
    groups = obj.get("special_groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise ValueError("'special_groups' must be a list of strings")
    return Example(text, obj["category"], obj["urgency"], tuple(dict.fromkeys(groups)))


def parse_lines(lines: Iterable[str]) -> tuple[list[Example], list[str]]:
    """Examples from JSONL lines, and one message per skipped line."""
    examples: list[Example] = []
    problems: list[str] = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {lineno}: not JSON ({exc.msg})")
            continue
        try:
            examples.append(parse_example(obj))
        except ValueError as exc:
            problems.append(f"line {lineno}: {exc}")
    return examples, problems


def load_examples(path: str | Path) -> tuple[list[Example], list[str]]:
    with open(path, encoding="utf-8") as fh:
        return parse_lines(fh)


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def evaluate(examples: Sequence[Example | dict], triager: Triager, *, top_confusions: int = 10) -> dict[str, Any]:
    """Metrics of ``triager`` on ``examples`` (see module doc), plus a ``confusion`` summary."""
    exs = [e if isinstance(e, Example) else parse_example(e) for e in examples]
    top1 = top3 = urg_ok = 0
    crit_tp = crit_pred = crit_true = 0
    grp_tp = grp_pred = grp_true = 0
    cat_conf: Counter[tuple[str, str]] = Counter()
    urg_conf: dict[str, Counter[str]] = {}
    for ex in exs:
        t = triager.triage(ex.text)
        codes = [c for c, _ in t.category[:3]]
        predicted = codes[0] if codes else ""
        top1 += predicted == ex.category
        top3 += ex.category in codes
        if predicted != ex.category:
            cat_conf[(ex.category, predicted or "-")] += 1
        urg_ok += t.urgency == ex.urgency
        urg_conf.setdefault(ex.urgency, Counter())[t.urgency] += 1
        crit_true += ex.urgency == CRITICAL
        crit_pred += t.urgency == CRITICAL
        crit_tp += t.urgency == CRITICAL and ex.urgency == CRITICAL
        truth = set(ex.special_groups)
        pred = {g.code for g in t.special_groups}
        grp_tp += len(truth & pred)
        grp_true += len(truth)
        grp_pred += len(pred)
    n = len(exs)
    levels = list(URGENCY_LEVELS[::-1]) + sorted(set(urg_conf) - set(URGENCY_LEVELS))
    return {
        "n": n,
        "category_top1": _ratio(top1, n),
        "category_top3": _ratio(top3, n),
        "urgency_accuracy": _ratio(urg_ok, n),
        "critical_recall": _ratio(crit_tp, crit_true),
        "critical_precision": _ratio(crit_tp, crit_pred),
        "special_recall": _ratio(grp_tp, grp_true),
        "special_precision": _ratio(grp_tp, grp_pred),
        "confusion": {
            "category": [
                {"true": a, "predicted": b, "count": c} for (a, b), c in cat_conf.most_common(top_confusions)
            ],
            "urgency": {
                true: {p: urg_conf.get(true, Counter()).get(p, 0) for p in levels}
                for true in levels if true in urg_conf
            },
        },
    }


def metrics_only(result: dict[str, Any]) -> dict[str, Any]:
    return {k: result[k] for k in METRIC_KEYS}


def format_report(model: dict[str, Any], baseline: dict[str, Any], model_name: str = "model") -> str:
    lines = [f"{'metric':<22}{model_name:>12}{'baseline':>12}"]
    for key in METRIC_KEYS:
        a, b = model[key], baseline[key]
        if key == "n":
            lines.append(f"{key:<22}{a:>12d}{b:>12d}")
        else:
            lines.append(f"{key:<22}{a:>12.3f}{b:>12.3f}")
    conf = model.get("confusion", {})
    if conf.get("category"):
        lines.append("")
        lines.append("most frequent category confusions (true -> predicted):")
        for row in conf["category"]:
            lines.append(f"  {row['count']:>3}  {row['true']} -> {row['predicted']}")
    if conf.get("urgency"):
        levels = list(next(iter(conf["urgency"].values())).keys())
        lines.append("")
        lines.append("urgency confusion (rows: true, columns: predicted):")
        lines.append(" " * 12 + "".join(f"{p:>10}" for p in levels))
        for true, row in conf["urgency"].items():
            lines.append(f"{true:<12}" + "".join(f"{row.get(p, 0):>10}" for p in levels))
    return "\n".join(lines)


def main(
    path: str | Path,
    as_json: bool = False,
    *,
    triager: Triager,
    baseline: Triager | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Evaluate on the JSONL file at ``path``; 0 on success, 2 when nothing could be evaluated."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        examples, problems = load_examples(path)
    except OSError as exc:
        print(f"cannot read {path}: {exc}", file=err)
        return 2
    for p in problems:
        print(f"{path}: skipped {p}", file=err)
    if not examples:
        print(f"{path}: no valid example", file=err)
        return 2
    engine = triager
    model_result = evaluate(examples, engine)
    base_result = evaluate(examples, baseline if baseline is not None else KeywordBaseline())
    version = getattr(engine, "model_version", "")
    print(f"triage evaluation on {path}: {len(examples)} examples, {len(problems)} skipped", file=out)
    if version:
        print(f"model version: {version}", file=out)
    print(format_report(model_result, base_result), file=out)
    if as_json:
        payload = metrics_only(model_result)
        payload["baseline"] = metrics_only(base_result)
        print(json.dumps(payload, ensure_ascii=False), file=out)
    return 0
