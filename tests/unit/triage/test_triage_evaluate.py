from __future__ import annotations

import io
import json

import pytest

from cityops.app.triage.baseline import KeywordBaseline
from cityops.app.triage.evaluate import METRIC_KEYS, Example, evaluate, main, parse_lines
from cityops.domain.triage.engine import GroupFlag, Triage
from .fixtures import triager  # noqa: F401  (pytest fixtures)


class TableTriager:
    """Answers from a lookup table: text -> (top-3 categories, urgency, groups)."""

    model_version = "table"

    def __init__(self, table):
        self.table = table

    def triage(self, text):
        cats, urgency, groups = self.table[text]
        return Triage(
            category=tuple((c, 1.0 / (i + 1)) for i, c in enumerate(cats)),
            urgency=urgency, urgency_score=1.0, urgency_reasons=(),
            special_groups=tuple(GroupFlag(g, ()) for g in groups),
            low_confidence=False, model_version="table",
        )


EXAMPLES = [
    Example("a", "x", "critical", ("elderly",)),
    Example("b", "y", "critical", ("elderly", "patient")),
    Example("c", "z", "normal", ()),
    Example("d", "x", "urgent", ("child",)),
]
TABLE = {
    "a": (["x", "y", "z"], "critical", ["elderly"]),          # top1 ok, crit TP, groups 1/1
    "b": (["x", "y", "z"], "urgent", ["patient", "child"]),   # top3 only, crit FN, groups TP1 FP1 FN1
    "c": (["x", "y", "w"], "critical", []),                   # miss, crit FP
    "d": (["x", "y", "z"], "urgent", ["child"]),              # top1 ok, urgency ok, groups 1/1
}


def test_metrics_on_a_hand_computed_set():
    r = evaluate(EXAMPLES, TableTriager(TABLE))
    # top1: a, d -> 2/4; top3: a, b, d -> 3/4; urgency: a, d -> 2/4
    # critical: true {a, b}, predicted {a, c}, TP {a} -> recall 1/2, precision 1/2
    # groups: true pairs 4 (a.e, b.e, b.p, d.c); predicted 4 (a.e, b.p, b.c, d.c); TP 3
    assert r["n"] == 4
    assert r["category_top1"] == pytest.approx(0.5)
    assert r["category_top3"] == pytest.approx(0.75)
    assert r["urgency_accuracy"] == pytest.approx(0.5)
    assert r["critical_recall"] == pytest.approx(0.5)
    assert r["critical_precision"] == pytest.approx(0.5)
    assert r["special_recall"] == pytest.approx(0.75)
    assert r["special_precision"] == pytest.approx(0.75)
    assert set(METRIC_KEYS) <= set(r)
    conf = r["confusion"]
    assert {"true": "y", "predicted": "x", "count": 1} in conf["category"]
    assert conf["urgency"]["critical"] == {"critical": 1, "urgent": 1, "normal": 0}
    assert conf["urgency"]["normal"]["critical"] == 1


def test_empty_denominators_give_zero_not_an_error():
    r = evaluate([Example("c", "z", "normal", ())], TableTriager({"c": (["z"], "normal", [])}))
    assert r["critical_recall"] == 0.0 and r["critical_precision"] == 0.0
    assert r["special_recall"] == 0.0 and r["category_top1"] == 1.0


def test_bad_lines_are_reported_and_skipped_and_extra_fields_ignored():
    lines = [
        '{"text": "a", "category": "x", "urgency": "normal", "note": "extra", "special_groups": []}',
        "not json",
        '{"category": "x", "urgency": "normal"}',
        '["a list"]',
        "",
        '{"text": "b", "category": "x"}',
        '{"text": "c", "category": "x", "urgency": "normal", "special_groups": "elderly"}',
    ]
    examples, problems = parse_lines(lines)
    assert [e.text for e in examples] == ["a"]
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 6", "line 7"]
    assert "text" in problems[1]


def test_main_prints_a_table_and_one_json_object_last(tmp_path):
    path = tmp_path / "set.jsonl"
    rows = [{"text": t, "category": e.category, "urgency": e.urgency, "special_groups": list(e.special_groups)} for t, e in zip("abcd", EXAMPLES)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nbroken line\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(path, True, triager=TableTriager(TABLE), baseline=TableTriager(TABLE), out=out, err=err)
    assert code == 0
    text = out.getvalue().strip().splitlines()
    payload = json.loads(text[-1])
    assert set(payload) == set(METRIC_KEYS) | {"baseline"}
    assert set(payload["baseline"]) == set(METRIC_KEYS)
    assert payload["category_top3"] == pytest.approx(0.75)
    assert any("baseline" in line for line in text[:-1])
    assert "line 5" in err.getvalue()


def test_main_without_json_prints_no_json_and_fails_cleanly_on_missing_file(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert main(tmp_path / "missing.jsonl", True, triager=TableTriager({}), out=out, err=err) == 2
    empty = tmp_path / "empty.jsonl"
    empty.write_text("nonsense\n", encoding="utf-8")
    assert main(empty, False, triager=TableTriager({}), out=out, err=err) == 2


def test_keyword_baseline_is_plain_and_literal():
    b = KeywordBaseline()
    t = b.triage("我老公要透析，小区门卫不让出")
    assert t.urgency == "critical" and "透析" in t.urgency_reasons
    assert t.special_group_codes == ("patient",)
    assert b.triage("隔壁装修太吵了").top_category == "city.noise"
    assert b.triage("家里没有老人").special_group_codes == ("elderly",)  # no negation handling
    nothing = b.triage("😀")
    assert nothing.top_category == "city.other" and nothing.low_confidence


def test_real_triager_beats_the_baseline_on_its_own_corpus_sample(triager):
    from cityops.adapters.triage.data import load_corpus

    sample = [Example(e.text, e.category, e.urgency, e.special_groups) for e in load_corpus()[::10]]
    model, base = evaluate(sample, triager), evaluate(sample, KeywordBaseline())
    assert model["category_top1"] > base["category_top1"]
    assert model["critical_recall"] >= 0.95
