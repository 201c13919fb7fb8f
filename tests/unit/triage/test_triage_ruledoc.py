"""An admin's saved copy of the triage rules against the shipped rules (domain/triage/ruledoc.py)."""
from __future__ import annotations

import copy

import pytest

from cityops.domain.errors import InvalidInput
from cityops.domain.triage.ruledoc import shipped_changes, take_shipped
from cityops.domain.triage.rules import RuleSet


def rule(rid, pattern, target="critical", **kw):
    return {"id": rid, "kind": "urgency", "target": target, "patterns": [pattern], "reason": pattern, **kw}


SHIPPED = {"version": "v2", "past": ["上个月", "上礼拜"],
           "rules": [rule("u.a", "透析"), rule("u.b", "着火"), rule("u.c", "消防通道堵死"), rule("u.d", "抗原两道杠", "urgent")]}


def saved_copy():
    # an admin's copy of an older release: no u.c, no u.d, u.b edited, an own rule, an older past list
    return {"version": "v1-edited", "past": ["上个月"],
            "rules": [rule("u.a", "透析"), rule("u.b", "着火|冒烟"), rule("own.x", "化粪池冒")]}


def test_the_differences_are_named_rule_by_rule():
    ch = shipped_changes(saved_copy(), SHIPPED)
    assert ch.new == ("u.c", "u.d") and ch.changed == ("u.b",) and ch.own == ("own.x",)
    assert ch.lists == ("past",) and ch.any


def test_the_same_rules_written_two_ways_are_no_change():
    written_out = copy.deepcopy(SHIPPED)
    written_out["rules"][0]["effect"] = "floor"  # the default, spelled out
    assert not shipped_changes(written_out, SHIPPED).any
    assert not shipped_changes(RuleSet.from_data(SHIPPED).to_data(), SHIPPED).any


def test_taking_new_rules_keeps_every_edit_and_puts_them_where_the_shipped_rules_have_them():
    out = take_shipped(saved_copy(), SHIPPED, ["u.c", "u.d"])
    assert [r["id"] for r in out["rules"]] == ["u.a", "u.b", "u.c", "u.d", "own.x"]
    assert next(r for r in out["rules"] if r["id"] == "u.b")["patterns"] == ["着火|冒烟"]  # the admin's edit stays
    assert out["past"] == ["上个月"] and out["version"] == "v2+local"
    rs = RuleSet.from_data(out)  # still a valid document
    assert rs.apply("消防通道堵死了").urgency == "critical"
    assert rs.apply("上礼拜着火了").urgency == "critical"  # the copy's past list was not taken


def test_taking_a_changed_rule_and_a_list_replaces_them():
    out = take_shipped(saved_copy(), SHIPPED, ["u.b"], ["past"])
    assert next(r for r in out["rules"] if r["id"] == "u.b")["patterns"] == ["着火"]
    assert out["past"] == ["上个月", "上礼拜"]
    assert RuleSet.from_data(out).apply("上礼拜着火了").urgency == "urgent"


def test_taking_everything_gives_the_shipped_version_only_without_own_rules():
    everything = take_shipped(saved_copy(), SHIPPED, ["u.b", "u.c", "u.d"], ["past"])
    assert everything["version"] == "v2+local"  # own.x is still there
    no_own = saved_copy()
    no_own["rules"] = no_own["rules"][:2]
    assert take_shipped(no_own, SHIPPED, ["u.b", "u.c", "u.d"], ["past"])["version"] == "v2"


def test_a_new_rule_with_no_predecessor_in_the_copy_goes_first():
    copy_without_a = {"version": "x", "rules": [rule("own.x", "化粪池冒")]}
    out = take_shipped(copy_without_a, SHIPPED, ["u.a"])
    assert [r["id"] for r in out["rules"]] == ["u.a", "own.x"]


@pytest.mark.parametrize("ids, lists, word", [(["u.zzz"], [], "u.zzz"), ([], ["negators2"], "negators2")])
def test_unknown_rules_or_lists_are_refused_by_name(ids, lists, word):
    with pytest.raises(InvalidInput) as exc:
        take_shipped(saved_copy(), SHIPPED, ids, lists)
    assert word in str(exc.value)


def test_the_inputs_are_not_modified():
    saved, shipped = saved_copy(), copy.deepcopy(SHIPPED)
    take_shipped(saved, shipped, ["u.b", "u.c"], ["past"])
    assert saved == saved_copy() and shipped == SHIPPED
