"""The shipped corpus: coverage, no duplicates, and nothing copied from the dev set."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from cityops.adapters.triage.data import data_path, load_corpus
from .fixtures import shared_dir, taxonomy  # noqa: F401  (pytest fixtures)



@pytest.fixture(scope="module")
def rows():
    with open(data_path("triage_corpus.jsonl"), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_corpus_is_big_enough_and_well_formed(rows, taxonomy):
    assert len(rows) >= 700
    cats = {c["code"] for c in taxonomy["categories"]}
    urg = {u["code"] for u in taxonomy["urgency"]}
    groups = {g["code"] for g in taxonomy["special_groups"]}
    ids = set()
    for r in rows:
        assert set(r) == {"id", "text", "category", "urgency", "special_groups"}
        assert r["id"] not in ids
        ids.add(r["id"])
        assert r["category"] in cats and r["urgency"] in urg
        assert set(r["special_groups"]) <= groups and len(set(r["special_groups"])) == len(r["special_groups"])
        assert r["text"].strip() == r["text"] and len(r["text"]) >= 8


def test_every_category_urgency_and_group_is_covered(rows, taxonomy):
    cats = Counter(r["category"] for r in rows)
    for c in taxonomy["categories"]:
        assert cats[c["code"]] >= 25, c["code"]
    urg = Counter(r["urgency"] for r in rows)
    assert set(urg) == {"critical", "urgent", "normal"}
    # critical lines: enough to learn from, not so many the model calls everything critical;
    # the dev set has 25 %, and the corpus came to 21 % once its labels followed the dev set's
    # conventions (medicine for three days, cross-province arrivals, fire lanes blocked solid)
    assert 0.15 <= urg["critical"] / len(rows) <= 0.23
    groups = Counter(g for r in rows for g in r["special_groups"])
    for g in taxonomy["special_groups"]:
        assert groups[g["code"]] >= 40, g["code"]
    assert sum(1 for r in rows if not r["special_groups"]) >= len(rows) // 2


def test_no_text_is_repeated(rows):
    texts = [r["text"] for r in rows]
    assert len(texts) == len(set(texts))


def _bigrams(text: str) -> set[str]:
    t = "".join(ch for ch in text if ch.isalnum())
    return {t[i : i + 2] for i in range(len(t) - 1)}


def _close_lines(rows, others: list[str]) -> list[tuple[str, float]]:
    """Corpus lines equal to, or sharing half their character bigrams with, one of ``others``."""
    grams = [(t, g, len(g)) for t in others for g in [_bigrams(t)]]
    close = []
    for r in rows:
        mine = _bigrams(r["text"])
        n = len(mine)
        for text, theirs, m in grams:
            if r["text"] == text:
                close.append((r["id"], 1.0))
            elif 2 * min(n, m) >= max(n, m) > 0:  # else the shared part cannot reach half the union
                shared = len(mine & theirs)
                if shared / (n + m - shared) >= 0.5:
                    close.append((r["id"], round(shared / (n + m - shared), 2)))
    return close


def test_no_line_equals_or_nearly_equals_a_dev_set_line(rows):
    base = shared_dir()
    if base is None or not (base / "data" / "triage-dev.jsonl").exists():
        pytest.skip("dev set not available")
    with open(base / "data" / "triage-dev.jsonl", encoding="utf-8") as fh:
        dev = [json.loads(line)["text"] for line in fh if line.strip()]
    assert _close_lines(rows, dev) == []


@pytest.mark.parametrize("name", ["triage_holdout.jsonl", "triage_contrast.jsonl", "triage_blind.jsonl"])
def test_the_team_held_out_sets_stay_out_of_the_corpus(rows, name, taxonomy):
    # bench/data holds the team's own held-out sets (never trained on): same format as the dev set
    path = Path(__file__).resolve().parents[3] / "bench" / "data" / name
    with open(path, encoding="utf-8") as fh:
        held = [json.loads(line) for line in fh if line.strip()]
    assert len(held) >= 300
    cats = {c["code"] for c in taxonomy["categories"]}
    assert all(h["category"] in cats and h["urgency"] in {"critical", "urgent", "normal"} for h in held)
    assert _close_lines(rows, [h["text"] for h in held]) == []


@pytest.mark.parametrize("line_id", ["c0169", "c0500", "c0802"])
def test_lines_relabelled_critical_by_the_taxonomy(rows, line_id):
    # taxonomy: serious illness needing treatment (dialysis before a transfer to an isolation
    # site; oxygen concentrator stopped, breathing poorly) and daily necessities run out
    # (pregnant, no vegetables or meat for two days) are critical (issue #3)
    row = next(r for r in rows if r["id"] == line_id)
    assert row["urgency"] == "critical"


@pytest.mark.parametrize("line_id", ["c0608", "c0831"])
def test_lines_kept_urgent_after_review(rows, line_id):
    # c0608: a wage claim; c0831: a planned outage tomorrow for a home dialysis machine, like
    # c0516/c1347 (ventilator, oxygen concentrator): 24 hours is the right window
    row = next(r for r in rows if r["id"] == line_id)
    assert row["urgency"] == "urgent"


@pytest.fixture(scope="module")
def critical_rule_labels(rows) -> dict[str, list[str]]:
    """For each rule, the labels of the corpus lines it calls critical (one pass over the corpus)."""
    from cityops.adapters.triage.data import load_rules

    rules = load_rules()
    labels: dict[str, list[str]] = {}
    for r in rows:
        for rule_id in {m.rule_id for m in rules.apply(r["text"]).matches if m.target == "critical"}:
            labels.setdefault(rule_id, []).append(r["urgency"])
    return labels


@pytest.mark.parametrize("rule_id", ["u.life_support", "u.child_alone", "u.infant_fever", "u.ambulance"])
def test_new_critical_rules_have_corpus_examples_and_no_normal_line(critical_rule_labels, rule_id):
    labels = critical_rule_labels.get(rule_id, [])
    assert "critical" in labels
    assert "normal" not in labels
