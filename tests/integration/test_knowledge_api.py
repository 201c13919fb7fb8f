"""Gazetteer, routing rules, knowledge base, direct replies and hot spots through HTTP."""
from datetime import timedelta

import pytest

from .api_helpers import Api

GAZ = """类型,名称,别名,道路,起号,止号,单双,居委编码,经纬度边界
道路,龙华路,,,1,99,全,S1C1,
道路,龙华路,,,100,200,全,S1C2,
小区,幸福小区,幸福花苑、幸福苑,龙华路,20,20,全,S1C1,
小区,永丰小区,,,,,,S2C1,
道路,坏路,,,50,10,全,S1C1,
小区,无名小区,,,,,,NOPE,
"""
RULES = [
    {"id": "default", "name": "默认：属地街镇", "target": {"kind": "area_street"}, "priority": 0},
    {"id": "epi", "name": "疫情：属地居委", "category": "epi", "target": {"kind": "area_committee"}, "priority": 10},
    {"id": "health", "name": "就医：卫健委", "category": "epi.medical", "target": {"kind": "unit", "unit": "HEALTH"},
     "priority": 20},
]


@pytest.fixture
def api(box, district, tmp_path_factory):
    from cityops.adapters.triage.provider import TriageProvider

    box._triage = TriageProvider(tmp_path_factory.getbasetemp() / "models-shared")
    a = Api(box)
    r = a.post("adm", "/api/v1/gazetteer/import", files={"file": ("g.csv", GAZ.encode("gbk"), "text/csv")})
    assert r.status_code == 200, r.text
    a.report = r.json()
    assert a.put("adm", "/api/v1/routing-rules", json=RULES).status_code == 200
    return a


def test_gazetteer_import_keeps_good_rows_and_reports_each_bad_one(api):
    assert api.report["imported"] == 4
    lines = sorted(e["line"] for e in api.report["errors"])
    assert lines == [6, 7] and any("NOPE" in e["message"] for e in api.report["errors"])


def test_addresses_resolve_to_committee_and_street(api):
    r = api.get("op", "/api/v1/gazetteer/resolve", params={"address": "幸福花苑3号楼201室"}).json()
    assert r["committee"] == "S1C1" and r["street"] == "S1" and r["method"] == "compound"
    r = api.get("op", "/api/v1/gazetteer/resolve", params={"address": "龙华路一百五十弄"}).json()
    assert r["committee"] == "S1C2"


def test_triage_names_the_unit_and_the_rule_that_chose_it(api):
    s = api.post("op", "/api/v1/triage", json={"text": "我母亲糖尿病胰岛素快用完了，封控出不去，急需配药",
                                               "address": "龙华路120弄"}).json()
    assert s["area"]["committee"] == "S1C2"
    assert s["unit"]["unit"] == "HEALTH" and s["unit"]["rule_id"] == "health"
    s = api.post("op", "/api/v1/triage", json={"text": "小区门口垃圾好几天没人清运，味道很大",
                                               "address": "永丰小区"}).json()
    assert s["unit"]["unit"] == "S2" and s["unit"]["rule_id"] == "default"


def test_a_bad_routing_rule_is_refused_by_id_and_nothing_changes(api):
    bad = RULES + [{"id": "ghost", "name": "x", "category": "epi.testing", "target": {"kind": "unit", "unit": "NOPE"}}]
    r = api.put("adm", "/api/v1/routing-rules", json=bad)
    assert r.status_code == 422 and "ghost" in r.json()["message"]
    assert [x["id"] for x in api.get("op", "/api/v1/routing-rules").json()] == ["default", "epi", "health"]


def test_knowledge_base_versions_search_expiry_and_direct_reply(api, clock):
    entry = {"id": "KB-T1", "question": "老人行动不便怎么做核酸？", "answer": "请联系居委会登记上门采样。",
             "category": "epi.testing", "keywords": "上门采样,卧床,行动不便", "source": "区卫健委"}
    assert api.post("adm", "/api/v1/kb", json=entry).status_code == 201
    assert api.post("op", "/api/v1/kb", json=entry | {"id": "KB-T2"}).status_code == 403
    hits = api.get("op", "/api/v1/kb", params={"q": "我家老人卧床下不了楼，核酸怎么办"}).json()
    assert hits[0]["id"] == "KB-T1"
    clock.advance(hours=1)
    r = api.put("adm", "/api/v1/kb/KB-T1", json={"answer": "请拨打居委电话登记，医护上门采样。"})
    assert r.status_code == 200 and r.json()["version"] == 2
    versions = api.get("op", "/api/v1/kb/KB-T1/versions").json()
    assert [v["version"] for v in versions] == [1, 2] and versions[0]["valid_now"] is False
    n = api.new_order(text="家里老人卧床怎么做核酸", category="epi.testing", urgency="normal")["number"]
    r = api.post("op", f"/api/v1/orders/{n}/direct-reply", json={"answer": versions[1]["answer"], "kb_entry": "KB-T1"})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    tl = api.get("op", f"/api/v1/orders/{n}").json()["timeline"]
    assert tl[-2]["data"] == {"kb_entry": "KB-T1", "kb_version": 2}
    assert api.post("adm", "/api/v1/kb/KB-T1/expire").json()["valid_now"] is False
    assert api.get("op", "/api/v1/kb", params={"q": "老人卧床核酸"}).json() == []
    m = api.new_order(text="咨询", category="epi.testing")["number"]
    r = api.post("op", f"/api/v1/orders/{m}/direct-reply", json={"answer": "x", "kb_entry": "KB-T1"})
    assert r.status_code == 422 and r.json()["field"] == "kb_entry"


def test_kb_import_reports_bad_rows_and_keeps_good_ones(api):
    csv = ("编号,问题,答复口径,类别,生效日期,失效日期\n"
           "A1,误工证明怎么开？,向居委申请，街道盖章。,epi.certificate,2022-03-01,\n"
           "A2,,没有问题的行,epi.certificate,2022-03-01,\n"
           "A3,x?,y,epi.nope,2022-03-01,\n"
           "A4,过期的口径,z,epi.policy,2022-01-01,2022-02-01\n")
    r = api.post("adm", "/api/v1/kb/import", files={"file": ("kb.csv", csv.encode("utf-8-sig"), "text/csv")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == 2 and sorted(e["line"] for e in body["errors"]) == [3, 4]
    assert [h["id"] for h in api.get("op", "/api/v1/kb", params={"q": "怎么开误工证明"}).json()] == ["A1"]


def test_orders_get_their_committee_from_the_address_and_hot_spots_form(api, clock, district):
    numbers = [api.new_order(text=f"幸福小区封控第{i}天了快递进不来家里没菜", category="epi.supplies",
                             address="幸福小区5号楼")["number"] for i in range(3)]
    api.new_order(text="永丰小区没菜", category="epi.supplies", address="永丰小区")
    spots = api.get("sup", "/api/v1/orders/hotspots", params={"hours": 6, "min_count": 3}).json()
    assert len(spots) == 1 and spots[0]["area"] == "S1C1" and spots[0]["count"] == 3
    assert spots[0]["orders"] == numbers
    r = api.post("sup", "/api/v1/orders/hotspots/merge", json={"parent": numbers[0], "children": numbers[1:]})
    assert r.status_code == 200 and [o["state"] for o in r.json()] == ["merged", "merged"]
    assert api.get("sup", "/api/v1/orders/hotspots", params={"hours": 6, "min_count": 3}).json() == []
    clock.advance(hours=7)
    assert api.get("sup", "/api/v1/orders/hotspots", params={"hours": 6, "min_count": 2}).json() == []
