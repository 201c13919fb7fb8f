"""Importing knowledge-base rows: header mapping, dates, row reports with line numbers."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from cityops.domain.errors import InvalidInput
from cityops.domain.kb.importer import derived_id, import_rows, parse_datetime

from .conftest import CST, at

CODES = {"epi.testing": "核酸检测", "epi.certificate": "证明开具", "city.noise": "噪声扰民"}
ZH = ["问题", "答复口径", "类别", "生效日期", "失效日期", "来源", "关键词"]
EN = ["question", "answer", "category", "valid_from", "valid_to", "source", "keywords"]


def run(rows, **kw):
    kw.setdefault("known_categories", CODES)
    return import_rows(rows, **kw)


def test_chinese_headers_give_entries_with_every_field():
    entries, errors = run([
        ZH,
        ["核酸点几点开？", "每日8:00开放。", "epi.testing", "2022-03-01", "2022-03-31", "区卫健委", "采样点、开放时间，几点"],
    ])
    assert errors == []
    (e,) = entries
    assert (e.question, e.answer, e.category, e.source) == ("核酸点几点开？", "每日8:00开放。", "epi.testing", "区卫健委")
    assert e.keywords == ("采样点", "开放时间", "几点")
    assert e.valid_from == at(2022, 3, 1, 0)
    assert e.valid_to == at(2022, 4, 1, 0)  # a date-only 失效日期 is valid through that day
    assert e.version == 1 and e.id == derived_id("核酸点几点开？")


def test_english_headers_and_header_notes_are_understood():
    entries, errors = run([
        ["Question", "ANSWER", "Category", "Valid From", "valid_to"],
        ["q?", "a.", "city.noise", "2022-03-01", ""],
    ])
    assert errors == [] and entries[0].valid_to is None
    entries, errors = run([
        ["*问题（必填）", "答案(必填)", "分类", "生效时间", "备注"],
        ["q?", "a.", "city.noise", "2022/3/1", "无关的列"],
    ])
    assert errors == [] and entries[0].answer == "a."


def test_a_category_may_be_given_by_its_chinese_name():
    entries, errors = run([ZH[:4], ["q?", "a.", "核酸检测", "2022-03-01"], ["q2?", "a.", "EPI.TESTING", "2022-03-01"]])
    assert errors == [] and [e.category for e in entries] == ["epi.testing", "epi.testing"]


@pytest.mark.parametrize(
    "cell,expected",
    [
        ("2022-03-25", datetime(2022, 3, 25, tzinfo=CST)),
        ("2022/3/25", datetime(2022, 3, 25, tzinfo=CST)),
        ("2022.3.25", datetime(2022, 3, 25, tzinfo=CST)),
        ("2022年3月25日", datetime(2022, 3, 25, tzinfo=CST)),
        (" 2022 年 3 月 25 日 ", datetime(2022, 3, 25, tzinfo=CST)),
        ("２０２２年３月２５日", datetime(2022, 3, 25, tzinfo=CST)),
        ("20220325", datetime(2022, 3, 25, tzinfo=CST)),
        ("2022-03-25 08:30", datetime(2022, 3, 25, 8, 30, tzinfo=CST)),
        ("2022/3/25 8:30:15", datetime(2022, 3, 25, 8, 30, 15, tzinfo=CST)),
        ("2022年3月25日8时30分", datetime(2022, 3, 25, 8, 30, tzinfo=CST)),
        ("2022-03-25T00:00:00Z", datetime(2022, 3, 25, 8, 0, tzinfo=CST)),
        ("2022-03-25T08:00:00+08:00", datetime(2022, 3, 25, 8, 0, tzinfo=CST)),
        (datetime(2022, 3, 25, 0, 0), datetime(2022, 3, 25, tzinfo=CST)),  # an Excel date cell
        (date(2022, 3, 25), datetime(2022, 3, 25, tzinfo=CST)),
        (44645, datetime(2022, 3, 25, tzinfo=CST)),  # an Excel serial number
        (44645.5, datetime(2022, 3, 25, 12, tzinfo=CST)),
        (20220325, datetime(2022, 3, 25, tzinfo=CST)),
    ],
)
def test_dates_in_common_formats_are_read_in_the_local_zone(cell, expected):
    got, _ = parse_datetime(cell)
    assert got == expected


@pytest.mark.parametrize("cell", ["2022-02-30", "2022-13-01", "明天", "3月25日", "25/03/2022", "1899-01-01", "abc", 12, True])
def test_bad_dates_are_refused_with_a_reason(cell):
    with pytest.raises(ValueError) as err:
        parse_datetime(cell)
    assert str(err.value)


def test_a_valid_to_with_a_time_is_taken_as_the_exact_end():
    entries, _ = run([ZH[:5], ["q?", "a.", "epi.testing", "2022-03-01", "2022-03-31 12:00"]])
    assert entries[0].valid_to == at(2022, 3, 31, 12)


def test_bad_rows_are_reported_by_line_and_good_rows_are_kept():
    rows = [
        ZH,
        ["好的问题？", "好的答复。", "epi.testing", "2022-03-01", "", "", ""],          # line 2: good
        ["", "没有问题的答复", "epi.testing", "2022-03-01", "", "", ""],                # 3: missing question
        ["q3?", "a.", "epi.nope", "2022-03-01", "", "", ""],                           # 4: unknown category
        ["q4?", "a.", "epi.testing", "三月一日", "", "", ""],                           # 5: bad date
        ["q5?", "a.", "epi.testing", "2022-03-10", "2022-03-01", "", ""],             # 6: valid_to before
        [None, None, None, None, None, None, None],                                   # 7: empty, skipped
        ["q7?", "a" * 4001, "city.noise", "2022-03-01", "", "", ""],                  # 8: answer too long
        ["q8?", "", "", "", "", "", ""],                                              # 9: three problems
        ["另一个好问题？", "好。", "证明开具", "2022年3月1日", "2022/3/31", "", ""],       # 10: good
    ]
    entries, errors = run(rows)
    assert [e.question for e in entries] == ["好的问题？", "另一个好问题？"]
    assert [(e.line, e.field) for e in errors] == [
        (3, "question"), (4, "category"), (5, "valid_from"), (6, "valid_to"), (8, "answer"),
        (9, "answer"), (9, "category"), (9, "valid_from"),
    ]
    by_line = {e.line: e for e in errors}
    assert "未知类别" in by_line[4].reason and "epi.nope" in by_line[4].reason and by_line[4].value == "epi.nope"
    assert "unknown category" in by_line[4].reason
    assert "missing question" in by_line[3].reason
    assert "bad date" in by_line[5].reason
    assert "valid_to before valid_from" in by_line[6].reason
    assert "4000" in by_line[8].reason
    assert str(by_line[4]).startswith("第4行 类别:")


def test_a_title_row_above_the_header_is_skipped_and_lines_still_count_from_the_top():
    rows = [["滨江示范区防疫口径汇总表（3月28日）"], [], ["序号"] + ZH[:4], [1, "q?", "a.", "epi.testing", "2022-03-01"],
            [2, "q2?", "a.", "bad", "2022-03-01"], [3]]
    entries, errors = run(rows)
    assert len(entries) == 1
    assert [(e.line, e.field) for e in errors] == [(5, "category")]


def test_start_line_shifts_the_reported_lines():
    _entries, errors = run([ZH[:4], ["", "a.", "epi.testing", "2022-03-01"]], start_line=10)
    assert errors[0].line == 11


def test_no_header_in_the_first_five_rows_is_an_error_for_the_whole_file():
    rows = [["标题"], ["说明"], ["a"], ["b"], ["c"], ZH]
    with pytest.raises(InvalidInput) as err:
        run(rows)
    assert err.value.field == "header"
    with pytest.raises(InvalidInput):
        run([])


def test_a_missing_required_column_is_named():
    with pytest.raises(InvalidInput) as err:
        run([["问题", "答复口径", "生效日期"], ["q?", "a.", "2022-03-01"]])
    assert err.value.field == "category" and "类别" in err.value.message


def test_without_a_valid_from_column_a_default_may_be_given():
    start = datetime(2022, 3, 28, 9, tzinfo=timezone.utc)
    entries, errors = run([["问题", "答案", "类别"], ["q?", "a.", "epi.testing"]], default_valid_from=start)
    assert errors == [] and entries[0].valid_from == start


def test_ids_and_versions_from_the_file_and_numbered_when_absent():
    rows = [
        ["编号", "版本", "问题", "答复口径", "类别", "生效日期"],
        ["KB-1", "2", "q?", "新口径", "epi.testing", "2022-03-28"],
        ["KB-1", "1", "q?", "旧口径", "epi.testing", "2022-03-01"],
        ["KB-1", "v2", "q?", "重复", "epi.testing", "2022-03-29"],   # duplicate of line 2
        ["KB-1", "", "q?", "第三版", "epi.testing", "2022-04-05"],   # numbered after the explicit ones
        ["KB-2", "x", "q?", "a.", "epi.testing", "2022-03-01"],      # bad version
        ["", "", "同一个问题？", "一", "epi.testing", "2022-03-01"],
        ["", "", "同一个问题?", "二", "epi.testing", "2022-03-05"],   # same question, other punctuation
    ]
    entries, errors = run(rows)
    assert [(e.line, e.field) for e in errors] == [(4, "version"), (6, "version")]
    assert "line 2" in errors[0].reason
    got = [(e.id, e.version, e.answer) for e in entries]
    assert got[:3] == [("KB-1", 2, "新口径"), ("KB-1", 1, "旧口径"), ("KB-1", 3, "第三版")]
    (a, b) = got[3:]
    assert a[0] == b[0] and (a[1], b[1]) == (1, 2)


def test_numbers_read_from_a_spreadsheet_are_plain_text():
    entries, errors = run([["编号", "版本", "问题", "答案", "类别", "生效日期"],
                           [101, 1.0, "q?", 12345.0, "epi.testing", datetime(2022, 3, 1)]])
    assert errors == []
    assert (entries[0].id, entries[0].version, entries[0].answer) == ("101", 1, "12345")


def test_another_time_zone_may_be_chosen():
    entries, _ = run([ZH[:4], ["q?", "a.", "epi.testing", "2022-03-01"]], tz="UTC")
    assert entries[0].valid_from == datetime(2022, 3, 1, tzinfo=timezone.utc)
    assert entries[0].valid_from - at(2022, 3, 1, 0) == timedelta(hours=8)


def test_short_rows_and_rows_of_other_types_do_not_break_the_import():
    entries, errors = run([ZH, ["q?"], ("q2?", "a.", "epi.testing", "2022-03-01"), ["q3?", "a.", "epi.testing", "2022-03-01", None]])
    assert len(entries) == 2
    assert {e.field for e in errors if e.line == 2} == {"answer", "category", "valid_from"}
