"""Small ledger and results files for the community tests (valid ID numbers from the generator)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from cityops.adapters.community.synth import id_number
from cityops.app.community import ledger as led
from cityops.app.community import results as res

SECRET = "test-id-secret"
T0 = datetime(2022, 3, 25, 1, 0, tzinfo=timezone.utc)   # the clock fixture's start: 09:00 in Shanghai


def ID(i: int) -> str:
    return id_number(None, 1000 + i)


def csv_bytes(header, rows, encoding="utf-8") -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


LEDGER_HEADER = ["小区", "楼号", "单元", "室号", "姓名", "手机", "身份证号", "特殊人群", "居住状态"]


def ledger_rows():
    """Building 1: six residents (one away, one bedridden, one moved out); building 2: two."""
    return [
        ["望潮小区", "1号楼", "1单元", "101", "张三丰", "13912345678", ID(1), "", "在住"],
        ["望潮小区", "1号楼", "1单元", "102", "李四", "13912345679", ID(2), "独居老人", "在住"],
        ["望潮小区", "1号楼", "2单元", "201", "王五", "13912345680", ID(3), "卧床", "在住"],
        ["望潮小区", "1号楼", "2单元", "202", "赵六", "", ID(4), "", "外出"],
        ["望潮小区", "1号楼", "2单元", "203", "钱七", "13912345682", ID(5), "", "已搬离"],
        ["望潮小区", "1号楼", "1单元", "103", "孙八", "13912345683", ID(6), "婴幼儿", "在住"],
        ["望潮小区", "2号楼", "1单元", "101", "周九", "13912345684", ID(7), "孕妇", "在住"],
        ["望潮小区", "2号楼", "1单元", "102", "吴十", "13912345685", ID(8), "", "在住"],
    ]


def setup_committee(box, district, now=None):
    now = now or box.now()
    led.add_buildings(box.uow(), district.actors["s1c1"], None, [("望潮小区", "1号楼"), ("望潮小区", "2号楼")], now)
    data = csv_bytes(LEDGER_HEADER, ledger_rows())
    from cityops.adapters.community.files import read_rows, sha256
    return led.import_ledger(box.uow(), district.actors["s1c1"], read_rows(data, "ledger.csv"), filename="ledger.csv",
                             sha256=sha256(data), secret=SECRET, now=now)


RESULT_HEADER = ["身份证号", "姓名", "采样时间", "检测结果", "采样点", "试管编码", "检测类型"]


def import_results(box, rows, actor=None, name="results.csv"):
    """Import as the health side would, the next day (a sample time after "now" is refused)."""
    from cityops.adapters.community.files import read_rows, sha256
    if box.now() < T0 + timedelta(hours=30):
        box.now.now = T0 + timedelta(hours=30)  # the FakeClock fixture
    data = csv_bytes(RESULT_HEADER, rows)
    return res.import_results(box.uow(), actor, read_rows(data, name), filename=name, sha256=sha256(data),
                              secret=SECRET, now=box.now())


def at(hours: float) -> str:
    """A sample time (Shanghai local text) ``hours`` after 09:00 on 2022-03-25."""
    return (T0 + timedelta(hours=hours)).astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
