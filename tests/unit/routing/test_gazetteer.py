from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityops.domain.errors import InvalidInput
from cityops.domain.org import Unit, UnitKind
from cityops.domain.routing import Area, Gazetteer, GazetteerEntry, areas_from_units

from .conftest import ENTRIES


# ---- normalisation variants reach the same committee -----------------------------------

@pytest.mark.parametrize("address", [
    "望潮路88弄3号502室",
    "望潮路８８弄３号５０２室",
    "望潮路八十八弄3号502室",
    "望潮路88号",
    "望潮路88弄12支弄3号",
    "望潮88弄3号",                       # 路 left out
    "望潮路 88 弄",
    "滨江示范区望潮路街道望潮路88弄3号",   # the street's name holds the road's name
])
def test_variants_of_one_address_resolve_alike(gaz, address):
    r = gaz.resolve(address)
    assert (r.committee_code, r.method, r.house_number) == ("A2", "road_number", 88)
    assert r.street_code == "SA"


# ---- road + number: ranges and parity ------------------------------------------------

@pytest.mark.parametrize("number, committee", [(1, "A1"), (87, "A1"), (99, "A1"), (2, "A2"), (98, "A2"),
                                               (100, "A3"), (150, "A3"), (199, "A3")])
def test_a_road_is_split_by_number_range_and_parity(gaz, number, committee):
    r = gaz.resolve(f"望潮路{number}号")
    assert r.committee_code == committee
    assert r.method == "road_number"
    assert r.entry is not None and r.entry.covers(number)
    assert r.confidence >= 0.9


def test_a_road_in_one_committee_needs_no_range(gaz):
    assert gaz.resolve("娄湾公路1234号").committee_code == "V1"
    assert gaz.resolve("娄湾公路").committee_code == "V1"   # road only, but only one committee
    assert gaz.resolve("娄湾公路").method == "road_only"


def test_a_number_outside_every_range_falls_back_to_the_road(gaz):
    r = gaz.resolve("望潮路500号")
    assert r.method == "road_only" and r.ambiguous
    assert set(r.candidate_codes) == {"A1", "A2", "A3"}
    assert "number_out_of_range" in r.notes


def test_a_number_claimed_by_two_segments_is_ambiguous(gaz):
    r = gaz.resolve("东湖路45号")
    assert r.committee_code is None and r.ambiguous and r.method == "road_number"
    assert set(r.candidate_codes) == {"B1", "V1"}
    assert r.street_code == "SB"          # both lie in 东湖镇: the street is still known
    assert r.confidence < 0.5


# ---- road only, ambiguity, intersections --------------------------------------------

def test_a_road_spanning_several_committees_is_ambiguous_with_alternatives(gaz):
    r = gaz.resolve("望潮路边上的垃圾箱")
    assert not r.resolved and r.ambiguous
    assert r.method == "road_only"
    assert sorted(r.candidate_codes) == ["A1", "A2", "A3"]
    assert r.street_code == "SA"
    assert all(c.method == "road_only" for c in r.alternatives)


def test_the_corner_of_two_roads_is_the_committee_they_share(gaz):
    r = gaz.resolve("近望潮路与青年路路口")
    assert r.committee_code == "A1"
    assert r.method == "road_only" and "intersection" in r.notes


def test_roads_across_streets_without_a_shared_committee_stay_ambiguous(gaz):
    r = gaz.resolve("望潮路和东湖路交叉口")
    assert r.ambiguous and set(r.candidate_codes) == {"A1", "A2", "A3", "B1", "V1"}
    assert r.street_code is None


# ---- compounds and aliases -----------------------------------------------------------

def test_a_compound_is_found_by_its_name_and_by_its_alias(gaz):
    by_name = gaz.resolve("滨江花园12号楼")
    by_alias = gaz.resolve("滨江花苑12号楼")
    assert by_name.committee_code == by_alias.committee_code == "A2"
    assert by_name.method == by_alias.method == "compound"
    assert by_name.entry is by_alias.entry and by_name.entry.name == "滨江花园"
    assert "alias" in by_alias.notes and by_alias.confidence < by_name.confidence


def test_the_longest_compound_name_wins(gaz):
    assert gaz.resolve("滨江花园二期12号楼").committee_code == "A3"
    assert gaz.resolve("滨江花苑（二期）十二号楼").committee_code == "A3"


def test_a_village_group_address_resolves_to_the_village(gaz):
    r = gaz.resolve("东湖镇幸福村5组")
    assert (r.committee_code, r.street_code, r.method) == ("V1", "SB", "compound")


def test_a_compound_beats_road_and_number(gaz):
    r = gaz.resolve("望潮路88弄3号（滨江花园）")
    assert r.committee_code == "A2" and r.method == "compound"
    assert r.confidence > 0.95                      # the number agrees: a little more sure
    assert r.alternatives == ()


def test_when_number_and_compound_disagree_the_compound_wins_with_less_confidence(gaz):
    r = gaz.resolve("望潮路150号滨江花园")           # 150 lies in A3, 滨江花园 in A2
    assert r.committee_code == "A2"
    assert r.confidence < 0.7
    assert "disagrees:road_number" in r.notes
    assert r.candidate_codes == ("A3",)


def test_two_compounds_of_one_name_are_told_apart_by_the_road(gaz):
    assert gaz.resolve("幸福小区").ambiguous
    assert set(gaz.resolve("幸福小区").candidate_codes) == {"A1", "B1"}
    r = gaz.resolve("青年路幸福小区")
    assert r.committee_code == "B1" and "narrowed_by:road" in r.notes


def test_two_compounds_of_one_name_are_told_apart_by_the_street(gaz):
    r = gaz.resolve("东湖镇幸福小区")
    assert r.committee_code == "B1"


def test_a_compound_with_a_number_range_on_its_road_is_found_by_number(gaz):
    r = gaz.resolve("观海路410号")
    assert r.committee_code == "A3" and r.method == "road_number"
    assert r.entry is not None and r.entry.name == "观海公寓"


def test_committee_names_from_the_org_tree_resolve(gaz):
    assert gaz.resolve("听涛居委").committee_code == "A1"
    assert gaz.resolve("听涛居委会门口").committee_code == "A1"
    assert gaz.resolve("观海居民区").committee_code == "A3"


def test_a_street_alone_gives_the_street_only(gaz):
    r = gaz.resolve("东湖镇")
    assert r.committee_code is None and r.street_code == "SB" and r.method == "street"


# ---- polygons --------------------------------------------------------------------------

def test_a_point_inside_a_boundary_resolves_by_polygon(gaz):
    r = gaz.resolve("", point=(121.405, 31.205))
    assert (r.committee_code, r.method) == ("A1", "polygon")
    assert gaz.resolve("", point=(121.425, 31.205)).committee_code == "B1"


def test_a_point_outside_every_boundary_resolves_nothing(gaz):
    assert not gaz.resolve("", point=(121.415, 31.205)).resolved
    assert not gaz.resolve("", point=(float("nan"), 31.2)).resolved


def test_a_polygon_beats_a_bare_road_and_breaks_its_tie(gaz):
    r = gaz.resolve("望潮路", point=(121.405, 31.205))
    assert r.committee_code == "A1" and r.method == "polygon"


def test_a_number_beats_a_polygon_that_disagrees(gaz):
    r = gaz.resolve("望潮路88号", point=(121.425, 31.205))   # the point lies in B1
    assert r.committee_code == "A2" and r.method == "road_number"
    assert "disagrees:polygon" in r.notes and r.candidate_codes == ("B1",)


def test_locate_lists_every_polygon_holding_a_point(gaz):
    assert [e.committee_code for e in gaz.locate(121.405, 31.205)] == ["A1"]
    assert gaz.locate(0.0, 0.0) == ()


# ---- robustness ------------------------------------------------------------------------

@pytest.mark.parametrize("address", ["", "   ", "hello world", "🙂🙂", "路路路路", "88号", "望" * 5000])
def test_odd_addresses_resolve_to_nothing_without_raising(gaz, address):
    r = gaz.resolve(address)
    assert not r.resolved and r.confidence <= 0.5


def test_an_empty_gazetteer_resolves_nothing():
    assert not Gazetteer([]).resolve("望潮路88号").resolved


def test_a_whole_request_text_is_a_valid_address(gaz):
    r = gaz.resolve("巡查发现望潮路88号门口窨井盖缺失，已设临时围挡。")
    assert r.committee_code == "A2"


@pytest.mark.parametrize("kw, field", [
    (dict(kind="river"), "kind"),
    (dict(parity="both"), "parity"),
    (dict(number_from=10, number_to=5), "number_from"),
    (dict(name=" "), "name"),
    (dict(committee_code=""), "committee_code"),
])
def test_malformed_entries_are_refused(kw, field):
    base = dict(kind="road", name="望潮路", committee_code="A1")
    base.update(kw)
    with pytest.raises(InvalidInput) as err:
        GazetteerEntry(**base)
    assert err.value.field == field


def test_areas_come_from_the_org_tree():
    units = [
        Unit(1, "BJ", "滨江示范区", UnitKind.DISTRICT, None, "/1/"),
        Unit(2, "BJ-S01", "望潮路街道", UnitKind.STREET, 1, "/1/2/"),
        Unit(3, "BJ-S01-C01", "望潮居委", UnitKind.COMMITTEE, 2, "/1/2/3/"),
        Unit(4, "BJ-S01-C02", "渔港村", UnitKind.VILLAGE, 2, "/1/2/4/"),
        Unit(5, "BJ-WJW", "区卫健委", UnitKind.DEPARTMENT, 1, "/1/5/"),
    ]
    areas = areas_from_units(units)
    assert areas == (Area("BJ-S01", "望潮路街道", "street"),
                     Area("BJ-S01-C01", "望潮居委", "committee", "BJ-S01"),
                     Area("BJ-S01-C02", "渔港村", "committee", "BJ-S01"))
    g = Gazetteer([GazetteerEntry("road", "渔港路", "BJ-S01-C02")], areas)
    assert g.resolve("渔港路1号").street_code == "BJ-S01"
    assert g.street_of("BJ-S01-C01") == "BJ-S01"


def test_the_gazetteer_keeps_its_entries(gaz):
    assert gaz.entries == tuple(ENTRIES)
    assert gaz.committees() == {"A1", "A2", "A3", "B1", "V1"}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("望潮路青年东湖镇幸福村小区滨江花园苑二期十八弄号组室0123456789８（）-# ")),
               max_size=40))
def test_any_mix_of_address_words_resolves_without_raising(gaz, text):
    r = gaz.resolve(text)
    assert 0.0 <= r.confidence <= 1.0
    assert r.resolved != r.ambiguous or (not r.resolved and not r.ambiguous)
    assert r.committee_code is None or r.committee_code in gaz.committees() | {"A1", "A2", "A3", "B1", "V1"}
