"""The triage engine: category, urgency and special-group suggestions for one request.

Pure: it combines the admin rules (:mod:`cityops.domain.triage.rules`) with statistical
models handed in through the small :class:`TextClassifier` protocol, and never raises on
odd input (empty, very long, non-Chinese, emoji-only text give a low-confidence answer).

How the pieces combine:

- **category**: the category model's top three codes with their probabilities.
- **urgency**: rules set a *floor* — if a rule says critical (透析, 药只够两天, 着火…) the
  answer is critical whatever the model says.  The urgency model may *raise* the class
  above the floor (critical only when P(critical) >= ``critical_threshold``), unless the
  caller said it is not urgent (a *cap* rule), which limits the model but never a floor.
- **safety net**: a life-or-safety signal never ends in the normal queue.  When the model
  calls the request critical (P(critical) >= ``critical_threshold``) or a critical rule
  matched (even one demoted as hypothetical or past: 万一着火, 上个月着过火), the answer is at least urgent, whatever
  a cap says; the reason ``SAFETY_NET_REASON`` comes first and the note "safety_net" is set.
  A rule match skipped by its own ``unless`` (透析…补贴已办好) is not a signal: the rule's
  author said so (measured on the corpus: such lines are mostly labelled normal).
- **special groups**: rule triggers (the words that fired), plus, when a group model is
  given, groups it is confident about (``group_threshold``), marked with source "model".
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from cityops.domain.triage.codes import (
    CRITICAL,
    NORMAL,
    SPECIAL_GROUPS,
    URGENCY_LEVELS,
    URGENCY_RANK,
    URGENT,
    max_urgency,
    min_urgency,
)
from cityops.domain.triage.rules import RuleOutcome, RuleSet
from cityops.domain.triage.text import cjk_count, normalize, truncate
from cityops.domain.triage.tokenize import Tokenizer

MODEL_REASON = "模型判断"
SAFETY_NET_REASON = "疑似危急，至少按紧急处理"
RULE_CONFIDENCE = 0.95


@runtime_checkable
class TextClassifier(Protocol):
    """A trained text classifier: class probabilities for one text (and its tokens)."""

    def predict_proba(self, text: str, tokens: Sequence[str]) -> Mapping[str, float]: ...


@dataclass(frozen=True)
class GroupFlag:
    code: str
    triggers: tuple[str, ...]
    source: str = "rule"  # "rule" or "model"
    score: float = 1.0


@dataclass(frozen=True)
class Triage:
    """Suggestions for one request; the operator confirms or corrects them."""

    category: tuple[tuple[str, float], ...]      # top-3 (code, probability), best first
    urgency: str                                  # critical / urgent / normal
    urgency_score: float                          # confidence in ``urgency`` (0-1)
    urgency_reasons: tuple[str, ...]              # e.g. ("透析",), ("药只够三天以内",), ("模型判断",)
    special_groups: tuple[GroupFlag, ...]
    low_confidence: bool
    model_version: str
    notes: tuple[str, ...] = ()                   # why low confidence / truncated, machine-readable
    urgency_probabilities: Mapping[str, float] = field(default_factory=dict)

    @property
    def top_category(self) -> str | None:
        return self.category[0][0] if self.category else None

    @property
    def category_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.category)

    @property
    def special_group_codes(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.special_groups)

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": [{"code": c, "score": round(s, 4)} for c, s in self.category],
            "urgency": self.urgency,
            "urgency_score": round(self.urgency_score, 4),
            "urgency_reasons": list(self.urgency_reasons),
            "special_groups": [
                {"code": g.code, "triggers": list(g.triggers), "source": g.source, "score": round(g.score, 4)}
                for g in self.special_groups
            ],
            "low_confidence": self.low_confidence,
            "notes": list(self.notes),
            "model_version": self.model_version,
        }


def _clean_probs(probs: Mapping[str, float] | None, normalise: bool = True) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in (probs or {}).items():
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if f == f and f >= 0.0:  # drop NaN / negatives
            out[str(k)] = min(f, 1.0) if not normalise else f
    total = sum(out.values())
    if normalise and total > 0:
        out = {k: v / total for k, v in out.items()}
    return out


@dataclass
class TriageEngine:
    rules: RuleSet
    category_model: TextClassifier | None
    tokenizer: Tokenizer
    urgency_model: TextClassifier | None = None
    group_model: TextClassifier | None = None     # P(group present) per group code
    model_version: str = "rules-only"
    max_chars: int = 2000
    critical_threshold: float = 0.3  # 5-fold CV (bench/triage_cv.py): the lowest at which the model alone keeps critical precision >= 0.7
    urgent_threshold: float = 0.5
    group_threshold: float = 0.8
    low_confidence_threshold: float = 0.4
    min_chinese_chars: int = 2

    def triage(self, text: str) -> Triage:
        notes: list[str] = []
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        clean = normalize(text)
        clean, cut = truncate(clean, self.max_chars)
        if cut:
            notes.append("truncated")
        if not clean:
            notes.append("empty")
        elif cjk_count(clean) < self.min_chinese_chars:
            notes.append("no_chinese")

        outcome: RuleOutcome = self.rules.apply(clean, normalized=True)
        try:
            tokens = self.tokenizer.tokens(clean)
        except Exception:  # a tokenizer failure must not lose the call
            tokens = list(clean)
            notes.append("tokenizer_failed")

        cat_probs = self._predict(self.category_model, clean, tokens, notes, "category")
        category = tuple(sorted(cat_probs.items(), key=lambda kv: (-kv[1], kv[0]))[:3])

        urg_probs = self._predict(self.urgency_model, clean, tokens, notes, "urgency")
        urgency, score, reasons = self._urgency(outcome, urg_probs)
        if SAFETY_NET_REASON in reasons:
            notes.append("safety_net")

        groups = self._groups(outcome, self._predict(self.group_model, clean, tokens, notes, "group"))

        low = bool({"empty", "no_chinese"} & set(notes)) or not category
        if category and category[0][1] < self.low_confidence_threshold:
            notes.append("uncertain_category")
            low = True
        return Triage(
            category=category,
            urgency=urgency,
            urgency_score=score,
            urgency_reasons=reasons,
            special_groups=groups,
            low_confidence=low,
            model_version=self.model_version,
            notes=tuple(notes),
            urgency_probabilities=urg_probs,
        )

    # ---- parts ---------------------------------------------------------------------
    @staticmethod
    def _predict(model: TextClassifier | None, text: str, tokens: Sequence[str], notes: list[str], what: str) -> dict[str, float]:
        if model is None:
            return {}
        try:
            # group probabilities are independent yes/no answers: not renormalised
            return _clean_probs(model.predict_proba(text, tokens), normalise=what != "group")
        except Exception:
            notes.append(f"{what}_model_failed")
            return {}

    def _model_urgency(self, probs: Mapping[str, float]) -> str:
        if not probs:
            return NORMAL
        if probs.get(CRITICAL, 0.0) >= self.critical_threshold:
            return CRITICAL
        if probs.get(CRITICAL, 0.0) + probs.get(URGENT, 0.0) >= self.urgent_threshold:
            return URGENT
        return NORMAL

    def _urgency(self, outcome: RuleOutcome, probs: Mapping[str, float]) -> tuple[str, float, tuple[str, ...]]:
        floor = outcome.urgency
        model = self._model_urgency(probs)
        if outcome.urgency_cap is not None:
            model = min_urgency(model, outcome.urgency_cap)
        final = max_urgency(floor, model)
        reasons = list(outcome.urgency_reasons)
        if final == NORMAL and self._critical_signal(outcome, probs):
            # safety net: never the normal queue for a possible life-or-safety call
            final = URGENT
            reasons = [SAFETY_NET_REASON, *reasons, *outcome.cap_reasons]
            p_at_least_urgent = probs.get(CRITICAL, 0.0) + probs.get(URGENT, 0.0)
            return final, float(max(p_at_least_urgent, self.urgent_threshold)), tuple(dict.fromkeys(reasons))
        if URGENCY_RANK[final] > URGENCY_RANK[floor]:
            reasons.insert(0, MODEL_REASON)
        elif final == NORMAL and outcome.urgency_cap is not None:
            reasons.extend(outcome.cap_reasons)
        p = probs.get(final, 0.0) if probs else 0.0
        if final == floor and floor != NORMAL:
            score = max(p, RULE_CONFIDENCE)
        elif probs:
            score = p
        else:
            score = RULE_CONFIDENCE if floor != NORMAL else 0.5
        return final, float(score), tuple(dict.fromkeys(reasons))

    def _critical_signal(self, outcome: RuleOutcome, probs: Mapping[str, float]) -> bool:
        """The model calls it critical, or a critical rule matched (before any hypothetical or past demotion)."""
        if probs and probs.get(CRITICAL, 0.0) >= self.critical_threshold:
            return True
        for m in outcome.matches:
            if m.kind != "urgency" or m.effect != "floor":
                continue
            rank = URGENCY_RANK[m.target] + (1 if m.hypothetical else 0)
            if rank >= URGENCY_RANK[CRITICAL]:
                return True
        return False

    def _groups(self, outcome: RuleOutcome, probs: Mapping[str, float]) -> tuple[GroupFlag, ...]:
        flags: dict[str, GroupFlag] = {
            code: GroupFlag(code, triggers, "rule", 1.0) for code, triggers in outcome.special_groups.items()
        }
        for code, p in probs.items():
            if code in SPECIAL_GROUPS and code not in flags and p >= self.group_threshold:
                flags[code] = GroupFlag(code, (), "model", float(p))
        return tuple(flags[c] for c in SPECIAL_GROUPS if c in flags)


__all__ = ["GroupFlag", "TextClassifier", "Triage", "TriageEngine", "URGENCY_LEVELS", "MODEL_REASON", "SAFETY_NET_REASON"]
