"""Shared fixtures for the triage tests (imported by the test modules, so they work with
--noconftest too); the model is trained once per process."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def shared_dir() -> Path | None:
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if (candidate / "data" / "taxonomy.json").exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def taxonomy() -> dict:
    for p in ((shared_dir() or REPO) / "data" / "taxonomy.json", REPO / "src" / "cityops" / "data" / "taxonomy.json"):
        if p.exists():
            return json.loads(p.read_text(encoding="utf-8"))
    pytest.skip("taxonomy.json not found")


@functools.lru_cache(maxsize=None)
def _rules():
    from cityops.adapters.triage.data import load_rules

    return load_rules()


@functools.lru_cache(maxsize=None)
def _tokenizer():
    from cityops.adapters.triage.model import default_tokenizer

    return default_tokenizer()


@functools.lru_cache(maxsize=None)
def _model():
    from cityops.adapters.triage.data import load_corpus
    from cityops.adapters.triage.model import train_model

    return train_model(load_corpus(), _tokenizer())


@pytest.fixture(scope="session")
def rules():
    return _rules()


@pytest.fixture(scope="session")
def tokenizer():
    return _tokenizer()


@pytest.fixture(scope="session")
def trained_model():
    return _model()


@pytest.fixture(scope="session")
def triager():
    from cityops.adapters.triage.model import build_engine

    return build_engine(_model(), _rules(), _tokenizer())
