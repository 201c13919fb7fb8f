"""The shipped corpus: coverage, no duplicates, and nothing copied from the dev set."""
from __future__ import annotations

import json
from collections import Counter

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
    assert 0.15 <= urg["critical"] / len(rows) <= 0.21
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


def test_no_line_equals_or_nearly_equals_a_dev_set_line(rows):
    base = shared_dir()
    if base is None or not (base / "data" / "triage-dev.jsonl").exists():
        pytest.skip("dev set not available")
    with open(base / "data" / "triage-dev.jsonl", encoding="utf-8") as fh:
        dev = [json.loads(line)["text"] for line in fh if line.strip()]
    dev_grams = [(t, _bigrams(t)) for t in dev]
    close = []
    for r in rows:
        mine = _bigrams(r["text"])
        for text, grams in dev_grams:
            if r["text"] == text:
                close.append((r["id"], 1.0))
                continue
            union = mine | grams
            if union and len(mine & grams) / len(union) >= 0.5:
                close.append((r["id"], round(len(mine & grams) / len(union), 2)))
    assert close == []
