"""The CertLogic evaluator passes the official specification test suite (../shared/data/certlogic-testsuite).

Not run: the four assertions the suite itself marks "skip" (ins-with-nulls: ``in`` with a null
right-hand side; the specification makes that an error, which is what we do, while the skipped
assertions propose ``false``). The "patched reduce" file, marked skip as a whole because it needs
the announced ``data`` extension, is run: we implement the extension."""
import json
from datetime import datetime
from pathlib import Path

import pytest

from cityops.domain.passes.certlogic import CertLogicError, evaluate, format_date_time, validate

SUITE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "certlogic-testsuite"


def cases():
    for f in sorted(SUITE.glob("*.json")):
        d = json.loads(f.read_text(encoding="utf-8"))
        for c in d["cases"]:
            for i, a in enumerate(c["assertions"]):
                marks = [pytest.mark.skip(reason="marked skip in the suite: in with null rhs is an error per spec")] \
                    if a.get("directive") == "skip" else []
                yield pytest.param(a.get("certLogicExpression", c.get("certLogicExpression")), a["data"],
                                   a["expected"], id=f"{f.stem}:{c['name'][:40]}:{i}", marks=marks)


def plain(v):
    if isinstance(v, datetime):
        return format_date_time(v)
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


@pytest.mark.skipif(not SUITE.is_dir(), reason="the CertLogic test suite is not there")
@pytest.mark.parametrize("expr, data, expected", list(cases()) if SUITE.is_dir() else [])
def test_the_evaluator_gives_the_suites_expected_value(expr, data, expected):
    got = plain(evaluate(expr, data))
    assert got == expected and type(got) is type(expected)


def test_an_unknown_operation_or_a_type_mismatch_is_an_error_not_a_value():
    with pytest.raises(CertLogicError):
        evaluate({"nope": [1]}, {})
    with pytest.raises(CertLogicError):
        evaluate({">": [1, "2"]}, {})
    with pytest.raises(CertLogicError):
        evaluate({"in": [1, None]}, {})
    assert validate({"plusTime": [{"var": "x"}, "1", "week"]}) != []


def test_plus_time_follows_javascripts_date_offsets_on_leap_days():
    assert format_date_time(evaluate({"plusTime": ["2020-02-29", 1, "year"]}, {})) == "2021-03-01T00:00:00.000Z"
    assert format_date_time(evaluate({"plusTime": ["2020-02-29", 1, "month"]}, {})) == "2020-03-29T00:00:00.000Z"
    assert format_date_time(evaluate({"plusTime": ["2021-06-01T08:00:00+08:00", 48, "hour"]}, {})) == \
        "2021-06-03T00:00:00.000Z"
