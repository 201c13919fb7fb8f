"""The committee's phone page and the duty board in a real browser, on the seeded demo."""
from .conftest import keep_for_readme, shot


def test_a_committee_secretary_sees_untested_residents_of_a_building_on_a_phone(new_page):
    phone = new_page("juwei", width=360, height=740)
    phone.goto("/community")
    buildings = phone.locator("#cm-buildings li[data-building]")
    assert buildings.count() > 0
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    path = shot(phone, "community-phone")
    keep_for_readme(path, "community-phone.png")
    # open the building with the most untested residents
    counts = buildings.evaluate_all("els => els.map(e => parseInt(e.dataset.untested))")
    worst = max(range(len(counts)), key=lambda i: counts[i])
    assert counts[worst] > 0
    buildings.nth(worst).locator("a").first.click()
    phone.wait_for_load_state("networkidle")
    rows = phone.locator("#untested-list [data-resident]")
    assert rows.count() == counts[worst]
    # names and phones are masked on the list
    text = phone.locator("#untested-list").inner_text()
    assert "*" in text
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert phone.errors == []


def test_the_duty_board_shows_who_is_on_duty_now(new_page):
    page = new_page("supervisor1")
    page.goto("/duty")
    total = page.locator("#duty-now .duty-total[data-on]")
    assert int(total.get_attribute("data-on")) > 0
    assert page.errors == []
