"""The process's triage engines: the active model version (trained models are files under
``models_dir``) with the active rules, built once and reused until either changes."""
from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any, Iterable

from ...domain.triage.engine import TriageEngine
from ...domain.triage.rules import RuleSet
from .data import LabelledExample, as_examples, load_corpus, load_rules
from .model import TriageModel, build_engine, default_tokenizer, train_model


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
            else:  # the model trained on the shipped corpus, cached on disk by its training data
                self.models_dir.mkdir(parents=True, exist_ok=True)
                examples = load_corpus()
                cache = self.models_dir / f"shipped-{_digest([e.text for e in examples])}.joblib"
                if cache.exists():
                    self._models[key] = TriageModel.load(cache)
                else:
                    model = train_model(examples, default_tokenizer())
                    model.save(cache)
                    self._models[key] = model
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
