"""The community registry's pure rules: ledger and results rows, the header map, classification,
notice templates."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cityops.adapters.community.synth import id_number
from cityops.domain.community import notices as N
from cityops.domain.community import rounds as R
from cityops.domain.community.ledger import BuildingIndex, BuildingRef, building_number, parse_ledger
from cityops.domain.community.results import parse_results
from cityops.domain.errors import InvalidInput

NOW = datetime(2022, 4, 3, 0, 0, tzinfo=timezone.utc)
IDX = BuildingIndex([BuildingRef(1, 10, "望潮小区", "1"), BuildingRef(2, 10, "望潮小区", "2"), BuildingRef(3, 10, "康健公寓", "2")])


def h(number: str) -> str:
    return "h:" + number


def test_building_numbers_are_read_the_ways_committees_write_them():
    assert [building_number(x) for x in ("12号楼", "12幢", "１２栋", "12", "12号")] == ["12"] * 5


def test_a_two_row_merged_header_under_a_title_row_is_found():
    rows = [["望潮居委居民台账", None, None, None, None],
            ["住址", None, None, "姓名", "身份证号（必填）"],
            ["小区", "楼号", "室号", None, None],
            ["望潮小区", "1号楼", "101", "张三", id_number(None, 1)]]
    out = parse_ledger(rows, hash_id=h, buildings=IDX, committees={}, default_committee=10)
    assert out.errors == [] and out.records[0].building_id == 1 and out.records[0].room == "101"
    assert out.records[0].id_hash == "h:" + id_number(None, 1) and "*" in out.records[0].id_masked


def test_a_building_number_in_two_compounds_needs_the_compound():
    rows = [["楼号", "姓名", "身份证号"], ["2", "张三", id_number(None, 1)], ["1", "李四", id_number(None, 2)]]
    out = parse_ledger(rows, hash_id=h, buildings=IDX, committees={}, default_committee=10)
    assert [e.code for e in out.errors] == ["ambiguous_building"] and len(out.records) == 1


def test_wrong_dates_tags_and_phones_are_each_reported_with_their_line():
    rows = [["楼号", "姓名", "身份证号", "手机", "特殊人群", "入住日期"],
            ["1", "张三", id_number(None, 1), "12345", "独居老人、飞行员", "2022-02-30"]]
    out = parse_ledger(rows, hash_id=h, buildings=IDX, committees={}, default_committee=10)
    assert sorted(e.code for e in out.errors) == ["bad_date", "bad_phone", "bad_tag"]
    assert all(e.line == 2 for e in out.errors) and out.records == []


def test_a_results_row_needs_a_time_of_day_and_not_in_the_future():
    rows = [["证件号码", "采样时间", "结果", "管码"],
            [id_number(None, 1), "2022-04-02", "阴性", "T1"],
            [id_number(None, 2), "2022-04-09 08:00", "阴性", "T1"],
            [id_number(None, 3), "2022年4月2日8时30分", "阳性", "T1"],
            [id_number(None, 3), "2022-04-02 08:30", "阳性", "T1"]]
    out = parse_results(rows, hash_id=h, now=NOW)
    assert [(e.line, e.code) for e in out.errors] == [(2, "bad_date"), (3, "bad_date")]
    assert len(out.records) == 1 and out.records[0].result == "positive" and out.duplicates_in_file == 1


@pytest.mark.parametrize("status, tags, tested, noted, expected", [
    ("moved_out", (), True, False, R.NOT_COUNTED),
    ("present", (), True, False, R.TESTED),
    ("away", (), True, False, R.TESTED),          # a result counts even for someone marked away
    ("away", (), False, False, R.EXEMPTED),
    ("present", ("bedridden",), False, False, R.EXEMPTED),
    ("present", ("elderly_alone",), False, False, R.UNTESTED),
    ("present", (), False, True, R.EXEMPTED),
])
def test_who_counts_as_tested_exempted_or_untested(status, tags, tested, noted, expected):
    assert R.classify(status, tags, tested, noted) == expected


def test_a_round_must_end_after_it_starts_and_name_its_buildings():
    start = NOW
    with pytest.raises(InvalidInput):
        R.check_round(R.RoundSpec("轮", 1, start, start))
    with pytest.raises(InvalidInput):
        R.check_round(R.RoundSpec("轮", 1, start, start.replace(day=4), scope=R.BUILDINGS))


def test_a_template_names_its_fields_and_a_missing_one_is_an_error():
    t = N.Template("x", "x", "通知", "{name}您好，请于{time}到{place}采样")
    assert t.fields() == ("name", "time", "place")
    assert N.sender_fields_missing(t, {"time": "8点"}) == ["place"]
    with pytest.raises(InvalidInput):
        N.check_template(N.Template("x", "x", "s", "{oops"))
    assert N.render(t, {"time": "8点", "place": "广场"}, {"name": "张*"})[1] == "张*您好，请于8点到广场采样"
