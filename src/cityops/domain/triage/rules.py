"""Admin-editable triage rules: urgency floors/caps and special-group flags.

Rules are plain data (a JSON document edited by an admin) turned into a :class:`RuleSet`
by :meth:`RuleSet.from_data`, which validates every field and names the offending rule in
its error.  :meth:`RuleSet.apply` runs them on a request text and returns the urgency
floor with its reasons (the most urgent class wins) and the special groups with the words
that triggered them.

Document shape (a bare list of rules is accepted too)::

    {"version": "...",
     "pattern_sets": {"calm": ["不急", "不着急"]},      # reusable lists, cited as "@calm"
     "negators": ["没有", "没", "不是"],                   # optional, defaults below
     "hypothetical": ["万一", "如果"],                      # optional, defaults below
     "past": ["上个月", "去年"],                            # optional, defaults below
     "rules": [
        {"id": "u.dialysis", "kind": "urgency", "target": "critical",
         "patterns": ["透析", "血透"], "reason": "透析",
         "unless": ["@calm"],          # skip a match whose sentence also matches one of these
         "requires": ["..."],          # optional: the text must also match one of these
         "effect": "floor",            # urgency only: "floor" (default) or "cap"
         "negatable": false}           # skip a match right after a negator (没有老人)
     ]}

Patterns are Python regular expressions; a plain keyword is a valid one.

Negation and hypotheticals:
- a *negatable* rule (default for special groups) ignores a match that directly follows a
  negator in the same clause, possibly after other flagged words: 家里没有老人小孩.
- an urgency *floor* match preceded in its clause by a hypothetical marker (万一着火, 如果要
  透析) counts one class lower: a possible fire is urgent, not critical.
- a *cap* rule (来电人说“不急”) limits how high the statistical model may raise urgency; it
  never lowers a floor set by another rule.
- a floor match with a *past* marker in its clause before or inside it (上个月着过火, 停电那次
  制氧机停了半小时), or right after an experiential 过 (冒过火花, 有过煤气味), counts one class
  lower too: the caller reports something that happened, not what is happening now.
- when a rule matches several times, a match that is not demoted wins over a demoted one
  (如果不透析…，明天就要透析 is critical).
- a worry about the *present* is not a hypothetical: after 担心/怕/会不会, a question about
  what may already be happening (担心她是不是晕倒了, 怕已经煤气中毒了, 会不会是中风) keeps its
  class; only a possible future (担心会着火, 怕万一摔倒) counts one class lower.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cityops.domain.errors import InvalidInput
from cityops.domain.triage.codes import (
    NORMAL,
    SPECIAL_GROUPS,
    URGENCY_LEVELS,
    URGENCY_RANK,
)
from cityops.domain.triage.text import CLAUSE_BREAK, SENTENCE_BREAK, normalize, span_of

KINDS = ("urgency", "special_group")
EFFECTS = ("floor", "cap")
DEFAULT_NEGATORS: tuple[str, ...] = ("没有", "并没有", "没", "无", "不是", "并非", "不算", "不属于")
DEFAULT_HYPOTHETICAL: tuple[str, ...] = (
    "万一", "如果", "假如", "假设", "要是", "一旦", "随时", "会不会", "以防", "防止", "可能会", "容易", "怕",
)
DEFAULT_PAST: tuple[str, ...] = ("上个月", "去年", "前年", "上次", "上回", "那次", "曾经", "早年", "小时候", "几年前")
# After a past marker, these say the matter goes on now (上个月开始透析, 上次说好的车今天又没来).
_STILL_NOW = re.compile(r"开始|以来|一直|至今|到现在|到今天|今天|现在|刚才|这次|又")
# Experiential 过 right before a match (冒过火花, 有过煤气味): it happened before, like a past marker.
_EXPERIENCED = re.compile(r"(?<![不超经通难越路])过$")
# Hypothetical markers that express worry; after them a present-state question is no hypothetical.
WORRY_MARKERS: tuple[str, ...] = ("担心", "害怕", "怕", "会不会")
_PRESENT_DOUBT = re.compile(r"(?:是不是|是否)(?![会要能])|已经|好像|^[他她它人老孩家里屋]{0,3}是(?![否不])")
# Words that may stand between a negator and the negated word: 没有(什么)老人(和)小孩.
_NEG_FILLER = re.compile(r"[有是和或跟及与也、,\s]|什么|任何|家里的?|人是|这种|这样的?")
_ALLOWED_KEYS = {"id", "kind", "target", "patterns", "reason", "unless", "requires", "effect", "negatable", "about"}


class RuleError(InvalidInput):
    """A rule document is malformed; the message names the rule."""

    code = "invalid_rule"

    def __init__(self, message: str, rule_id: str | None = None):
        super().__init__(message, field="rules")
        self.rule_id = rule_id


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    target: str
    patterns: tuple[str, ...]
    reason: str
    unless: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    effect: str = "floor"
    negatable: bool = False
    about: str = ""
    _regex: re.Pattern[str] = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    _unless: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    _requires: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "target": self.target,
            "patterns": list(self.patterns), "reason": self.reason,
        }
        if self.unless:
            data["unless"] = list(self.unless)
        if self.requires:
            data["requires"] = list(self.requires)
        if self.kind == "urgency" and self.effect != "floor":
            data["effect"] = self.effect
        if self.negatable != (self.kind == "special_group"):
            data["negatable"] = self.negatable
        if self.about:
            data["about"] = self.about
        return data


@dataclass(frozen=True)
class RuleMatch:
    rule_id: str
    kind: str
    target: str          # the class this match counts for (after a hypothetical or past demotion)
    reason: str
    trigger: str         # the matched words
    start: int
    end: int
    hypothetical: bool = False  # demoted one class: a hypothetical or past event
    effect: str = "floor"


@dataclass(frozen=True)
class RuleOutcome:
    urgency: str                                   # floor from the rules (normal if none)
    urgency_reasons: tuple[str, ...]               # reasons of the winning class first
    urgency_cap: str | None                        # lowest cap, if a cap rule matched
    special_groups: Mapping[str, tuple[str, ...]]  # group code -> trigger words
    matches: tuple[RuleMatch, ...]

    @property
    def cap_reasons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.reason for m in self.matches if m.effect == "cap"))


@lru_cache(maxsize=8192)
def _pattern_error(pattern: str) -> str | None:
    """Why one pattern is not a valid regular expression (None when it is). Cached: the shipped
    rules hold about a thousand patterns, more than ``re``'s own cache, and a document is
    validated again on every save, page view and engine build."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


@lru_cache(maxsize=1024)
def _alternation(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _compile(patterns: Sequence[str], rule_id: str, what: str) -> re.Pattern[str]:
    for p in patterns:
        error = _pattern_error(p)
        if error is not None:
            raise RuleError(f"rule {rule_id!r}: bad {what} pattern {p!r}: {error}", rule_id)
    return _alternation(tuple(patterns))


def _str_list(value: Any, rule_id: str, key: str, sets: Mapping[str, tuple[str, ...]], required: bool) -> tuple[str, ...]:
    if value is None:
        if required:
            raise RuleError(f"rule {rule_id!r}: {key!r} is required", rule_id)
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"rule {rule_id!r}: {key!r} must be a list of strings", rule_id)
    out: list[str] = []
    for v in value:
        if v.startswith("@"):
            name = v[1:]
            if name not in sets:
                raise RuleError(f"rule {rule_id!r}: {key!r} cites unknown pattern set {v!r}", rule_id)
            out.extend(sets[name])
        elif not v.strip():
            raise RuleError(f"rule {rule_id!r}: {key!r} holds an empty pattern", rule_id)
        else:
            out.append(v)
    if required and not out:
        raise RuleError(f"rule {rule_id!r}: {key!r} must not be empty", rule_id)
    return tuple(out)


def parse_rule(data: Any, index: int = 0, pattern_sets: Mapping[str, tuple[str, ...]] | None = None) -> Rule:
    sets = pattern_sets or {}
    if not isinstance(data, Mapping):
        raise RuleError(f"rule #{index + 1}: must be an object, got {type(data).__name__}")
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise RuleError(f"rule #{index + 1}: 'id' must be a non-empty string")
    unknown = set(data) - _ALLOWED_KEYS
    if unknown:
        raise RuleError(f"rule {rule_id!r}: unknown field(s) {sorted(unknown)}", rule_id)
    kind = data.get("kind")
    if kind not in KINDS:
        raise RuleError(f"rule {rule_id!r}: 'kind' must be one of {list(KINDS)}, got {kind!r}", rule_id)
    target = data.get("target")
    allowed = URGENCY_LEVELS if kind == "urgency" else SPECIAL_GROUPS
    if target not in allowed:
        raise RuleError(f"rule {rule_id!r}: 'target' must be one of {list(allowed)} for kind {kind!r}, got {target!r}", rule_id)
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise RuleError(f"rule {rule_id!r}: 'reason' must be a non-empty string", rule_id)
    effect = data.get("effect", "floor")
    if effect not in EFFECTS:
        raise RuleError(f"rule {rule_id!r}: 'effect' must be one of {list(EFFECTS)}, got {effect!r}", rule_id)
    if effect == "cap" and kind != "urgency":
        raise RuleError(f"rule {rule_id!r}: only urgency rules can have effect 'cap'", rule_id)
    negatable = data.get("negatable", kind == "special_group")
    if not isinstance(negatable, bool):
        raise RuleError(f"rule {rule_id!r}: 'negatable' must be true or false", rule_id)
    about = data.get("about", "")
    if not isinstance(about, str):
        raise RuleError(f"rule {rule_id!r}: 'about' must be a string", rule_id)
    patterns = _str_list(data.get("patterns"), rule_id, "patterns", sets, required=True)
    unless = _str_list(data.get("unless"), rule_id, "unless", sets, required=False)
    requires = _str_list(data.get("requires"), rule_id, "requires", sets, required=False)
    regex = _compile(patterns, rule_id, "patterns")
    if regex.search(""):
        raise RuleError(f"rule {rule_id!r}: a pattern matches the empty text", rule_id)
    return Rule(
        id=rule_id, kind=kind, target=target, patterns=patterns, reason=reason.strip(),
        unless=unless, requires=requires, effect=effect, negatable=negatable, about=about,
        _regex=regex,
        _unless=_compile(unless, rule_id, "unless") if unless else None,
        _requires=_compile(requires, rule_id, "requires") if requires else None,
    )


class RuleSet:
    """A validated, ordered set of rules, applied to request texts."""

    def __init__(
        self,
        rules: Iterable[Rule],
        *,
        negators: Sequence[str] = DEFAULT_NEGATORS,
        hypothetical: Sequence[str] = DEFAULT_HYPOTHETICAL,
        past: Sequence[str] = DEFAULT_PAST,
        version: str = "",
    ):
        self.rules: tuple[Rule, ...] = tuple(rules)
        seen: set[str] = set()
        for r in self.rules:
            if r.id in seen:
                raise RuleError(f"rule {r.id!r}: duplicate id", r.id)
            seen.add(r.id)
        self.negators = tuple(negators)
        self.hypothetical = tuple(hypothetical)
        self.version = version
        neg = sorted(self.negators, key=len, reverse=True)
        self._neg_re = re.compile("|".join(re.escape(n) for n in neg)) if neg else None
        self.past = tuple(past)
        self._hyp_re = re.compile("|".join(re.escape(h) for h in self.hypothetical)) if self.hypothetical else None
        self._past_re = re.compile("|".join(re.escape(h) for h in self.past)) if self.past else None
        group_patterns = [p for r in self.rules if r.kind == "special_group" for p in r.patterns]
        self._group_words = re.compile("|".join(f"(?:{p})" for p in group_patterns)) if group_patterns else None

    # ---- loading -----------------------------------------------------------------
    @classmethod
    def from_data(cls, data: Any) -> "RuleSet":
        """Build from a decoded JSON document (object with "rules", or a bare list)."""
        if isinstance(data, list):
            data = {"rules": data}
        if not isinstance(data, Mapping):
            raise RuleError(f"rule document must be an object or a list, got {type(data).__name__}")
        raw_rules = data.get("rules")
        if not isinstance(raw_rules, list):
            raise RuleError("rule document: 'rules' must be a list")
        raw_sets = data.get("pattern_sets", {})
        if not isinstance(raw_sets, Mapping):
            raise RuleError("rule document: 'pattern_sets' must be an object")
        sets: dict[str, tuple[str, ...]] = {}
        for name, values in raw_sets.items():
            if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
                raise RuleError(f"pattern set {name!r}: must be a non-empty list of non-empty strings")
            _compile(values, f"@{name}", "pattern set")
            sets[name] = tuple(values)
        kwargs: dict[str, Any] = {}
        for key in ("negators", "hypothetical", "past"):
            if key in data:
                val = data[key]
                if not isinstance(val, list) or not all(isinstance(v, str) and v for v in val):
                    raise RuleError(f"rule document: {key!r} must be a list of non-empty strings")
                kwargs[key] = tuple(val)
        version = data.get("version", "")
        rules = [parse_rule(r, i, sets) for i, r in enumerate(raw_rules)]
        return cls(rules, version=str(version), **kwargs)

    def to_data(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "negators": list(self.negators),
            "hypothetical": list(self.hypothetical),
            "past": list(self.past),
            "rules": [r.to_data() for r in self.rules],
        }

    # ---- applying ------------------------------------------------------------------
    def _negated(self, text: str, start: int) -> bool:
        if self._neg_re is None:
            return False
        c_start, _ = span_of(CLAUSE_BREAK, text, start)
        prefix = text[c_start:start]
        last = None
        for m in self._neg_re.finditer(prefix):
            last = m
        if last is None:
            return False
        gap = prefix[last.end():]
        if self._group_words is not None:
            gap = self._group_words.sub("", gap)
        gap = _NEG_FILLER.sub("", gap)
        return gap == ""

    def _demoted(self, text: str, start: int, end: int) -> bool:
        """A hypothetical marker before ``start`` in its clause, or a past marker in that clause
        up to ``end`` (停电那次…制氧机停了: the marker may sit inside a long match)."""
        c_start, c_end = span_of(CLAUSE_BREAK, text, start)
        if self._past_re is not None:
            past = self._past_re.search(text, c_start, min(end, c_end))
            if past is not None and not _STILL_NOW.search(text, past.end(), c_end):
                return True
        if _EXPERIENCED.search(text, c_start, start) and not _STILL_NOW.search(text, start, c_end):
            return True
        if self._hyp_re is None:
            return False
        for m in self._hyp_re.finditer(text, c_start, start):
            if m.group(0) in WORRY_MARKERS and _PRESENT_DOUBT.search(text[m.end():start]):
                continue  # 担心她是不是晕倒了: a worry about now, not about a possible future
            return True
        return False

    def _first_valid_match(self, rule: Rule, text: str) -> RuleMatch | None:
        if rule._requires is not None and rule._requires.search(text) is None:
            return None
        demoted: RuleMatch | None = None
        for m in rule._regex.finditer(text):
            if not m.group(0):
                continue
            if rule.negatable and self._negated(text, m.start()):
                continue
            if rule._unless is not None:
                s_start, s_end = span_of(SENTENCE_BREAK, text, m.start())
                if rule._unless.search(text, s_start, s_end):
                    continue
            if rule.kind == "urgency" and rule.effect == "floor" and self._demoted(text, m.start(), m.end()):
                if demoted is None:  # keep looking: a later match may count in full
                    target = URGENCY_LEVELS[max(0, URGENCY_RANK[rule.target] - 1)]
                    demoted = RuleMatch(rule.id, rule.kind, target, rule.reason, m.group(0), m.start(), m.end(), True, rule.effect)
                continue
            return RuleMatch(rule.id, rule.kind, rule.target, rule.reason, m.group(0), m.start(), m.end(), False, rule.effect)
        return demoted

    def _group_triggers(self, rule: Rule, text: str) -> list[RuleMatch]:
        out: list[RuleMatch] = []
        if rule._requires is not None and rule._requires.search(text) is None:
            return out
        for m in rule._regex.finditer(text):
            if not m.group(0) or (rule.negatable and self._negated(text, m.start())):
                continue
            if rule._unless is not None:
                s_start, s_end = span_of(SENTENCE_BREAK, text, m.start())
                if rule._unless.search(text, s_start, s_end):
                    continue
            out.append(RuleMatch(rule.id, rule.kind, rule.target, rule.reason, m.group(0), m.start(), m.end()))
        return out

    def apply(self, text: str, *, normalized: bool = False) -> RuleOutcome:
        """Run every rule on ``text`` (normalised first unless ``normalized``)."""
        if not normalized:
            text = normalize(text)
        matches: list[RuleMatch] = []
        groups: dict[str, list[str]] = {}
        floor = NORMAL
        cap: str | None = None
        for rule in self.rules:
            if rule.kind == "special_group":
                hits = self._group_triggers(rule, text)
                if hits:
                    words = groups.setdefault(rule.target, [])
                    for h in hits:
                        if h.trigger not in words:
                            words.append(h.trigger)
                    matches.extend(hits)
                continue
            hit = self._first_valid_match(rule, text)
            if hit is None:
                continue
            matches.append(hit)
            if rule.effect == "cap":
                if cap is None or URGENCY_RANK[rule.target] < URGENCY_RANK[cap]:
                    cap = rule.target
            elif URGENCY_RANK[hit.target] > URGENCY_RANK[floor]:
                floor = hit.target
        floor_hits = sorted(
            (m for m in matches if m.kind == "urgency" and m.effect == "floor" and m.target != NORMAL),
            key=lambda m: (-URGENCY_RANK[m.target], m.start),
        )
        reasons = tuple(dict.fromkeys(m.reason for m in floor_hits))
        ordered_groups = {g: tuple(groups[g]) for g in SPECIAL_GROUPS if g in groups}
        return RuleOutcome(floor, reasons, cap, ordered_groups, tuple(matches))
