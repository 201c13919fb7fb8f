"""The console in a real browser: roles, the order's life through the pages, scope, alarm."""
import httpx
import pytest

from .conftest import PASSWORD, keep_for_readme, login, shot

HOMES = [("operator1", "/intake"), ("supervisor1", "/supervise"), ("wangchao", "/queue"), ("wg01", "/field"),
         ("commander1", "/screen"), ("admin", "/admin")]


def api_order(live_server, **fields) -> str:
    """An order made through the JSON API as operator1 (the intake page has its own test)."""
    with httpx.Client(base_url=live_server["url"]) as c:
        token = c.post("/api/v1/auth/login", json={"username": "operator1", "password": PASSWORD}).json()["token"]
        body = {"text": "小区封控后独居老人家里没米了，电话联系不上社区", "urgency": "urgent", "category": "epi.supplies",
                "caller_name": "李桂英", "caller_phone": "13812345678", "address": "望潮路88弄3号"} | fields
        r = c.post("/api/v1/orders", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text
        return r.json()["number"]


@pytest.mark.parametrize("user, home", HOMES)
def test_each_role_logs_in_and_lands_on_its_home(new_page, user, home):
    page = new_page(user)
    assert page.url.endswith(home)
    if home == "/screen":  # the big screen has its own header
        assert page.locator("#screen-conn").is_visible()
    else:
        assert page.locator(".topbar .user").get_attribute("data-role")
    assert page.errors == []


def test_a_wrong_password_shows_a_message_and_keeps_the_user_name(new_page):
    page = new_page()
    login(page, "operator1", "wrong")
    assert page.locator(".flash.error").is_visible()
    assert page.input_value("input[name=username]") == "operator1"


def test_a_street_user_cannot_open_another_streets_order_by_url(new_page, live_server):
    number = api_order(live_server, dispatch_to="BJ-S02")
    page = new_page("wangchao")
    response = page.goto(f"/orders/{number}")
    assert response.status == 404
    assert number in page.locator(".flash.error").inner_text()


def test_accept_then_return_with_a_reason_then_the_operator_redispatches(new_page, live_server):
    number = api_order(live_server, dispatch_to="BJ-S01")
    unit = new_page("wangchao")
    unit.goto(f"/orders/{number}")
    unit.click('details[data-action="accept"] button[type=submit]')
    unit.wait_for_url(f"**/orders/{number}?done=accept")
    assert unit.locator('[data-state]').first.get_attribute("data-state") == "accepted"

    unit.click('details[data-action="return"] > summary')
    form = unit.locator('details[data-action="return"] form')
    unit.on("dialog", lambda d: d.accept())  # the "really return?" confirmation
    form.locator("button[type=submit]").click()
    # The browser refuses an empty reason before anything is sent.
    assert form.locator("textarea[name=reason]").evaluate("el => el.validity.valueMissing")
    form.locator("textarea[name=reason]").fill("不属于本街道，地址在东湖镇")
    form.locator("button[type=submit]").click()
    # Returned, the order leaves the street's sight: back to the queue with a note.
    unit.wait_for_url("**/queue?done=return*")
    assert number in unit.locator(".flash.ok").inner_text()

    op = new_page("supervisor1")
    op.goto(f"/orders/{number}")
    op.click('details[data-action="dispatch"] > summary')
    op.select_option('details[data-action="dispatch"] select[name=lead_unit]', "BJ-S02")
    op.click('details[data-action="dispatch"] button[type=submit]')
    op.wait_for_url(f"**/orders/{number}?done=dispatch")
    assert op.locator('ol.timeline li[data-kind="redispatched"]').count() == 1


def test_a_server_refusal_shows_the_message_in_the_form_and_keeps_the_text(new_page, live_server):
    number = api_order(live_server, dispatch_to="BJ-S01")
    page = new_page("supervisor1")
    page.goto(f"/orders/{number}")
    page.click('details[data-action="merge"] > summary')
    form = page.locator('details[data-action="merge"] form')
    form.locator("input[name=parent]").fill("999999999")
    form.locator("textarea[name=reason]").fill("同一小区同一诉求")
    page.once("dialog", lambda d: d.accept())
    form.locator("button[type=submit]").click()
    form.locator(".form-msg .flash.error").wait_for()
    assert form.locator("textarea[name=reason]").input_value() == "同一小区同一诉求"
    assert page.url.endswith(f"/orders/{number}")


def test_the_queue_counts_down_and_rings_when_an_order_goes_overdue(new_page, live_server):
    api_order(live_server, dispatch_to="BJ-S01")
    page = new_page("wangchao")
    page.goto("/queue")
    first = page.locator("[data-due]").first
    page.evaluate("""() => { document.querySelector('[data-due]').dataset.due = String(Date.now() / 1000 + 90); }""")
    page.wait_for_timeout(1100)
    before = first.inner_text()
    page.wait_for_timeout(1100)
    assert before.startswith("1m") and first.inner_text() != before
    # Move one deadline into the past in the page: the row turns red and the alarm shows.
    page.evaluate("""() => { const el = document.querySelector('[data-due]');
                            el.dataset.due = String(Date.now() / 1000 - 5); }""")
    page.locator("#alarm.on").wait_for()
    assert "risk-overdue" in first.evaluate("el => el.closest('tr').className")
    path = shot(page, "queue")
    keep_for_readme(path, "console-queue.png")
    page.click('[data-alarm="ack"]')
    assert not page.locator("#alarm.on").is_visible()


def test_the_queue_filters_without_reloading_the_page(new_page):
    page = new_page("supervisor1")
    page.goto("/queue")
    total_all = int(page.locator("table.queue").get_attribute("data-total"))
    page.select_option("select[name=urgency]", "critical")
    page.wait_for_function(f"() => document.querySelector('table.queue').dataset.total !== '{total_all}'")
    assert "urgency=critical" in page.url
    assert page.locator("table.queue tbody tr .badge.urgent").count() == 0


def test_english_switch_changes_the_pages_language(new_page):
    page = new_page("wangchao")
    page.click("a.lang")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == "Queue"
