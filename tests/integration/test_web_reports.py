"""The daily report: the page, the XLSX workbook and the PDF for a hand-computed day."""
from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook

from cityops.app.orders import usecases as uc

from ..conftest import START
from .web_helpers import Web, text_of

DAY = "2022-03-25"  # START is 09:00 of this day in Shanghai


def make(box, actor, now, *, urgency="normal", category="city.noise", groups=(), to="S1"):
    return uc.create_order(box.uow(), actor, uc.NewOrder(text="求助", urgency=urgency, category=category,
                                                         special_groups=tuple(groups), dispatch_to=to), now).number


@pytest.fixture
def day(box, district, clock):
    """The day before: 2 orders. The day (5 orders):
    n1 critical epi.medical elderly → S1: closed on time, satisfied, solved
    n2 urgent   epi.supplies        → S2: open
    n3 normal   city.noise          → S1C1: called back unsatisfied and unsolved → reopened (open)
    n4 normal   epi.policy          direct reply (closed by the center)
    n5 normal   city.traffic        received only
    Read at 10:00 that day."""
    a = district.actors
    op = a["op"]
    for _ in range(2):
        make(box, op, START - timedelta(hours=23))
    n1 = make(box, op, START, urgency="critical", category="epi.medical", groups=["elderly"])
    make(box, op, START, urgency="urgent", category="epi.supplies", to="S2")
    n3 = make(box, op, START, to="S1C1")
    n4 = make(box, op, START, category="epi.policy", to=None)
    make(box, op, START, category="city.traffic", to=None)
    for n, unit, sat, solved in ((n1, "s1", "satisfied", True), (n3, "s1c1", "unsatisfied", False)):
        uc.accept_order(box.uow(), a[unit], n, START)
        uc.submit_feedback(box.uow(), a[unit], n, "处理完毕", True, START)
        uc.record_callback(box.uow(), op, n, sat, solved, START)
    uc.close_order(box.uow(), op, n1, START)
    uc.direct_reply(box.uow(), op, n4, "按通告执行", START)
    clock.now = START + timedelta(hours=1)


def test_the_report_page_says_the_day_in_the_seed_words(box, district, day):
    r = Web(box).get("sup", "/reports")
    assert r.status_code == 200
    text = text_of(r.text)
    assert f"{DAY}，共受理工单 5 件，已办结 2 件，剩余 3 件；其中疫情类工单 3 件，约占工单总量的 60.0%。" in text
    assert "紧急工单（含特急）共受理 2 件，已办结 1 件，剩余 1 件。" in text
    assert "特殊群体工单 1 件，解决率 100.0%，满意率 100.0%。" in text
    assert "按时反馈率 100.0%，解决率 50.0%，满意率 50.0%" in text
    assert "前一日受理 2 件，本日为前一日的 2.50 倍。" in text
    assert "当日尚未结束：数据截至 10:00。" in text
    assert 'data-figure="received">5<' in r.text and f'href="/reports/daily.xlsx?day={DAY}"' in r.text


def test_the_report_workbook_has_a_sheet_per_view_with_the_figures(box, district, day):
    r = Web(box).get("cmd", f"/reports/daily.xlsx?day={DAY}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f"daily-report-{DAY}.xlsx" in r.headers["content-disposition"]
    wb = load_workbook(BytesIO(r.content))
    assert wb.sheetnames == ["概况", "按街镇", "按类别", "按主办单位"]
    figures = {row[0]: row[1] for row in wb["概况"].iter_rows(min_row=2, values_only=True)}
    assert figures["受理工单"] == 5 and figures["已办结"] == 2 and figures["剩余"] == 3
    assert figures["疫情类工单"] == 3 and figures["疫情类占比"] == 0.6
    assert figures["前一日受理"] == 2 and figures["环比（前一日的倍数）"] == 2.5
    assert figures["按时率"] == 1.0 and figures["解决率"] == 0.5 and figures["满意率"] == 0.5
    assert (figures["紧急工单受理"], figures["紧急工单办结"], figures["紧急工单剩余"]) == (2, 1, 1)
    assert figures["特殊群体工单"] == 1 and figures["特殊群体解决率"] == 1.0 and figures["特殊群体满意率"] == 1.0
    streets = {row[0]: row[1:4] for row in wb["按街镇"].iter_rows(min_row=2, values_only=True)}
    assert streets == {"龙华街道": (2, 1, 1), "四川北路街道": (1, 0, 1), "区级 / 未定位": (2, 1, 1)}
    cats = {row[0]: row[2] for row in wb["按类别"].iter_rows(min_row=2, values_only=True)}
    assert sum(cats.values()) == 5 and len(cats) == 5
    units = {row[0]: row[1] for row in wb["按主办单位"].iter_rows(min_row=2, values_only=True)}
    assert units["未派单"] == 2 and units["龙华街道"] == 1 and units["龙漕居委"] == 1


def test_the_report_pdf_is_a_pdf_of_that_day_with_a_chinese_font(box, district, day):
    r = Web(box).get("adm", f"/reports/daily.pdf?day={DAY}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = r.content
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert f"daily report {DAY}".encode() in pdf  # the document's subject
    assert b"STSong-Light" in pdf
    other = Web(box).get("adm", "/reports/daily.pdf?day=2022-03-24").content
    assert b"daily report 2022-03-24" in other


def test_an_earlier_day_has_its_own_figures(box, district, day):
    r = Web(box).get("sup", "/reports?day=2022-03-24")
    text = text_of(r.text)
    assert "2022-03-24，共受理工单 2 件" in text and "当日尚未结束" not in text


@pytest.mark.parametrize("typed, message", [("2022-13-01", "请按 年-月-日 输入日期"),
                                            ("2022-03-26", "该日期尚未到来"),
                                            ("2020-01-01", "日报最多可查询 400 天以内")])
def test_a_bad_day_is_refused_with_a_readable_message_and_kept_in_the_picker(box, district, typed, message):
    web = Web(box)
    r = web.get("sup", f"/reports?day={typed}")
    assert r.status_code == 422
    assert message in text_of(r.text) and f'value="{typed}"' in r.text
    assert web.get("sup", f"/reports/daily.xlsx?day={typed}").status_code == 422


def test_a_street_user_cannot_open_the_reports(box, district):
    web = Web(box)
    assert web.get("s1", "/reports").status_code == 403
    assert web.get("s1", f"/reports/daily.xlsx?day={DAY}").status_code == 403
    assert web.get("op", "/reports").status_code == 403
