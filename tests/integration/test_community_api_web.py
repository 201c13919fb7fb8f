"""The community registry over HTTP: the JSON API (uploads, rounds, the big-screen summary)
and the pages (the committee's phone page, a building's untested list, notices, progress)."""
from __future__ import annotations

from datetime import timedelta

from cityops.app.community import ledger as led

from .api_helpers import Api
from .community_helpers import ID, LEDGER_HEADER, RESULT_HEADER, T0, at, csv_bytes, ledger_rows
from .web_helpers import Web, text_of


def _seed_over_api(api: Api, box):
    r = api.post("s1c1", "/api/v1/community/buildings", json={"items": [{"compound": "望潮小区", "number": "1号楼"},
                                                                         {"compound": "望潮小区", "number": "2号楼"}]})
    assert r.status_code == 201, r.text
    r = api.post("s1c1", "/api/v1/community/ledger/import",
                 files={"file": ("台账.csv", csv_bytes(LEDGER_HEADER, ledger_rows(), "gbk"), "text/csv")})
    assert r.status_code == 200 and r.json()["added"] == 8, r.text
    box.now.now = T0 + timedelta(hours=30)  # the next day (results are imported after sampling)
    api.tokens.clear()                      # … so log in again
    r = api.post("hw", "/api/v1/community/results/import",
                 files={"file": ("day1.csv", csv_bytes(RESULT_HEADER, [[ID(1), "张三丰", at(1), "阴性", "点", "T1", "混管"],
                                                                   [ID(88), "外来", at(1), "阴性", "点", "T1", "混管"]]))})
    assert r.status_code == 200 and (r.json()["matched"], r.json()["unmatched"]) == (1, 1), r.text
    r = api.post("sup", "/api/v1/community/rounds", json={"name": "第一轮", "area": "S1", "starts_at": T0.isoformat(),
                                                          "ends_at": (T0 + timedelta(hours=24)).isoformat()})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_the_api_imports_matches_and_gives_the_big_screen_a_scoped_summary(box, district):
    api = Api(box)
    rid = _seed_over_api(api, box)
    r = api.post("sup", f"/api/v1/community/rounds/{rid}/match")
    assert r.status_code == 200 and r.json()["untested"] == 4, r.text
    assert r.json()["unmatched_results"] == 1  # the visitor's result is kept and counted
    screen = api.get("cmd", "/api/v1/community/progress").json()
    assert screen["round"]["id"] == rid and screen["total"]["must"] == 7 and screen["streets"][0]["code"] == "S1"
    assert api.get("s2", "/api/v1/community/progress").json()["round"] is None  # another street sees nothing
    r = api.get("s1c1", "/api/v1/community/residents")
    assert r.status_code == 200, r.text
    listed = r.json()
    assert listed["total"] == 8 and all("*" in p["name"] for p in listed["items"])


def test_bad_uploads_answer_clearly(box, district):
    api = Api(box)
    r = api.post("s1c1", "/api/v1/community/ledger/import", files={"file": ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest")})
    assert r.status_code == 422 and ".xls" in r.json()["message"]
    r = api.post("s1c1", "/api/v1/community/ledger/import", files={"file": ("x.csv", b"a,b\n1,2\n")},
                 data={"header_map": "{not json"})
    assert r.status_code == 422 and r.json()["field"] == "header_map"
    r = api.post("fm", "/api/v1/community/ledger/import", files={"file": ("x.csv", b"a,b\n1,2\n")})
    assert r.status_code == 403


def test_the_committee_phone_page_shows_my_buildings_and_the_untested_list_with_notes(box, district):
    api = Api(box)
    rid = _seed_over_api(api, box)
    web = Web(box)
    home = web.get("s1c1", "/community")
    assert home.status_code == 200
    page = text_of(home.text)
    assert "我的楼栋" in page and "1号楼" in page and "人未检测" in page
    b1 = next(b for b in led.list_buildings(box.uow(), district.actors["s1c1"]) if b["number"] == "1")
    html = web.get("s1c1", f"/community/b/{b1['id']}?round={rid}").text
    assert "李*" in html and "13912345679" not in html and "拨打电话" in html
    li = next(r for r in api.get("s1c1", "/api/v1/community/residents").json()["items"] if r["room"] == "102")
    r = web.form("s1c1", f"/community/r/{rid}/resident/{li['id']}/note",
                 {"reason": "not_home", "text": "敲门无人应答", "back": f"/community/b/{b1['id']}?round={rid}"})
    assert r.status_code == 204 and "done=note" in r.headers["HX-Redirect"]
    assert "敲门无人应答" in web.get("s1c1", f"/community/b/{b1['id']}?round={rid}").text
    r = web.form("s1c1", f"/community/resident/{li['id']}/reveal")
    assert "tel:13912345679" in r.text
    x = web.get("s1c1", f"/community/b/{b1['id']}/untested.xlsx?round={rid}")
    assert x.status_code == 200 and x.content[:2] == b"PK"


def test_a_committee_sends_a_notice_from_the_phone_and_sees_delivery(box, district):
    api = Api(box)
    rid = _seed_over_api(api, box)
    web = Web(box)
    form = web.get("s1c1", f"/community/notice?template=testing&round={rid}")
    assert form.status_code == 200 and "f_place" in form.text
    r = web.form("s1c1", "/community/notice", {"template": "testing", "f_time": "4月2日 7:00-11:00", "f_place": "小区广场",
                                                "audience": "untested", "round_id": str(rid), "channels": ["sms", "inapp"]})
    assert r.status_code == 204, r.text
    page = web.get("s1c1", r.headers["HX-Redirect"])
    assert "短信待发" in text_of(page.text) and "已送达（应用内）" in text_of(page.text)


def test_the_progress_view_rolls_up_by_street_committee_and_building(box, district):
    api = Api(box)
    rid = _seed_over_api(api, box)
    web = Web(box)
    r = web.form("sup", f"/community/progress/{rid}/match")
    assert r.status_code == 204
    for by in ("street", "committee", "building"):
        page = web.get("sup", f"/community/progress?round={rid}&by={by}")
        assert page.status_code == 200 and "progress-table" in page.text
    assert "龙华街道" in text_of(web.get("sup", f"/community/progress?round={rid}&by=street").text)
    x = web.get("cmd", f"/community/progress.xlsx?round={rid}&by=committee")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    assert web.get("s1", "/community").status_code == 303  # a street goes to the progress view
