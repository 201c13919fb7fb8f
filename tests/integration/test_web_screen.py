"""The big screen: /api/v1/screen figures for a known set of orders, scoping, the page, the SSE stream."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cityops.adapters.community.crossmatch import DuckDbCrossMatcher
from cityops.app.alerts import ingest
from cityops.app.community import rounds as round_uc
from cityops.app.orders import usecases as uc
from cityops.entrypoints.web import screen as screen_page

from ..conftest import START
from .alerts_helpers import setup_alerts
from .api_helpers import Api
from .community_helpers import ID, T0, at, import_results, setup_committee
from .duty_helpers import team_with_roster
from .passes_helpers import apply as apply_for_pass
from .passes_helpers import id_number, local, setup_area
from .passes_helpers import import_results as import_passes_results
from .web_helpers import Web, text_of


def make(box, actor, now, *, urgency="normal", category="city.noise", groups=(), to="S1", area=None, text="求助"):
    return uc.create_order(box.uow(), actor, uc.NewOrder(text=text, urgency=urgency, category=category,
                                                         special_groups=tuple(groups), dispatch_to=to,
                                                         area_unit_code=area), now).number


@pytest.fixture
def known(box, district, clock):
    """START is 09:00 in Shanghai on 2022-03-25. The orders:
    last week, 07:00 and 12:00 local (closed by a direct reply): the trend's comparison line;
    two days ago: an urgent order for S2, never handled → overdue now;
    today 09:00: n1 critical epi.medical elderly → S1 (resolve within 2 h),
                 n2 urgent epi.supplies → S2 (24 h), n3 normal city.noise → S1, closed,
                 n4 normal epi.testing → S1C1 (a committee of S1).
    The figures are read at 09:30."""
    a = district.actors
    op = a["op"]
    for at in (START - timedelta(days=7, hours=2), START - timedelta(days=7) + timedelta(hours=3)):
        n = make(box, op, at, to=None)
        uc.direct_reply(box.uow(), op, n, "按通告执行", at)
    old = make(box, op, START - timedelta(days=2), urgency="urgent", category="epi.supplies", to="S2")
    n1 = make(box, op, START, urgency="critical", category="epi.medical", groups=["elderly"])
    n2 = make(box, op, START, urgency="urgent", category="epi.supplies", to="S2")
    n3 = make(box, op, START)
    n4 = make(box, op, START, category="epi.testing", to="S1C1")
    uc.accept_order(box.uow(), a["s1"], n3, START)
    uc.submit_feedback(box.uow(), a["s1"], n3, "处理完毕", True, START)
    uc.record_callback(box.uow(), op, n3, "satisfied", True, START)
    uc.close_order(box.uow(), op, n3, START)
    clock.now = START + timedelta(minutes=30)
    return {"old": old, "n1": n1, "n2": n2, "n3": n3, "n4": n4}


def test_screen_api_counts_a_known_day_for_the_district(box, district, known):
    d = Api(box).get("cmd", "/api/v1/screen").json()
    assert d["day"] == "2022-03-25" and d["scope"]["district"] is True
    t = d["today"]
    assert (t["received"], t["closed"], t["remaining"]) == (4, 1, 3)
    assert t["epidemic"] == 3 and t["epidemic_share"] == 0.75
    assert t["urgent"] == 2 and t["special"] == 1
    cats = {c["code"]: c["count"] for c in d["by_category"]}
    assert cats == {"epi.medical": 1, "epi.supplies": 1, "city.noise": 1, "epi.testing": 1}
    streets = {s["code"]: (s["received"], s["closed"], s["remaining"]) for s in d["by_street"]}
    assert streets == {"S1": (3, 1, 2), "S2": (1, 0, 1)}
    # open now: old, n1, n2, n4; the old urgent order is overdue; n1 (critical, 2 h) is due within 4 h
    assert d["sla"] == {"open": 4, "overdue": 1, "due_1h": 0, "due_4h": 1, "urgent_open": 3}
    assert [o["number"] for o in d["urgent_open"]] == [known["old"], known["n1"], known["n2"]]
    assert d["urgent_open"][0]["overdue"] is True and d["urgent_open"][1]["seconds_left"] == 90 * 60
    assert "caller_name" not in d["urgent_open"][0] and "caller_phone" not in d["urgent_open"][0]
    sg = d["special_groups"]
    assert sg["open"] == 1 and [(g["code"], g["open"]) for g in sg["by_group"]] == [("elderly", 1)]
    tr = d["trend"]
    assert len(tr["today"]) == 10 and tr["today"][9] == 4 and sum(tr["today"]) == 4
    assert tr["last_week"][7] == 1 and tr["last_week"][12] == 1 and sum(tr["last_week"]) == 2
    assert tr["last_week_same_time"] == 1 and tr["change"] == 3.0  # 4 today by 09:30 against 1 a week ago


def test_screen_api_shows_a_street_only_its_own_orders(box, district, known):
    api = Api(box)
    d = api.get("s1", "/api/v1/screen").json()
    assert d["scope"] == {"district": False, "unit": "S1", "unit_name": "龙华街道"}
    assert (d["today"]["received"], d["today"]["closed"], d["today"]["remaining"]) == (3, 1, 2)
    assert [s["code"] for s in d["by_street"]] == ["S1"]
    assert [o["number"] for o in d["urgent_open"]] == [known["n1"]]
    assert d["sla"]["overdue"] == 0 and d["sla"]["open"] == 2
    other = api.get("hw", "/api/v1/screen").json()  # the health department: nothing of this
    assert other["today"]["received"] == 0 and other["urgent_open"] == [] and other["by_street"] == []


def test_screen_api_needs_a_login(box, district):
    r = Api(box).client.get("/api/v1/screen")
    assert r.status_code == 401


def test_screen_shows_three_orders_about_one_committee_as_a_hot_spot(box, district, clock):
    op = district.actors["op"]
    for _ in range(3):
        make(box, op, START, category="epi.supplies", area="S1C2", to="S1")
    make(box, op, START, category="epi.supplies", area="S1C1", to="S1")
    d = Api(box).get("sup", "/api/v1/screen").json()
    assert [(h["area"], h["category"], h["count"]) for h in d["hotspots"]] == [("S1C2", "epi.supplies", 3)]
    # the street comes from where it happened (the committee's street)
    assert {s["code"]: s["received"] for s in d["by_street"]} == {"S1": 4}


def test_big_screen_page_is_drawn_with_the_data_inside(box, district, known):
    web = Web(box)
    r = web.get("cmd", "/screen")
    assert r.status_code == 200
    html = r.text
    assert 'class="screen"' in html and '/static/vendor/echarts.min.js' in html and "/static/screen.js" in html
    assert "http://" not in html and "https://" not in html  # no CDN
    for chart in ("chart-epidemic", "chart-trend", "chart-category", "chart-street", "chart-special"):
        assert f'id="{chart}"' in html
    start = html.index('id="screen-data">') + len('id="screen-data">')
    data = json.loads(html[start:html.index("</script>", start)])
    assert data["today"]["received"] == 4
    text = text_of(html)
    assert "今日受理" in text and "时限风险" in text and known["old"] in text
    assert web.get("cmd", "/static/screen.js").status_code == 200


@pytest.mark.parametrize("user", ["sup", "adm"])
def test_supervisor_and_admin_may_open_the_big_screen(box, district, user):
    assert Web(box).get(user, "/screen").status_code == 200


def test_a_street_user_cannot_open_the_big_screen(box, district):
    web = Web(box)
    r = web.get("s1", "/screen")
    assert r.status_code == 403 and "无权" in text_of(r.text)
    assert web.get("s1", "/screen/events").status_code == 403
    assert web.get("op", "/screen").status_code == 403


def test_the_big_screen_asks_for_a_login_first(box, district):
    resp = TestClient(Web(box).app, follow_redirects=False).get("/screen")
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=/screen")


def read_events(resp, want: int, timeout: float, on_first=None) -> list[dict]:
    """Data of the first ``want`` "screen" events, within ``timeout`` seconds (keep-alives pace the loop)."""
    events: list[dict] = []
    deadline = time.monotonic() + timeout
    kind = None
    for line in resp.iter_lines():
        if time.monotonic() > deadline:
            break
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: ") and kind == "screen":
            events.append(json.loads(line[6:]))
            if len(events) == 1 and on_first:
                on_first()
            if len(events) >= want:
                break
        elif line == "":
            kind = None
    return events


def test_the_stream_sends_the_data_then_a_new_event_when_an_order_comes_in(box, district, known, monkeypatch):
    monkeypatch.setattr(screen_page, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(screen_page, "KEEPALIVE_SECONDS", 0.1)
    web = Web(box)
    op = district.actors["op"]
    result: dict = {}

    def consume():
        with web.client("cmd").stream("GET", "/screen/events") as resp:
            result["status"] = resp.status_code
            result["type"] = resp.headers["content-type"]
            result["events"] = read_events(resp, 2, 20.0, on_first=lambda: make(
                box, op, START + timedelta(minutes=31), urgency="critical", category="epi.medical", to="S2"))

    web.client("cmd")  # log in before the thread starts
    t = threading.Thread(target=consume, daemon=True)
    t.start()
    t.join(30)
    assert not t.is_alive(), "the stream did not deliver two events in time"
    assert result["status"] == 200 and result["type"].startswith("text/event-stream")
    first, second = result["events"]
    assert first["today"]["received"] == 4
    assert second["today"]["received"] == 5 and second["marker"] > first["marker"]
    assert second["sla"]["urgent_open"] == 4


def test_the_stream_keeps_quiet_connections_alive_with_comments(box, district, monkeypatch):
    monkeypatch.setattr(screen_page, "POLL_SECONDS", 0.02)
    monkeypatch.setattr(screen_page, "KEEPALIVE_SECONDS", 0.05)
    web = Web(box)
    web.client("cmd")
    lines: list[str] = []

    def consume():
        with web.client("cmd").stream("GET", "/screen/events") as resp:
            for line in resp.iter_lines():
                lines.append(line)
                if line.startswith(": keepalive"):
                    break

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive()
    assert lines[0].startswith("retry: ") and any(x.startswith("event: screen") for x in lines)
    assert lines[-1] == ": keepalive"


# ------------------------------------------------------------- the other contexts' panels

def test_screen_sections_are_quiet_when_their_contexts_have_no_data(box, district, known):
    d = Api(box).get("cmd", "/api/v1/screen").json()
    assert d["duty"]["available"] is True and d["duty"]["empty"] is True and d["duty"]["totals"]["on_duty"] == 0
    assert d["testing"] == {"available": True, "empty": True, "round": None, "worst_committees": [],
                            "total": {"must": 0, "tested": 0, "exempted": 0, "untested": 0, "positive": 0, "rate": 1.0}}
    assert d["sites"]["empty"] is True and d["sites"]["items"] == [] and d["sites"]["summary"]["over"] == 0
    assert d["passes"]["empty"] is True and (d["passes"]["issued"], d["passes"]["scans"]) == (0, 0)
    text = text_of(Web(box).get("cmd", "/screen").text)
    assert text.count("暂无") >= 4


def test_a_roster_on_duty_now_shows_in_the_duty_section(box, district):
    team_with_roster(box, district)  # A (fm, fm2) on the day shift at 09:00, B (fm3) off
    d = Api(box).get("cmd", "/api/v1/screen").json()["duty"]
    assert d["empty"] is False
    assert (d["totals"]["on_duty"], d["totals"]["off"], d["totals"]["teams_short_now"]) == (2, 1, 0)
    team = next(t for t in d["teams"] if t["code"] == "TEAM1")
    assert (team["on_duty"], team["off"], team["members"], team["has_roster"]) == (2, 1, 3, True)
    assert team["street"] == "龙华街道" and team["short_now"] is False
    assert "members" not in d and "phone" not in json.dumps(d)  # no people on the wall, only counts


def test_a_rounds_progress_shows_in_the_testing_section(box, district, tmp_path):
    setup_committee(box, district)
    import_results(box, [[ID(1), "张三丰", at(1), "阴性", "", "T1", "混管"], [ID(7), "周九", at(2), "阴性", "", "T1", "混管"]])
    rnd = round_uc.create_round(box.uow(), district.actors["sup"], name="第一轮全员筛查", area_code="S1", starts_at=T0,
                                ends_at=T0 + timedelta(hours=24), now=box.now())
    round_uc.refresh_progress(box.uow(), district.actors["sup"], rnd["id"], DuckDbCrossMatcher(box.engine, tmp_path),
                              box.now())
    t = Api(box).get("cmd", "/api/v1/screen").json()["testing"]
    assert t["empty"] is False and t["round"]["name"] == "第一轮全员筛查" and t["round"]["area"] == "龙华街道"
    assert (t["total"]["must"], t["total"]["tested"], t["total"]["exempted"], t["total"]["untested"]) == (7, 2, 2, 3)
    assert t["total"]["rate"] == round(4 / 7, 4)
    assert [(c["code"], c["untested"]) for c in t["worst_committees"]] == [("S1C1", 3)]


def _site_report(eid, at, queue):
    return ingest.Incoming({"id": eid, "type": "site_status", "at": at.isoformat(),
                            "data": {"queue_length": queue, "samples_per_hour": 120, "staff_on_site": 2, "pda_working": 4,
                                     "pda_total": 4, "supplies": {"swabs": 500, "tubes": 40}}},
                           "mqtt", at, device_code="SITE-1", device_kind="site_terminal")


def test_a_site_over_threshold_shows_in_the_sites_section(box, district):
    setup_alerts(box, START)
    ingest.ingest(box.uow(), [_site_report("q1", START, 280)], START)
    s = Api(box).get("cmd", "/api/v1/screen").json()["sites"]
    assert s["empty"] is False and s["summary"]["sites"] == 1 and s["summary"]["alert"] == 1 and s["summary"]["over"] == 1
    [site] = s["items"]
    assert (site["device"], site["level"], site["over"], site["queue_length"], site["samples_per_hour"]) == \
        ("SITE-1", "alert", True, 280, 120)
    assert (site["staff_on_site"], site["pda_working"], site["pda_total"], site["supplies"]) == \
        (2, 4, 4, {"swabs": 500, "tubes": 40})
    assert "queue" in site["findings"] and site["wait_minutes"] == 140.0
    # …and the page draws it (a template once read the dict's .items method instead of its list)
    from .web_helpers import Web
    page = Web(box).get("cmd", "/screen")
    assert page.status_code == 200 and 'data-device="SITE-1"' in page.text


def test_an_issued_pass_shows_in_the_passes_section(box, district, clock):
    api = Api(box)
    setup_area(api)
    import_passes_results(api, [[id_number(1), "张三丰", local(clock.now - timedelta(hours=10)), "阴性", "混管",
                                 "徐汇采样点", "T1"]])
    out = apply_for_pass(api, box, clock, number=id_number(1))
    assert out["status"] == "issued"
    r = api.post("fm", "/api/v1/passes/scan", json={"qr": out["pass"]["qr_text"], "checkpoint": "G1", "direction": "in"})
    assert r.json()["result"] == "ALLOW"
    api.post("fm", "/api/v1/passes/scan", json={"qr": "HC1:garbage", "checkpoint": "G1", "direction": "in"})
    p = api.get("cmd", "/api/v1/screen").json()["passes"]
    assert p["empty"] is False and (p["issued"], p["refused"], p["scans"], p["allowed"], p["denied"]) == (1, 0, 2, 1, 1)
    assert p["denials_by_reason"] == {"wrong_prefix": 1}


def test_a_street_user_sees_only_its_scope_in_the_new_sections(box, district, tmp_path):
    team_with_roster(box, district)  # TEAM1 lies under S1
    setup_alerts(box, START)         # SITE-1 belongs to S2
    ingest.ingest(box.uow(), [_site_report("q1", START, 280)], START)
    api = Api(box)
    s1 = api.get("s1", "/api/v1/screen").json()
    assert [t["code"] for t in s1["duty"]["teams"]] == ["TEAM1"] and s1["sites"]["items"] == []
    s2 = api.get("s2", "/api/v1/screen").json()
    assert s2["duty"]["teams"] == [] and s2["duty"]["empty"] is True
    assert [x["device"] for x in s2["sites"]["items"]] == ["SITE-1"]
    # pass statistics are the center's: a street gets no district figures, and no error
    assert s1["passes"] == {"available": False, "empty": True} and s2["passes"]["available"] is False
    cmd = api.get("cmd", "/api/v1/screen").json()
    assert cmd["passes"]["available"] is True and {t["code"] for t in cmd["duty"]["teams"]} >= {"TEAM1"}


def test_the_stream_notices_a_change_in_another_context(box, district, known, monkeypatch):
    monkeypatch.setattr(screen_page, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(screen_page, "KEEPALIVE_SECONDS", 0.1)
    setup_alerts(box, START)
    web = Web(box)
    result: dict = {}

    def consume():
        with web.client("cmd").stream("GET", "/screen/events") as resp:
            result["events"] = read_events(resp, 2, 20.0, on_first=lambda: ingest.ingest(
                box.uow(), [_site_report("q1", box.now(), 280)], box.now()))

    web.client("cmd")
    t = threading.Thread(target=consume, daemon=True)
    t.start()
    t.join(30)
    assert not t.is_alive(), "the stream did not deliver two events in time"
    first, second = result["events"]
    assert first["sites"]["empty"] is True
    assert second["sites"]["summary"]["alert"] == 1 and second["marker"] == first["marker"]  # no order event
