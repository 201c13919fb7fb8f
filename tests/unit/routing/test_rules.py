from __future__ import annotations

import pytest

from cityops.domain.errors import InvalidInput
from cityops.domain.routing import RoutingRuleError, parse_rules, route, validate_rules

RULES = [
    {"id": "default", "name": "兜底：派属地街道", "target": {"kind": "area_street"}, "priority": 0},
    {"id": "epi-local", "name": "疫情类派属地居委", "category": "epi", "target": {"kind": "area_committee"}},
    {"id": "labour", "name": "欠薪派人社局", "category": "city.labour", "target": {"kind": "unit", "unit": "BJ-RSJ"}},
    {"id": "isolation-site", "name": "隔离点管理派卫健委", "category": "epi.isolation_site",
     "target": {"kind": "unit", "unit": "BJ-WJW"}},
    {"id": "lockdown", "name": "封控区疫情事项派联动小分队", "category": "epi", "area": "BJ-S02-C03",
     "target": {"kind": "unit", "unit": "BJ-S02-LD"}},
    {"id": "donghu-all", "name": "东湖镇一律派镇", "area": "BJ-S02", "target": {"kind": "area_street"}},
    {"id": "medical-critical", "name": "危急就医派中心医院", "category": "epi.medical", "urgency": "critical",
     "target": {"kind": "unit", "unit": "BJ-H1"}},
    {"id": "off", "name": "停用的规则", "category": "city.noise", "target": {"kind": "unit", "unit": "BJ-GA"},
     "enabled": False},
]


@pytest.fixture(scope="module")
def rules():
    return parse_rules(RULES)


def test_no_specific_rule_falls_back_to_the_default(rules):
    s = route("city.other", "BJ-S01-C02", "BJ-S01", "normal", rules)
    assert (s.unit_code, s.rule_id, s.rule_name) == ("BJ-S01", "default", "兜底：派属地街道")
    assert "兜底" in s.explanation and "BJ-S01" in s.explanation


def test_a_parent_category_rule_sends_to_the_address_committee(rules):
    s = route("epi.supplies", "BJ-S01-C02", "BJ-S01", "urgent", rules)
    assert (s.unit_code, s.rule_id, s.target_kind) == ("BJ-S01-C02", "epi-local", "area_committee")
    assert "epi.supplies 属于 epi" in s.explanation
    assert "epi.supplies is under epi" in s.explanation_en


def test_an_exact_category_beats_its_parent(rules):
    s = route("epi.isolation_site", "BJ-S01-C02", "BJ-S01", "normal", rules)
    assert (s.unit_code, s.rule_id) == ("BJ-WJW", "isolation-site")


def test_area_and_category_beat_category_alone(rules):
    s = route("epi.supplies", "BJ-S02-C03", "BJ-S02", "normal", rules)
    assert (s.unit_code, s.rule_id) == ("BJ-S02-LD", "lockdown")
    # … even a more precise category without an area
    assert route("epi.isolation_site", "BJ-S02-C03", "BJ-S02", "normal", rules).rule_id == "lockdown"


def test_a_category_rule_beats_an_area_only_rule(rules):
    assert route("city.labour", "BJ-S02-C01", "BJ-S02", "normal", rules).rule_id == "labour"
    assert route("city.other", "BJ-S02-C01", "BJ-S02", "normal", rules).rule_id == "donghu-all"


def test_a_rule_naming_the_urgency_only_matches_that_urgency(rules):
    assert route("epi.medical", "BJ-S01-C02", "BJ-S01", "critical", rules).rule_id == "medical-critical"
    assert route("epi.medical", "BJ-S01-C02", "BJ-S01", "urgent", rules).rule_id == "epi-local"


def test_a_disabled_rule_never_matches(rules):
    assert route("city.noise", "BJ-S01-C02", "BJ-S01", "normal", rules).rule_id == "default"


def test_a_rule_whose_target_cannot_be_filled_is_passed_over_and_said_so(rules):
    s = route("epi.supplies", None, "BJ-S01", "normal", rules)   # address found the street only
    assert (s.unit_code, s.rule_id, s.skipped) == ("BJ-S01", "default", ("epi-local",))
    assert "epi-local" in s.explanation


def test_no_matching_rule_gives_none():
    only = parse_rules([{"id": "x", "name": "x", "category": "city.labour", "target": {"kind": "unit", "unit": "U"}}])
    assert route("epi.medical", "C", "S", "normal", only) is None
    assert route("city.labour", None, None, None, []) is None


def test_a_street_area_rule_matches_every_committee_of_the_street_but_a_committee_rule_wins():
    rules = parse_rules([
        {"id": "street", "name": "街道", "category": "epi", "area": "S1", "target": {"kind": "unit", "unit": "U1"}},
        {"id": "committee", "name": "居委", "category": "epi", "area": "C1", "target": {"kind": "unit", "unit": "U2"}},
    ])
    assert route("epi.medical", "C1", "S1", None, rules).rule_id == "committee"
    assert route("epi.medical", "C2", "S1", None, rules).rule_id == "street"
    assert route("epi.medical", "C3", "S2", None, rules) is None


def test_priority_breaks_ties_between_equally_specific_rules():
    rules = parse_rules([
        {"id": "a", "name": "a", "category": "epi", "target": {"kind": "unit", "unit": "UA"}, "priority": 1},
        {"id": "b", "name": "b", "category": "epi", "target": {"kind": "unit", "unit": "UB"}, "priority": 5},
    ])
    assert route("epi.medical", None, None, None, rules).unit_code == "UB"


def test_route_accepts_raw_dicts_and_any_category_wildcards():
    s = route("city.other", None, "S1", None, [{"id": "d", "name": "兜底", "category": "*",
                                               "target": {"kind": "area_street"}}])
    assert s.unit_code == "S1"


def test_rules_round_trip_through_their_data(rules):
    assert parse_rules([r.to_data() for r in rules]) == rules
    assert parse_rules({"rules": RULES}) == rules


# ---- validation ----------------------------------------------------------------------

def _problems(rule, **known):
    return [(p.rule_id, p.field) for p in validate_rules([rule], **known)]


@pytest.mark.parametrize("rule, expected", [
    ({"name": "n", "target": {"kind": "area_street"}}, [(None, "id")]),
    ({"id": "r1", "target": {"kind": "area_street"}}, [("r1", "name")]),
    ({"id": "r1", "name": "n"}, [("r1", "target")]),
    ({"id": "r1", "name": "n", "target": {"kind": "department"}}, [("r1", "target.kind")]),
    ({"id": "r1", "name": "n", "target": {"kind": "unit"}}, [("r1", "target.unit")]),
    ({"id": "r1", "name": "n", "target": {"kind": "area_street", "unit": "X"}}, [("r1", "target.unit")]),
    ({"id": "r1", "name": "n", "category": "epi medical!", "target": {"kind": "area_street"}}, [("r1", "category")]),
    ({"id": "r1", "name": "n", "category": 3, "target": {"kind": "area_street"}}, [("r1", "category")]),
    ({"id": "r1", "name": "n", "urgency": "asap", "target": {"kind": "area_street"}}, [("r1", "urgency")]),
    ({"id": "r1", "name": "n", "priority": "high", "target": {"kind": "area_street"}}, [("r1", "priority")]),
    ({"id": "r1", "name": "n", "priority": True, "target": {"kind": "area_street"}}, [("r1", "priority")]),
    ({"id": "r1", "name": "n", "enabled": "yes", "target": {"kind": "area_street"}}, [("r1", "enabled")]),
    ({"id": "r1", "name": "n", "colour": "red", "target": {"kind": "area_street"}}, [("r1", "colour")]),
    ("not a rule", [(None, "rule")]),
])
def test_every_problem_names_the_rule_and_the_field(rule, expected):
    assert _problems(rule) == expected


def test_codes_are_checked_against_what_exists_when_given():
    rule = {"id": "r1", "name": "n", "category": "epi.nothing", "area": "BJ-S99",
            "target": {"kind": "unit", "unit": "BJ-XXX"}}
    found = _problems(rule, known_units={"BJ-WJW"}, known_areas={"BJ-S01"}, known_categories={"epi.medical"})
    assert found == [("r1", "category"), ("r1", "area"), ("r1", "target.unit")]
    ok = dict(rule, category="epi", area="BJ-S01", target={"kind": "unit", "unit": "BJ-WJW"})
    assert _problems(ok, known_units={"BJ-WJW"}, known_areas={"BJ-S01"}, known_categories={"epi.medical"}) == []


def test_duplicate_ids_and_undecidable_twins_are_reported():
    twin = {"id": "a", "name": "a", "category": "epi", "target": {"kind": "area_street"}}
    problems = validate_rules([twin, dict(twin), dict(twin, id="b")])
    assert [(p.rule_id, p.field) for p in problems] == [("a", "id"), ("a", "priority"), ("b", "priority")]
    assert "rule 'a'" in str(problems[1]) and problems[0].message_zh


def test_parse_rules_raises_one_error_listing_every_problem():
    with pytest.raises(RoutingRuleError) as err:
        parse_rules([{"id": "r1", "name": "", "target": {"kind": "unit"}},
                     {"id": "r2", "name": "ok", "target": {"kind": "area_street"}, "urgency": "soon"}])
    e = err.value
    assert isinstance(e, InvalidInput)
    assert [(p.rule_id, p.field) for p in e.problems] == [("r1", "name"), ("r1", "target.unit"), ("r2", "urgency")]
    assert "rule 'r1': name" in e.message and "rule 'r2': urgency" in e.message
    assert e.rule_id == "r1" and e.field == "rules[0].name"


def test_a_bad_raw_rule_given_to_route_raises():
    with pytest.raises(RoutingRuleError):
        route("epi", None, None, None, [{"id": "x", "name": "x", "target": {"kind": "nowhere"}}])
