"""The process's triage engines: the active model version (trained models are files under
``models_dir``) with the active rules, built once and reused until either changes.

The model trained on the shipped corpus is a function of the corpus and the algorithm only:
it is cached on disk under a name made of both (``shipped-<digest>.joblib``), and kept once
per process, so several containers in one process (tests, the CLI beside the app) share it."""
from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any, Iterable

from ...domain.triage.engine import TriageEngine
from ...domain.triage.rules import RuleSet
from .data import LabelledExample, as_examples, load_corpus, load_rules
from .model import ALGORITHM, TriageModel, build_engine, default_tokenizer, train_model, training_hash

_SHIPPED_LOCK = threading.Lock()
_SHIPPED: dict[str, TriageModel] = {}  # digest of (algorithm, corpus) -> the model trained on it


def shipped_model(models_dir: Path) -> TriageModel:
    """The model trained on the shipped corpus: from this process, else the disk cache, else trained."""
    examples = load_corpus()
    digest = _digest([ALGORITHM, training_hash(examples)])
    with _SHIPPED_LOCK:
        model = _SHIPPED.get(digest)
        if model is None:
            cache = Path(models_dir) / f"shipped-{digest}.joblib"
            if cache.exists():
                try:
                    model = TriageModel.load(cache)
                except Exception:  # noqa: BLE001 — stale or damaged cache: train again
                    model = None
            if model is None:
                model = train_model(examples, default_tokenizer())
                Path(models_dir).mkdir(parents=True, exist_ok=True)
                model.save(cache)
            _SHIPPED[digest] = model
        return model


class TriageProvider:
    def __init__(self, models_dir: Path):
        self.models_dir = Path(models_dir)
        self._lock = threading.Lock()
        self._engines: dict[tuple[str, str], TriageEngine] = {}
        self._models: dict[str, TriageModel] = {}

    def _model(self, version: str | None) -> TriageModel:
        key = version or "shipped"
        if key not in self._models:
            path = self.models_dir / f"{version}.joblib" if version else None
            if path is not None and path.exists():
                self._models[key] = TriageModel.load(path)
            else:
                self._models[key] = shipped_model(self.models_dir)
        return self._models[key]

    def engine(self, version: str | None, rules_data: Any | None) -> TriageEngine:
        """The engine for this model version and rules (``None``: the shipped ones)."""
        rules_key = _digest([json.dumps(rules_data, sort_keys=True, ensure_ascii=False)]) if rules_data else "shipped"
        key = (version or "shipped", rules_key)
        with self._lock:
            if key not in self._engines:
                rules = RuleSet.from_data(rules_data) if rules_data else load_rules()
                self._engines[key] = build_engine(self._model(version), rules, default_tokenizer())
            return self._engines[key]

    def shipped_rules(self) -> Any:
        return load_rules().to_data()

    def retrain(self, corrections: Iterable[dict]) -> tuple[str, int, int]:
        """Train on the shipped corpus plus operator-confirmed examples; save; return
        (version, examples, corrections)."""
        extra = as_examples(corrections)
        examples: list[LabelledExample] = load_corpus() + extra
        model = train_model(examples, default_tokenizer())
        self.models_dir.mkdir(parents=True, exist_ok=True)
        model.save(self.models_dir / f"{model.version}.joblib")
        with self._lock:
            self._models[model.version] = model
        return model.version, len(examples), len(extra)


def _digest(parts: list[str]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]
