"""Routing rules (派单规则): which unit should lead an order, as data an admin edits.

A rule (a JSON object)::

    {"id": "r-epi-lockdown", "name": "封控区疫情事项派联动小分队",
     "category": "epi",                 # a category code, or a parent prefix; omitted/""/"*": any
     "area": "BJ-S02-C03",              # a street or committee unit code; omitted: anywhere
     "urgency": "critical",             # critical | urgent | normal; omitted: any
     "target": {"kind": "unit", "unit": "BJ-S02-LD"},
     "priority": 0,                     # tie-break between equally specific rules (higher wins)
     "enabled": true}

``target.kind``: ``area_committee`` (the residents' committee of the address), ``area_street``
(the street/town of the address) or ``unit`` (the unit named in ``target.unit``).

:func:`route` picks the **most specific** matching rule:

1. rules naming both an area and a category beat rules naming one of them, which beat
   default rules (neither);
2. then the more specific category (exact code > ``epi.medical``-style prefix > ``epi`` > any);
3. then the more specific area (committee > street);
4. then a rule naming the urgency over one that does not;
5. then the higher ``priority``.

So a category rule (``city.labour`` → 区人社局) beats an area-only rule (everything in 东湖镇
→ 东湖镇), and an area+category rule (``epi`` in the sealed committee → the linkage team)
beats both.  A rule whose target cannot be filled (``area_committee`` but the address has
no committee) is passed over for the next one, and the suggestion says so.
:func:`validate_rules` names the rule id and the field of every problem.  Pure code.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cityops.domain.errors import InvalidInput
from cityops.domain.triage.codes import URGENCY_LEVELS

AREA_COMMITTEE = "area_committee"
AREA_STREET = "area_street"
UNIT = "unit"
TARGET_KINDS: tuple[str, ...] = (AREA_COMMITTEE, AREA_STREET, UNIT)
ANY = "*"
_ALLOWED_KEYS = {"id", "name", "category", "area", "urgency", "target", "priority", "enabled", "note"}
_CATEGORY_RE = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
_TARGET_ZH = {AREA_COMMITTEE: "属地居委", AREA_STREET: "属地街道", UNIT: "指定单位"}
_TARGET_EN = {AREA_COMMITTEE: "the address's committee", AREA_STREET: "the address's street", UNIT: "unit"}


@dataclass(frozen=True)
class RoutingTarget:
    kind: str                 # area_committee | area_street | unit
    unit: str | None = None   # only for kind "unit"


@dataclass(frozen=True)
class RoutingRule:
    id: str
    name: str
    target: RoutingTarget
    category: str | None = None   # None: any category
    area: str | None = None       # None: anywhere
    urgency: str | None = None    # None: any urgency
    priority: int = 0
    enabled: bool = True
    note: str = ""

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.category is not None:
            data["category"] = self.category
        if self.area is not None:
            data["area"] = self.area
        if self.urgency is not None:
            data["urgency"] = self.urgency
        data["target"] = {"kind": self.target.kind, **({"unit": self.target.unit} if self.target.unit else {})}
        data["priority"] = self.priority
        if not self.enabled:
            data["enabled"] = False
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class RuleProblem:
    """One problem of one rule: which rule (id, or its position when it has no id), which field."""

    rule_id: str | None
    index: int            # 0-based position in the list
    field: str
    message: str          # English
    message_zh: str

    def __str__(self) -> str:
        who = repr(self.rule_id) if self.rule_id else f"#{self.index + 1}"
        return f"rule {who}: {self.field}: {self.message}"


class RoutingRuleError(InvalidInput):
    """Routing rules are malformed; ``problems`` lists every problem found."""

    code = "invalid_routing_rule"

    def __init__(self, problems: Sequence[RuleProblem]):
        self.problems = tuple(problems)
        first = self.problems[0]
        super().__init__("; ".join(str(p) for p in self.problems), field=f"rules[{first.index}].{first.field}")
        self.rule_id = first.rule_id


@dataclass(frozen=True)
class Suggestion:
    """The suggested lead unit and the rule that produced it."""

    unit_code: str
    rule_id: str
    rule_name: str
    explanation: str              # Chinese, for the operator
    explanation_en: str
    target_kind: str
    skipped: tuple[str, ...] = ()  # ids of more specific rules passed over (target could not be filled)


# ---------------------------------------------------------------------------------- validation

def _problems_of(data: Any, index: int, known_units: Collection[str] | None, known_areas: Collection[str] | None,
                 known_categories: Collection[str] | None) -> tuple[RoutingRule | None, list[RuleProblem]]:
    out: list[RuleProblem] = []
    if not isinstance(data, Mapping):
        return None, [RuleProblem(None, index, "rule", f"must be an object, got {type(data).__name__}",
                                  "规则必须是对象")]
    raw_id = data.get("id")
    rule_id = raw_id.strip() if isinstance(raw_id, str) and raw_id.strip() else None

    def bad(fld: str, en: str, zh: str) -> None:
        out.append(RuleProblem(rule_id, index, fld, en, zh))

    if rule_id is None:
        bad("id", "must be a non-empty string", "规则编号不能为空")
    unknown = sorted(set(map(str, data)) - _ALLOWED_KEYS)
    if unknown:
        bad(unknown[0], f"unknown field(s) {unknown}", f"无法识别的字段 {unknown}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        bad("name", "must be a non-empty string", "规则名称不能为空")

    category = data.get("category")
    if category is not None and not isinstance(category, str):
        bad("category", "must be a category code, a parent prefix or '*'", "类别必须是类别编码、上级前缀或 *")
        category = None
    if isinstance(category, str):
        category = category.strip()
        if category in ("", ANY):
            category = None
        elif not _CATEGORY_RE.match(category):
            bad("category", f"{category!r} is not a category code (like 'epi' or 'epi.medical')",
                f"“{category}”不是有效的类别编码（如 epi 或 epi.medical）")
        elif known_categories is not None and not any(
                c == category or c.startswith(category + ".") for c in known_categories):
            bad("category", f"unknown category {category!r}", f"类别“{category}”不存在")

    area = data.get("area")
    if area is not None and not isinstance(area, str):
        bad("area", "must be a street or committee unit code", "区域必须是街道或居委编码")
        area = None
    if isinstance(area, str):
        area = area.strip() or None
        if area is not None and known_areas is not None and area not in known_areas:
            bad("area", f"unknown street/committee code {area!r}", f"区域编码“{area}”不是已知的街道或居委")

    urgency = data.get("urgency")
    if urgency in ("", ANY):
        urgency = None
    if urgency is not None and urgency not in URGENCY_LEVELS:
        bad("urgency", f"must be one of {list(URGENCY_LEVELS)}, got {urgency!r}",
            f"紧急程度必须是 {'/'.join(URGENCY_LEVELS)} 之一")
        urgency = None

    target: RoutingTarget | None = None
    raw_target = data.get("target")
    if not isinstance(raw_target, Mapping):
        bad("target", "must be an object {kind, unit?}", "派单对象必须是 {kind, unit} 对象")
    else:
        kind = raw_target.get("kind")
        unit = raw_target.get("unit")
        extra = sorted(set(map(str, raw_target)) - {"kind", "unit"})
        if extra:
            bad("target", f"unknown field(s) {extra}", f"派单对象中有无法识别的字段 {extra}")
        if kind not in TARGET_KINDS:
            bad("target.kind", f"must be one of {list(TARGET_KINDS)}, got {kind!r}",
                f"派单对象类型必须是 {'/'.join(TARGET_KINDS)} 之一")
        elif kind == UNIT:
            if not isinstance(unit, str) or not unit.strip():
                bad("target.unit", "is required when target.kind is 'unit'", "派往指定单位时必须填写单位编码")
            elif known_units is not None and unit.strip() not in known_units:
                bad("target.unit", f"unknown unit code {unit!r}", f"单位编码“{unit}”不存在")
            else:
                target = RoutingTarget(UNIT, unit.strip())
        else:
            if unit not in (None, ""):
                bad("target.unit", f"must be empty when target.kind is {kind!r}", "派往属地时不能填写单位编码")
            else:
                target = RoutingTarget(kind)

    priority = data.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        bad("priority", f"must be an integer, got {priority!r}", "优先级必须是整数")
        priority = 0
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        bad("enabled", "must be true or false", "启用标志必须是 true 或 false")
        enabled = True
    note = data.get("note", "")
    if not isinstance(note, str):
        bad("note", "must be a string", "备注必须是文本")
        note = ""
    if out or rule_id is None or target is None:
        return None, out
    return RoutingRule(rule_id, name.strip(), target, category, area, urgency, priority, enabled, note), []


def validate_rules(
    data: Iterable[Any],
    *,
    known_units: Collection[str] | None = None,
    known_areas: Collection[str] | None = None,
    known_categories: Collection[str] | None = None,
) -> list[RuleProblem]:
    """Every problem of a rule list (empty when it is good).  The ``known_*`` collections,
    when given, check that codes exist: units for ``target.unit``, street and committee codes
    for ``area``, category codes for ``category`` (a prefix of a known code is fine)."""
    return _parse(data, known_units, known_areas, known_categories)[1]


def parse_rules(
    data: Iterable[Any],
    *,
    known_units: Collection[str] | None = None,
    known_areas: Collection[str] | None = None,
    known_categories: Collection[str] | None = None,
) -> tuple[RoutingRule, ...]:
    """Validated rules, or :class:`RoutingRuleError` listing every problem.  Accepts a bare
    list or a document ``{"rules": [...]}``."""
    rules, problems = _parse(data, known_units, known_areas, known_categories)
    if problems:
        raise RoutingRuleError(problems)
    return rules


def _parse(data: Any, known_units, known_areas, known_categories) -> tuple[tuple[RoutingRule, ...], list[RuleProblem]]:
    if isinstance(data, Mapping) and "rules" in data:
        data = data["rules"]
    if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        return (), [RuleProblem(None, 0, "rules", "must be a list of rules", "规则必须是列表")]
    rules: list[RoutingRule] = []
    problems: list[RuleProblem] = []
    seen: dict[str, int] = {}
    same: dict[tuple, str] = {}
    for index, item in enumerate(data):
        rule, found = _problems_of(item, index, known_units, known_areas, known_categories)
        problems.extend(found)
        raw_id = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(raw_id, str) and raw_id.strip():
            rid = raw_id.strip()
            if rid in seen:
                problems.append(RuleProblem(rid, index, "id", f"duplicate id (also rule #{seen[rid] + 1})",
                                            f"规则编号重复（与第{seen[rid] + 1}条相同）"))
            else:
                seen[rid] = index
        if rule is None:
            continue
        if rule.enabled:
            key = (rule.category, rule.area, rule.urgency, rule.priority)
            if key in same:
                problems.append(RuleProblem(
                    rule.id, index, "priority",
                    f"same category, area, urgency and priority as rule {same[key]!r}: "
                    "neither would win; change one or the priority",
                    f"与规则“{same[key]}”的类别、区域、紧急程度和优先级完全相同，无法决定由谁生效，请修改其一或调整优先级"))
            else:
                same[key] = rule.id
        rules.append(rule)
    return tuple(rules), problems


# ---------------------------------------------------------------------------------- routing

def _category_rank(rule_category: str | None, category: str | None) -> int | None:
    """None if the rule does not match; else how specific the match is (any = 0)."""
    if rule_category is None:
        return 0
    if not category:
        return None
    depth = rule_category.count(".") + 1
    if category == rule_category:
        return 2 * depth + 1
    if category.startswith(rule_category + "."):
        return 2 * depth
    return None


def _area_rank(rule_area: str | None, committee: str | None, street: str | None) -> int | None:
    if rule_area is None:
        return 0
    if committee and rule_area == committee:
        return 2
    if street and rule_area == street:
        return 1
    return None


def rank(rule: RoutingRule, category: str | None, area_committee: str | None, area_street: str | None,
         urgency: str | None) -> tuple[int, int, int, int, int] | None:
    """How specifically ``rule`` matches (bigger is more specific), or None if it does not."""
    if not rule.enabled:
        return None
    c = _category_rank(rule.category, category)
    if c is None:
        return None
    a = _area_rank(rule.area, area_committee, area_street)
    if a is None:
        return None
    if rule.urgency is not None and rule.urgency != urgency:
        return None
    tier = (rule.category is not None) + (rule.area is not None)
    return tier, c, a, int(rule.urgency is not None), rule.priority


def route(
    category: str | None,
    area_committee: str | None,
    area_street: str | None,
    urgency: str | None,
    rules: Iterable[RoutingRule | Mapping[str, Any]],
) -> Suggestion | None:
    """The lead unit suggested by the most specific matching rule, or None if none matches.

    ``rules`` may be :class:`RoutingRule` values or raw dicts (validated here; a bad one
    raises :class:`RoutingRuleError`)."""
    items = list(rules)
    if any(isinstance(r, Mapping) for r in items):
        parsed = parse_rules([r.to_data() if isinstance(r, RoutingRule) else r for r in items])
    else:
        parsed = tuple(items)  # type: ignore[arg-type]
    ranked = []
    for order, rule in enumerate(parsed):
        key = rank(rule, category, area_committee, area_street, urgency)
        if key is not None:
            ranked.append((key, -order, rule))
    ranked.sort(key=lambda t: (t[0], t[1]), reverse=True)
    skipped: list[RoutingRule] = []
    for _key, _order, rule in ranked:
        kind = rule.target.kind
        unit = {AREA_COMMITTEE: area_committee, AREA_STREET: area_street}.get(kind, rule.target.unit)
        if not unit:
            skipped.append(rule)
            continue
        zh, en = _explain(rule, unit, category, area_committee, area_street, urgency, skipped)
        return Suggestion(unit, rule.id, rule.name, zh, en, kind, tuple(r.id for r in skipped))
    return None


def _explain(rule: RoutingRule, unit: str, category: str | None, committee: str | None, street: str | None,
             urgency: str | None, skipped: Sequence[RoutingRule]) -> tuple[str, str]:
    zh: list[str] = []
    en: list[str] = []
    if rule.category is None:
        zh.append("适用所有类别")
        en.append("any category")
    elif rule.category == category:
        zh.append(f"类别 {category}")
        en.append(f"category {category}")
    else:
        zh.append(f"类别 {category} 属于 {rule.category}")
        en.append(f"category {category} is under {rule.category}")
    if rule.area is not None:
        level_zh, level_en = ("居委", "committee") if rule.area == committee else ("街道", "street")
        zh.append(f"地址在{level_zh} {rule.area}")
        en.append(f"address in {level_en} {rule.area}")
    if rule.urgency is not None:
        zh.append(f"紧急程度 {urgency}")
        en.append(f"urgency {urgency}")
    text_zh = f"按规则「{rule.name}」（{rule.id}）：{'，'.join(zh)} → 派{_TARGET_ZH[rule.target.kind]} {unit}"
    text_en = f"rule {rule.name!r} ({rule.id}): {', '.join(en)} -> {_TARGET_EN[rule.target.kind]} {unit}"
    if skipped:
        text_zh += f"（更具体的规则 {'、'.join(r.id for r in skipped)} 因地址未定位到属地居委/街道而跳过）"
        text_en += f" (more specific rule(s) {', '.join(r.id for r in skipped)} skipped: the address has no " \
                   "committee/street for their target)"
    return text_zh, text_en
