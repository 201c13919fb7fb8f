"""Reading knowledge-base files: CSV in UTF-8 (BOM or not) or GBK, XLSX with a title row, the demo KB."""
from __future__ import annotations

from datetime import datetime

import pytest
from openpyxl import Workbook

from cityops.adapters.kb_files import import_file, read_file, read_rows
from cityops.adapters.sheets import decode_text
from cityops.domain.errors import InvalidInput

from .conftest import NOW, at

CSV_TEXT = (
    "问题,答复口径,类别,生效日期,失效日期,来源,关键词\r\n"
    "老人行动不便怎么做核酸？,请联系居委会登记，安排上门采样。,epi.testing,2022/3/14,,区卫健委,\"上门采样,老人\"\r\n"
    "误工证明怎么开？,向居委会申请开具封控情况证明。,证明开具,2022年3月20日,,区人社局,误工证明\r\n"
    "坏的一行,答复,不存在的类别,2022-03-01,,,\r\n"
    "日期不对,答复,epi.testing,2022-02-30,,,\r\n"
)


def test_a_gbk_csv_is_detected_and_imported(categories):
    entries, errors = import_file(CSV_TEXT.encode("gbk"), "口径.csv", known_categories=categories)
    assert [e.question for e in entries] == ["老人行动不便怎么做核酸？", "误工证明怎么开？"]
    assert entries[1].category == "epi.certificate"
    assert entries[0].keywords == ("上门采样", "老人")
    assert [(e.line, e.field) for e in errors] == [(4, "category"), (5, "valid_from")]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_utf8_with_or_without_bom_and_gb18030_read_the_same(categories, encoding):
    entries, errors = import_file(CSV_TEXT.encode(encoding), "kb.csv", known_categories=categories)
    assert len(entries) == 2 and len(errors) == 2
    assert entries[0].question == "老人行动不便怎么做核酸？"  # the BOM did not stick to the first header


def test_the_encoding_is_reported():
    assert decode_text("问题".encode("utf-8-sig"))[1] == "utf-8-sig"
    assert decode_text("问题".encode("utf-8"))[1] == "utf-8"
    assert decode_text("问题".encode("gbk"))[1] == "gbk"


def test_a_tab_separated_file_is_read_too(categories):
    text = CSV_TEXT.replace(",", "\t").replace('"上门采样\t老人"', "上门采样、老人")
    entries, _ = import_file(text.encode("utf-8"), "kb.txt", known_categories=categories)
    assert entries[0].keywords == ("上门采样", "老人")


def test_a_multiline_answer_in_quotes_is_one_cell(categories):
    text = '问题,答复口径,类别,生效日期\n"q?","第一行\n第二行",epi.testing,2022-03-01\n'
    entries, errors = import_file(text.encode("utf-8"), "kb.csv", known_categories=categories)
    assert errors == [] and entries[0].answer == "第一行\n第二行"


def _xlsx(path, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    ws.merge_cells("A1:E1")
    wb.save(path)
    return path.read_bytes()


def test_an_xlsx_with_a_title_row_reports_excel_row_numbers(tmp_path, categories):
    data = _xlsx(tmp_path / "kb.xlsx", [
        ["滨江示范区疫情防控口径汇总（3月28日版）"],
        ["问题", "答复口径", "类别", "生效日期", "失效日期"],
        ["核酸点几点开？", "每日8:00开放。", "epi.testing", datetime(2022, 3, 1), None],
        [None, None, None, None, None],
        ["q2?", "a.", "epi.nope", datetime(2022, 3, 1), None],
        ["q3?", "a.", "核酸检测", "2022/3/25", datetime(2022, 3, 20)],
        ["截止当天有效", "a.", "epi.testing", datetime(2022, 3, 1, 0, 0), datetime(2022, 3, 31, 0, 0)],
    ])
    entries, errors = import_file(data, "kb.xlsx", known_categories=categories)
    assert [(e.line, e.field) for e in errors] == [(5, "category"), (6, "valid_to")]
    assert [e.question for e in entries] == ["核酸点几点开？", "截止当天有效"]
    assert entries[0].valid_from == at(2022, 3, 1, 0)
    assert entries[1].valid_to == at(2022, 4, 1, 0)


def test_an_xlsx_is_recognised_by_content_whatever_its_name(tmp_path):
    data = _xlsx(tmp_path / "kb.xlsx", [["t"], ["问题", "答案"], ["q", "a"]])
    rows = read_rows(data, "upload.bin")
    assert rows[1] == ["问题", "答案"] and rows[2] == ["q", "a"]
    assert read_file(tmp_path / "kb.xlsx") == rows


def test_trailing_empty_rows_and_cells_are_trimmed_but_inner_ones_kept():
    rows = read_rows("问题,答案,,\n,,,\nq,a,,\n,,\n\n".encode("utf-8"), "kb.csv")
    assert rows == [["问题", "答案"], [], ["q", "a"]]


@pytest.mark.parametrize(
    "data,name",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls"),
        (b"PK\x03\x04not really a zip", "broken.xlsx"),
        (b"\x81\x30\x81", "nonsense.csv"),  # neither UTF-8 nor GB18030
    ],
)
def test_unreadable_files_are_refused_with_a_readable_error(data, name):
    with pytest.raises(InvalidInput) as err:
        read_rows(data, name)
    assert err.value.field == "file" and err.value.message


def test_a_file_without_a_header_is_refused(categories):
    with pytest.raises(InvalidInput) as err:
        import_file("a,b\n1,2\n".encode("utf-8"), "kb.csv", known_categories=categories)
    assert err.value.field == "header"


def test_the_demo_knowledge_base_is_complete_and_clean(demo_entries, categories):
    assert len(demo_entries) >= 40
    assert {e.category for e in demo_entries} <= set(categories)
    assert all(e.problems(categories) == [] for e in demo_entries)
    expired = [e for e in demo_entries if e.is_expired_at(NOW)]
    assert len(expired) >= 4
    ids = [e.id for e in demo_entries]
    revised = {i for i in ids if ids.count(i) > 1}
    assert len(revised) >= 2  # versions that supersede earlier wording
    assert len({e.category for e in demo_entries}) >= 10
    assert any(e.valid_from <= at(2022, 3, 28) and e.valid_to is None for e in demo_entries)
