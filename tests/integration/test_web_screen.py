"""The big screen: /api/v1/screen figures for a known set of orders, scoping, the page, the SSE stream."""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cityops.app.orders import usecases as uc
from cityops.entrypoints.web import screen as screen_page

from ..conftest import START
from .api_helpers import Api
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
