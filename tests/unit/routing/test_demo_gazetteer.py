"""The demo gazetteer covers every address the demo seeder writes on its orders."""
from __future__ import annotations

import random
import re
from datetime import datetime, timezone

import pytest

from cityops.app.demo.plan import _Planner

PER_COMMITTEE = 120


@pytest.fixture(scope="module")
def planner(demo_spec):
    _streets, committees = demo_spec
    return _Planner(random.Random(20220325), datetime(2022, 3, 25, tzinfo=timezone.utc), "Asia/Shanghai", committees)


def _addresses(planner, committees):
    for c in committees:
        for _ in range(PER_COMMITTEE):
            yield c, planner._address(c, planner._slots(c))


def test_every_seeder_address_resolves_to_the_intended_committee(planner, demo_spec, demo_gaz):
    _streets, committees = demo_spec
    wrong = []
    for c, address in _addresses(planner, committees):
        r = demo_gaz.resolve(address)
        if (r.committee_code, r.street_code) != (c.code, c.street.code) or r.confidence < 0.9:
            wrong.append((address, c.code, r.committee_code, r.method, r.confidence, r.notes))
    assert wrong == []


def test_the_road_and_lane_alone_give_the_same_committee(planner, demo_spec, demo_gaz):
    """Without the compound in brackets, the road's number ranges must still place the address."""
    _streets, committees = demo_spec
    wrong = []
    for c, address in _addresses(planner, [c for c in committees if not c.village]):
        bare = re.sub(r"（.*?）", "", address)
        r = demo_gaz.resolve(bare)
        if (r.committee_code, r.method) != (c.code, "road_number"):
            wrong.append((bare, c.code, r.committee_code, r.method))
    assert wrong == []


def test_every_compound_and_village_of_the_seeder_is_in_the_gazetteer(demo_spec, demo_gaz):
    _streets, committees = demo_spec
    for c in committees:
        for compound in c.compounds:
            r = demo_gaz.resolve(compound)
            assert (r.committee_code, r.method) == (c.code, "compound"), compound


def test_road_mentions_in_order_texts_land_in_the_intended_street(planner, demo_spec, demo_gaz):
    """Texts like 巡查发现{road}{no}号门口窨井盖缺失 pick any road of the committee's street."""
    _streets, committees = demo_spec
    for c in committees:
        for _ in range(20):
            s = planner._slots(c)
            r = demo_gaz.resolve(f"巡查发现{s['road']}{s['no']}号门口窨井盖缺失，已设临时围挡。")
            assert r.street_code == c.street.code and r.method == "road_number", (s["road"], s["no"])


def test_the_demo_gazetteer_has_the_brief_s_examples(demo_gaz):
    assert demo_gaz.resolve("滨江花园二期12号楼").committee_code == "BJ-S01-C06"
    assert demo_gaz.resolve("滨江花苑3号楼").committee_code == "BJ-S01-C05"
    assert demo_gaz.resolve("东湖镇幸福村5组").committee_code == "BJ-S02-C07"
    assert demo_gaz.resolve("近望潮路与青年路路口").committee_code == "BJ-S01-C04"
    assert demo_gaz.resolve("望潮路八十八弄３号502室").committee_code == "BJ-S01-C01"   # even side, low numbers
    assert demo_gaz.resolve("望潮路89弄").committee_code == "BJ-S01-C04"               # odd side
    r = demo_gaz.resolve("幸福小区")
    assert r.ambiguous and set(r.candidate_codes) == {"BJ-S03-C04", "BJ-S06-C01"}
    assert demo_gaz.resolve("春晓路幸福小区").committee_code == "BJ-S06-C01"


def test_the_demo_polygons_hold_the_lockdown_committees(demo_gaz):
    codes = {e.committee_code for e in demo_gaz.entries if e.kind == "polygon"}
    assert {"BJ-S02-C03", "BJ-S02-C04"} <= codes
    for entry in (e for e in demo_gaz.entries if e.kind == "polygon"):
        lng = sum(p[0] for p in entry.polygon) / len(entry.polygon)
        lat = sum(p[1] for p in entry.polygon) / len(entry.polygon)
        r = demo_gaz.resolve("", point=(lng, lat))
        assert (r.committee_code, r.method) == (entry.committee_code, "polygon")
