"""Eligibility rules as data, the pass's expiry, and the gate's decision — pure domain, no database."""
from datetime import datetime, timedelta, timezone

import pytest

from cityops.domain.errors import InvalidInput
from cityops.domain.passes.model import PassClaims, decide, pass_expiry
from cityops.domain.passes.rules import DEFAULT_RULESET, build_context, check_eligibility, checked_ruleset

NOW = datetime(2022, 3, 25, 1, 0, tzinfo=timezone.utc)


def ctx(test=None, kind="sealed", reason="supplies", days=1, area="A1"):
    return build_context(now=NOW, employer="盒马", reason=reason, directions=("in",), start=NOW,
                         end=NOW + timedelta(days=days), area_code=area, area_kind=kind, manual=False, test=test)


def result_(hours_ago=10, result="negative", type_="pooled"):
    return {"sample_time": NOW - timedelta(hours=hours_ago), "result": result, "test_type": type_, "site": "x"}


def test_a_negative_pcr_test_within_48_hours_is_eligible_and_counts_until_sample_plus_48h():
    e = check_eligibility(DEFAULT_RULESET, ctx(result_(10)))
    assert e.ok and e.test_valid_until == NOW + timedelta(hours=38)


@pytest.mark.parametrize("t, failing", [
    (None, ["TEST-PRESENT", "TEST-NEGATIVE", "TEST-TYPE", "TEST-RECENT", "TEST-NOT-FUTURE"]),
    (result_(48), ["TEST-RECENT"]), (result_(47.9), []), (result_(5, "positive"), ["TEST-NEGATIVE"]),
    (result_(5, type_="antigen"), ["TEST-TYPE"]), (result_(-2), ["TEST-NOT-FUTURE"]),
])
def test_each_failing_rule_is_named(t, failing):
    assert [f["id"] for f in check_eligibility(DEFAULT_RULESET, ctx(t)).failures] == failing


def test_a_sealed_area_refuses_other_reasons_and_a_controlled_one_does_not():
    assert [f["id"] for f in check_eligibility(DEFAULT_RULESET, ctx(result_(), reason="other")).failures] == ["SEALED-REASON"]
    assert check_eligibility(DEFAULT_RULESET, ctx(result_(), reason="other", kind="controlled")).ok


def test_an_admin_can_change_the_hours_and_limit_a_rule_to_one_area():
    body = checked_ruleset({**DEFAULT_RULESET, "test_valid_until": {"plusTime": [{"var": "test.sampleTime"}, 24, "hour"]}})
    body["rules"][3]["areas"] = ["A2"]
    assert check_eligibility(body, ctx(result_(30), area="A1")).ok          # the recency rule is A2's only
    assert not check_eligibility(body, ctx(result_(30), area="A2")).ok


def test_a_ruleset_with_invalid_certlogic_is_refused_naming_the_rule():
    bad = {**DEFAULT_RULESET, "rules": [{"id": "X", "zh": "x", "en": "x", "logic": {"foo": [1]}}]}
    with pytest.raises(InvalidInput, match="X"):
        checked_ruleset(bad)


def claims(**kw):
    base = dict(pass_id="ab" * 16, issuer="cityops", issued_at=NOW, valid_from=NOW, expires_at=NOW + timedelta(hours=5),
                name="张三", id_masked="310***********1234", area="A1", directions=("in",), sample_time=NOW)
    return PassClaims(**(base | kw))


@pytest.mark.parametrize("now, area, direction, revoked, reason", [
    (NOW + timedelta(hours=1), "A1", "in", False, "ok"),
    (NOW + timedelta(hours=5), "A1", "in", False, "expired"),
    (NOW - timedelta(hours=1), "A1", "in", False, "not_yet_valid"),
    (NOW + timedelta(hours=1), "A2", "in", False, "wrong_area"),
    (NOW + timedelta(hours=1), "A1", "out", False, "wrong_direction"),
    (NOW + timedelta(hours=1), "A1", "in", True, "revoked"),
])
def test_the_gate_decides_with_a_reason(now, area, direction, revoked, reason):
    d = decide(claims(), now=now, area=area, direction=direction, revoked=revoked)
    assert (d.allow, d.reason) == (reason == "ok", reason)


def test_expiry_is_the_earlier_of_the_period_end_and_the_test_validity():
    assert pass_expiry(NOW + timedelta(days=3), NOW + timedelta(hours=20)) == NOW + timedelta(hours=20)


def test_claims_survive_the_cwt_round_trip():
    c = claims()
    assert PassClaims.from_cwt(c.to_cwt()) == c
