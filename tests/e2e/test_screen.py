"""The big screen at 1920×1080: charts drawn with data, live updates over SSE."""
import httpx

from .conftest import PASSWORD, keep_for_readme, shot


def test_the_big_screen_draws_its_charts_with_the_days_data(new_page):
    page = new_page("commander1", width=1920, height=1080)
    page.goto("/screen")
    page.locator('body.screen[data-ready="1"]').wait_for(timeout=15_000)
    for chart in ("#chart-epidemic", "#chart-trend", "#chart-category", "#chart-street", "#chart-special"):
        # ECharts draws into a canvas inside the container; an empty container means no chart.
        assert page.locator(f"{chart} canvas").count() >= 1, chart
    # The charts carry data: ECharts' own model says how many points each series has.
    points = page.evaluate("""() => ['#chart-category', '#chart-street', '#chart-trend'].map(sel => {
        const inst = echarts.getInstanceByDom(document.querySelector(sel));
        return inst.getOption().series.reduce((n, s) => n + (s.data || []).length, 0); })""")
    assert all(p > 0 for p in points), points
    assert int(page.locator("#kpi-open").inner_text().replace(",", "")) > 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1920
    assert page.evaluate("() => document.documentElement.scrollHeight") <= 1080  # one screen, no scrolling
    # the bottom row: duty, testing progress, testing sites, passes — each on the screen, with its counts
    panels = page.evaluate("""() => ['duty', 'testing', 'sites', 'passes'].map(k => {
        const el = document.querySelector('#panel-' + k), r = el.getBoundingClientRect();
        return {k, ...el.dataset, top: r.top, bottom: r.bottom, right: r.right,
                body: el.querySelector('.mini-body').scrollHeight <= el.querySelector('.mini-body').clientHeight + 2,
                text: el.innerText}; })""")
    for p in panels:
        assert p["bottom"] <= 1080 and p["right"] <= 1920, p
        assert p["text"].strip(), p  # figures or a quiet 暂无, never blank
        assert p["empty"] == "1" or "暂无" not in p["text"], p
    duty, testing, sites, passes = panels
    assert int(duty["onDuty"]) > 0 and int(duty["teams"]) > 0  # the demo's rosters: someone is on duty now
    assert int(sites["sites"]) >= 0 and int(passes["issued"]) >= 0 and int(testing["tested"]) >= 0
    for p in panels:  # the data-* counts agree with the server's object
        assert page.evaluate(f"() => document.querySelector('#panel-{p['k']}').dataset.empty") == p["empty"]
    path = shot(page, "screen")
    keep_for_readme(path, "big-screen.png")
    assert page.errors == []


def test_the_big_screen_updates_without_reload_when_an_order_arrives(new_page, live_server):
    page = new_page("supervisor1", width=1920, height=1080)
    page.goto("/screen")
    page.locator('body.screen[data-ready="1"]').wait_for(timeout=15_000)
    page.evaluate("() => { window.__noReload = true; }")
    before = int(page.locator("#kpi-received").inner_text().replace(",", ""))
    with httpx.Client(base_url=live_server["url"]) as c:
        token = c.post("/api/v1/auth/login", json={"username": "operator1", "password": PASSWORD}).json()["token"]
        r = c.post("/api/v1/orders", headers={"Authorization": f"Bearer {token}"},
                   json={"text": "大屏实时测试：小区门口核酸点排队太长", "urgency": "normal", "address": "望潮路88弄"})
        assert r.status_code == 201
    page.wait_for_function(f"() => parseInt(document.querySelector('#kpi-received').innerText.replace(/,/g, '')) > {before}",
                           timeout=15_000)
    assert page.evaluate("() => window.__noReload") is True  # same page: updated in place
    assert page.locator('#screen-conn[data-state="live"]').count() == 1
