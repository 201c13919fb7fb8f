"""Fixtures of the knowledge-base tests: the triage tokenizer (with the domain dictionary),
the shipped demo knowledge base and its index, and a fixed 'now' inside the lockdown."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cityops.adapters.kb_files import load_demo_kb, taxonomy_categories
from cityops.adapters.triage.data import load_userdict
from cityops.domain.kb.model import KbEntry
from cityops.domain.kb.search import KbIndex
from cityops.domain.triage.tokenize import JiebaTokenizer

CST = timezone(timedelta(hours=8))
NOW = datetime(2022, 4, 12, 10, 0, tzinfo=CST)  # during the district-wide static management


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=CST)


def entry(id: str = "KB-T1", **kw) -> KbEntry:
    base = dict(
        id=id, question="核酸采样点几点开放？", answer="每日8:00至17:00开放。", category="epi.testing",
        valid_from=at(2022, 3, 1, 0), valid_to=None, source="测试", version=1, keywords=(),
    )
    base.update(kw)
    return KbEntry(**base)


@pytest.fixture(scope="session")
def tokenizer() -> JiebaTokenizer:
    return JiebaTokenizer(load_userdict())


@pytest.fixture(scope="session")
def categories() -> dict[str, str]:
    return taxonomy_categories()


@pytest.fixture(scope="session")
def demo_entries(categories) -> list[KbEntry]:
    entries, errors = load_demo_kb(categories)
    assert errors == []
    return entries


@pytest.fixture(scope="session")
def demo_index(demo_entries, tokenizer) -> KbIndex:
    return KbIndex.build(demo_entries, tokenizer=tokenizer)
