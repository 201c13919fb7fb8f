"""The community registry end to end on the real database (SQLite, and PostgreSQL when set):
ledger imports, results imports, rounds and the cross-match, notes, notices, positives."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cityops.adapters.community.crossmatch import DuckDbCrossMatcher
from cityops.adapters.community.files import read_rows, sha256
from cityops.adapters.db import tables as T
from cityops.app.community import ledger as led
from cityops.app.community import notices as nt
from cityops.app.community import rounds as rd
from cityops.domain.errors import InvalidInput, NotAllowed, NotFound

from .community_helpers import (ID, LEDGER_HEADER, SECRET, T0, at, csv_bytes, import_results, ledger_rows,
                                setup_committee)


def _ledger(box, district, rows, name="ledger.csv", encoding="utf-8", header=LEDGER_HEADER, committee=None):
    data = csv_bytes(header, rows, encoding)
    return led.import_ledger(box.uow(), district.actors["s1c1"], read_rows(data, name), filename=name,
                             sha256=sha256(data), secret=SECRET, now=box.now(), committee_code=committee)


def test_a_ledger_import_keeps_good_rows_and_reports_each_bad_one(box, district):
    report = setup_committee(box, district)
    assert report["added"] == 8 and report["bad_rows"] == 0
    bad = ledger_rows()[:2] + [
        ["望潮小区", "1号楼", "1单元", "104", "坏号", "13900000001", ID(20)[:-1] + ("0" if ID(20)[-1] != "0" else "1"), "", "在住"],
        ["望潮小区", "9号楼", "1单元", "101", "无楼", "13900000002", ID(21), "", "在住"],
        ["望潮小区", "1号楼", "1单元", "105", "重复", "13900000003", ID(22), "", "在住"],
        ["望潮小区", "1号楼", "1单元", "106", "重复二", "13900000004", ID(22), "", "在住"],
        ["望潮小区", "1号楼", "1单元", "107", "怪状态", "13900000005", ID(23), "", "出差了"],
        ["望潮小区", "1号楼", "1单元", "108", "新人", "13900000006", ID(24), "", "在住"],
    ]
    report = _ledger(box, district, bad, name="again.csv")
    codes = {e["line"]: e["code"] for e in report["errors"]}
    assert codes == {4: "bad_id_check", 5: "unknown_building", 7: "duplicate", 8: "bad_status"}
    assert "第4行" in report["errors"][0]["message"] and "line 4" in report["errors"][0]["message"]
    assert report["added"] == 2 and report["unchanged"] == 2   # 重复 (line 6) and 新人 kept; the first two unchanged


def test_importing_the_same_ledger_twice_updates_and_never_doubles(box, district):
    setup_committee(box, district)
    rows = ledger_rows()
    rows[0][5] = "13800000000"  # a new phone number
    report = _ledger(box, district, rows, name="ledger-v2.csv")
    assert (report["added"], report["updated"], report["unchanged"]) == (0, 1, 7)
    again = _ledger(box, district, rows, name="ledger-v2.csv")
    assert again["imported_before"]["import_id"] == report["import_id"]
    with box.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(T.community_residents)).scalar_one() == 8


def test_gbk_csv_and_an_xlsx_with_merged_header_rows_import_alike(box, district, tmp_path):
    from cityops.adapters.community.synth import write_xlsx

    led.add_buildings(box.uow(), district.actors["s1c1"], None, [("望潮小区", "1号楼"), ("望潮小区", "2号楼")], box.now())
    report = _ledger(box, district, ledger_rows(), name="gbk.csv", encoding="gbk")
    assert report["added"] == 8 and report["errors"] == []
    header = ("小区", "楼号", "单元", "室号", "姓名", "手机", "身份证号", "特殊人群", "居住状态")
    rows = ledger_rows()
    rows[0][4] = "张三"  # changed name: one update
    path = tmp_path / "ledger.xlsx"
    write_xlsx(path, "龙漕居委居民台账", header, rows)
    data = path.read_bytes()
    report = led.import_ledger(box.uow(), district.actors["s1c1"], read_rows(data, "ledger.xlsx"),
                               filename="ledger.xlsx", sha256=sha256(data), secret=SECRET, now=box.now())
    assert (report["added"], report["updated"], report["unchanged"], report["errors"]) == (0, 1, 7, [])


def test_a_file_without_the_id_column_is_refused_as_a_whole(box, district):
    setup_committee(box, district)
    report = _ledger(box, district, [r[:6] for r in ledger_rows()], header=LEDGER_HEADER[:6])
    assert report["added"] == 0 and report["errors"][0]["code"] == "missing_column"
    assert "身份证号" in report["errors"][0]["message"]


def test_a_configured_header_map_reads_a_committees_own_column_names(box, district):
    led.add_buildings(box.uow(), district.actors["s1c1"], None, [("望潮小区", "1号楼"), ("望潮小区", "2号楼")], box.now())
    header = ["小区", "楼号", "单元", "室号", "居民", "手机", "证件号", "特殊人群", "居住状态"]
    data = csv_bytes(header, ledger_rows())
    report = led.import_ledger(box.uow(), district.actors["s1c1"], read_rows(data, "x.csv"), filename="x.csv",
                               sha256=sha256(data), secret=SECRET, now=box.now(),
                               header_map={"name": ["居民"], "id_number": ["证件号"]})
    assert report["added"] == 8


def test_lists_mask_names_phones_and_id_numbers_and_a_reveal_is_audited(box, district):
    setup_committee(box, district)
    page = led.list_residents(box.uow(), district.actors["s1c1"])
    first = next(r for r in page["items"] if r["room"] == "101" and r["building"] == "1")
    assert first["name"] == "张*丰" and first["phone"] == "139****5678" and "*" in first["id_masked"]
    with box.engine.connect() as c:
        stored = c.execute(sa.select(T.community_residents.c.id_hash)).scalars().all()
    assert all(len(h) == 64 and ID(1) not in h for h in stored)
    assert led.reveal_resident(box.uow(), district.actors["s1c1"], first["id"], box.now(), "call")["phone"] == "13912345678"
    with box.engine.connect() as c:
        assert c.execute(sa.select(T.audit_log.c.action).where(T.audit_log.c.action == "reveal_resident")).first()
    with pytest.raises(NotFound):  # another street's committee handler cannot see this resident
        led.reveal_resident(box.uow(), district.actors["s2"], first["id"], box.now())


def _round(box, district, **kw):
    args = dict(name="第一轮全员筛查", area_code="S1", starts_at=T0, ends_at=T0 + timedelta(hours=24), now=box.now())
    return rd.create_round(box.uow(), district.actors["sup"], **(args | kw))


def test_results_import_is_incremental_counts_unmatched_people_and_skips_repeats(box, district):
    setup_committee(box, district)
    rows = [[ID(1), "张三丰", at(1), "阴性", "望潮小区门口", "T0001", "混管"],
            [ID(2), "李四", at(1), "阴性", "望潮小区门口", "T0001", "混管"],
            [ID(99), "路人甲", at(2), "阴性", "望潮小区门口", "T0002", "混管"],
            [ID(3), "王五", "2022-13-40 08:00", "阴性", "", "T0003", "上门"],
            [ID(6), "孙八", at(1), "弱阳", "", "T0004", "混管"]]
    r1 = import_results(box, rows, name="day1.csv")
    assert (r1["imported"], r1["matched"], r1["unmatched"], r1["bad_rows"]) == (3, 2, 1, 2)
    assert {e["code"] for e in r1["errors"]} == {"bad_date", "bad_result"}
    r2 = import_results(box, rows[:3] + [[ID(7), "周九", at(3), "阴性", "", "T0005", "混管"]], name="day1-b.csv")
    assert (r2["imported"], r2["already_imported"], r2["matched"]) == (1, 3, 1)
    with box.engine.connect() as c:
        names = c.execute(sa.select(T.test_results.c.name_masked)).scalars().all()
    assert "张*丰" in names and "张三丰" not in names


def test_only_the_health_side_or_the_center_imports_results(box, district):
    with pytest.raises(NotAllowed):
        import_results(box, [[ID(1), "张三丰", at(1), "阴性", "", "T1", "混管"]], actor=district.actors["s1c1"])
    assert import_results(box, [[ID(1), "张三丰", at(1), "阴性", "", "T1", "混管"]], actor=district.actors["hw"])["imported"] == 1


def test_the_cross_match_counts_tested_exempted_and_untested_per_building_and_rolls_up(box, district, tmp_path):
    setup_committee(box, district)
    import_results(box, [[ID(1), "张三丰", at(1), "阴性", "", "T1", "混管"],
                         [ID(7), "周九", at(2), "阴性", "", "T1", "混管"],
                         [ID(8), "吴十", at(-30), "阴性", "", "T0", "混管"]])  # before the round: does not count
    rnd = _round(box, district)
    out = rd.refresh_progress(box.uow(), district.actors["sup"], rnd["id"], DuckDbCrossMatcher(box.engine, tmp_path), box.now())
    # building 1: 张(tested) 李(untested) 王(bedridden: exempted) 赵(away: exempted) 钱(moved out: not counted) 孙(untested)
    # building 2: 周(tested) 吴(untested)
    assert (out["must"], out["tested"], out["exempted"], out["untested"]) == (7, 2, 2, 3)
    by_b = {x["number"]: x for x in rd.progress(box.uow(), district.actors["s1c1"], rnd["id"], "building")["items"]}
    assert (by_b["1"]["tested"], by_b["1"]["exempted"], by_b["1"]["untested"]) == (1, 2, 2)
    street = rd.progress(box.uow(), district.actors["sup"], rnd["id"], "street")["items"]
    assert [(s["code"], s["must"], s["rate"]) for s in street] == [("S1", 7, round(4 / 7, 4))]
    with pytest.raises(NotFound):  # another street does not see this street's round
        rd.progress(box.uow(), district.actors["s2"], rnd["id"], "committee")


def test_the_building_list_agrees_with_the_engine_and_a_note_can_exempt(box, district, tmp_path):
    setup_committee(box, district)
    import_results(box, [[ID(1), "张三丰", at(1), "阴性", "", "T1", "混管"]])
    rnd = _round(box, district)
    b1 = next(b for b in led.list_buildings(box.uow(), district.actors["s1c1"]) if b["number"] == "1")
    view = rd.building_view(box.uow(), district.actors["s1c1"], rnd["id"], b1["id"])
    assert sorted(p["room"] for p in view["untested_list"]) == ["102", "103"]
    assert {p["why_exempt"] for p in view["exempted_list"]} == {"away", "home_sampling"}
    li = next(p for p in view["untested_list"] if p["room"] == "102")
    rd.add_note(box.uow(), district.actors["s1c1"], rnd["id"], li["id"], "no_answer", "打了两次", box.now())
    rd.add_note(box.uow(), district.actors["s1c1"], rnd["id"], li["id"], "hospital", "在中山医院住院", box.now())
    view = rd.building_view(box.uow(), district.actors["s1c1"], rnd["id"], b1["id"])
    assert [p["room"] for p in view["untested_list"]] == ["103"]
    out = rd.refresh_progress(box.uow(), district.actors["sup"], rnd["id"], DuckDbCrossMatcher(box.engine, tmp_path), box.now())
    engine_b1 = next(x for x in rd.progress(box.uow(), district.actors["sup"], rnd["id"], "building")["items"] if x["number"] == "1")
    assert (engine_b1["tested"], engine_b1["exempted"], engine_b1["untested"]) == (view["tested"], view["exempted"], view["untested"])
    assert out["untested"] == 3  # 孙八 in building 1, 周九 and 吴十 in building 2
    with pytest.raises(InvalidInput):
        rd.add_note(box.uow(), district.actors["s1c1"], rnd["id"], li["id"], "other", "", box.now())


def test_a_positive_result_raises_one_critical_order_for_the_committee_and_the_cdc(box, district):
    setup_committee(box, district)
    rows = [[ID(2), "李四", at(1), "阳性", "望潮小区门口", "T9", "混管"],
            [ID(77), "陌生人", at(1), "阳性", "望潮小区门口", "T9", "混管"]]
    out = import_results(box, rows)
    assert out["positive"] == 2 and len(out["orders"]) == 2
    assert import_results(box, rows, name="again.csv")["orders"] == []
    with box.engine.connect() as c:
        orders = c.execute(sa.select(T.orders).order_by(T.orders.c.id)).all()
        co = c.execute(sa.select(T.order_co_units.c.unit_id)).scalars().all()
    assert [(o.urgency, o.state, o.lead_unit_id) for o in orders] == [
        ("critical", "dispatched", district.units["S1C1"].id), ("critical", "dispatched", district.units["HEALTH"].id)]
    assert co == [district.units["HEALTH"].id]
    assert "elderly" in orders[0].special_groups and ID(2) not in orders[0].text


def test_a_notice_to_the_untested_goes_by_sms_through_the_outbox_with_status_per_resident(box, district):
    setup_committee(box, district)
    nt.install_templates(box.uow(), box.now())
    import_results(box, [[ID(1), "张三丰", at(1), "阴性", "", "T1", "混管"]])
    rnd = _round(box, district)
    with pytest.raises(InvalidInput, match="place"):
        nt.send_notice(box.uow(), district.actors["s1c1"], template="reminder", fields={"time": "今天18:00"},
                       audience="untested", round_id=rnd["id"], now=box.now())
    sent = nt.send_notice(box.uow(), district.actors["s1c1"], template="reminder", audience="untested", round_id=rnd["id"],
                          fields={"time": "今天18:00", "place": "望潮小区门口", "contact": "64000000"}, now=box.now())
    assert (sent["recipients"], sent["sms_queued"], sent["sms_no_phone"]) == (4, 4, 0)  # 李四 孙八 周九 吴十
    with box.engine.connect() as c:
        msgs = c.execute(sa.select(T.outbox.c.recipient, T.outbox.c.body)).all()
        c.execute(sa.update(T.outbox).where(T.outbox.c.recipient == "13912345679").values(status="sent"))
        c.commit()
    assert all("望潮小区门口" in m.body and "李四" not in m.body for m in msgs)
    d = nt.notice_deliveries(box.uow(), district.actors["s1c1"], sent["notice_id"])
    assert d["counts"]["sms"] == {"sent": 1, "queued": 3} and d["counts"]["inapp"] == {"delivered": 4}
