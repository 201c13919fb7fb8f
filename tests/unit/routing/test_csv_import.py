from __future__ import annotations

from cityops.domain.routing import Gazetteer, parse_gazetteer_csv, parse_polygon

KNOWN = {"A1", "A2", "A3", "B1", "V1"}

GOOD = """类型,名称,别名,道路,起号,止号,单双,居委编码,经纬度边界
道路,望潮路,,,1,99,单,A1,
道路,望潮路,,,2,98,双,A2,
道路,望潮路,,,100,199,,A3,
小区,滨江花园,滨江花苑、滨江家园;滨江新苑，滨江小筑,望潮路,,,,A2,
村,幸福村,,,,,,V1,
边界,A1 边界,,,,,,A1,"121.40,31.20;121.41,31.20;121.41,31.21;121.40,31.21;121.40,31.20"
"""


def test_a_good_file_gives_entries_and_no_errors():
    entries, errors = parse_gazetteer_csv(GOOD, known_committees=KNOWN)
    assert errors == []
    assert [e.kind for e in entries] == ["road", "road", "road", "compound", "compound", "polygon"]
    road = entries[0]
    assert (road.name, road.number_from, road.number_to, road.parity, road.committee_code, road.line) == \
        ("望潮路", 1, 99, "odd", "A1", 2)
    assert entries[2].parity == "all"
    assert entries[3].aliases == ("滨江花苑", "滨江家园", "滨江新苑", "滨江小筑") and entries[3].road == "望潮路"
    assert entries[5].polygon == ((121.40, 31.20), (121.41, 31.20), (121.41, 31.21), (121.40, 31.21))
    g = Gazetteer(entries)
    assert g.resolve("望潮路88弄").committee_code == "A2"
    assert g.resolve("滨江小筑").committee_code == "A2"
    assert g.resolve("", point=(121.405, 31.205)).committee_code == "A1"


def test_english_headers_in_another_order_work_too():
    text = ("committee,type,name,from,to,parity\n"
            "A1,road,Wangchao Rd,1,99,odd\n"
            "A2,road,望潮路,2,98,even\n"
            "A3,compound,观海公寓,,,all\n")
    entries, errors = parse_gazetteer_csv(text, known_committees=KNOWN)
    assert errors == [] and [e.committee_code for e in entries] == ["A1", "A2", "A3"]
    assert entries[1].parity == "even"


def test_bilingual_headers_and_a_byte_order_mark_are_accepted():
    text = "\ufeff类型/type,名称(name),居委编码（committee）\n道路,望潮路,A1\n"
    entries, errors = parse_gazetteer_csv(text)
    assert errors == [] and entries[0].name == "望潮路"


def test_a_gbk_file_decoded_by_the_caller_parses():
    raw = GOOD.encode("gbk")
    entries, errors = parse_gazetteer_csv(raw.decode("gbk"), known_committees=KNOWN)
    assert errors == [] and len(entries) == 6


def test_an_iterable_of_lines_is_accepted():
    entries, errors = parse_gazetteer_csv(iter(GOOD.splitlines(keepends=True)), known_committees=KNOWN)
    assert errors == [] and len(entries) == 6


BAD = """类型,名称,别名,起号,止号,单双,居委编码,经纬度边界
道路,望潮路,,1,99,单,A1,
道路,望潮路,,1,99,单,ZZ9,
道路,望潮路,,200,100,全,A1,
道路,望潮路,,1,99,奇,A1,
小区,,,,,,A1,
边界,A1 边界,,,,,A1,"121.40,31.20;121.41"
边界,A1 边界,,,,,A1,"121.40,31.20;abc,31.21;121.41,31.21"
河流,黄浦江,,,,,A1,
道路,望潮路,,1a,99,单,A1,

# a comment line
道路,青年路,,,,,A3,
道路,望潮路,,200,100,双,ZZ9,
"""


def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_kept():
    entries, errors = parse_gazetteer_csv(BAD, known_committees=KNOWN)
    assert [(e.name, e.line) for e in entries] == [("望潮路", 2), ("青年路", 13)]
    got = [(e.line, e.code, e.field) for e in errors]
    assert got == [
        (3, "unknown_committee", "committee"),
        (4, "from_gt_to", "from"),
        (5, "bad_parity", "parity"),
        (6, "empty_name", "name"),
        (7, "bad_polygon", "polygon"),
        (8, "bad_polygon", "polygon"),
        (9, "bad_type", "type"),
        (10, "bad_number", "from"),
        (14, "unknown_committee", "committee"),   # every problem of a row is reported
        (14, "from_gt_to", "from"),
    ]


def test_row_reasons_read_in_chinese_and_english():
    _, errors = parse_gazetteer_csv(BAD, known_committees=KNOWN)
    unknown = errors[0]
    assert "ZZ9" in unknown.message_zh and "居委编码" in unknown.message_zh
    assert "unknown committee code 'ZZ9'" in unknown.message_en
    assert unknown.message.startswith("第3行：") and "line 3:" in unknown.message
    assert "起号 200 大于止号 100" in errors[1].message_zh
    assert "单/双/全" in errors[2].message_zh and "odd/even/all" in errors[2].message_en


def test_without_known_codes_any_committee_code_is_accepted():
    entries, errors = parse_gazetteer_csv("类型,名称,居委编码\n道路,望潮路,ZZ9\n")
    assert errors == [] and entries[0].committee_code == "ZZ9"


def test_a_missing_required_column_is_reported_on_the_header_line():
    entries, errors = parse_gazetteer_csv("类型,名称,起号\n道路,望潮路,1\n")
    assert entries == []
    assert [(e.line, e.code) for e in errors] == [(1, "missing_column")]
    assert "居委编码" in errors[0].message_zh and "committee" in errors[0].message_en


def test_an_empty_file_is_reported():
    assert parse_gazetteer_csv("")[1][0].code == "empty_file"
    assert parse_gazetteer_csv([])[1][0].code == "empty_file"


def test_a_compound_with_a_range_needs_its_road():
    _, errors = parse_gazetteer_csv("类型,名称,起号,止号,居委编码\n小区,观海公寓,1,9,A1\n")
    assert [e.code for e in errors] == ["range_without_road"]


def test_tab_separated_text_is_accepted():
    entries, errors = parse_gazetteer_csv("type\tname\tcommittee\tpolygon\npolygon\tb\tA1\t1,1;2,1;2,2\n")
    assert errors == [] and entries[0].polygon == ((1.0, 1.0), (2.0, 1.0), (2.0, 2.0))


def test_polygon_text_forms():
    assert parse_polygon("121.47,31.23;121.48,31.23;121.48,31.24") == (
        (121.47, 31.23), (121.48, 31.23), (121.48, 31.24))
    assert parse_polygon("121.47 31.23；121.48 31.23；121.48 31.24") is not None   # full-width ；
    assert parse_polygon("121.47,31.23;121.48,31.23") is None                      # two points
    assert parse_polygon("1,1;1,1;1,1;2,2") is None                                # two distinct points
    assert parse_polygon("200,31;121,31;121,32") is None                           # lng out of range
    assert parse_polygon("1,2,3;1,1;2,2") is None
