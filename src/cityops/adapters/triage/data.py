"""Loading the shipped triage data files (corpus, rules, user dictionary)."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

from cityops.domain.triage.examples import LabelledExample
from cityops.domain.triage.rules import RuleSet
from cityops.domain.triage.tokenize import UserWord, parse_userdict

CORPUS_FILE = "triage_corpus.jsonl"
RULES_FILE = "triage_rules.json"
USERDICT_FILE = "triage_userdict.txt"


def data_path(name: str) -> Path:
    """Path of a file shipped in ``cityops/data``."""
    return Path(str(resources.files("cityops").joinpath("data", name)))


def read_jsonl(path: str | Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield json.loads(line)


def load_corpus(path: str | Path | None = None) -> list[LabelledExample]:
    return [LabelledExample.from_dict(d) for d in read_jsonl(path or data_path(CORPUS_FILE))]


def load_rules(path: str | Path | None = None) -> RuleSet:
    with open(path or data_path(RULES_FILE), encoding="utf-8") as fh:
        return RuleSet.from_data(json.load(fh))


def load_userdict(path: str | Path | None = None) -> list[UserWord]:
    p = Path(path or data_path(USERDICT_FILE))
    if not p.exists():
        return []
    return parse_userdict(p.read_text(encoding="utf-8"))


def as_examples(items: Iterable[LabelledExample | dict]) -> list[LabelledExample]:
    return [i if isinstance(i, LabelledExample) else LabelledExample.from_dict(i) for i in items]
