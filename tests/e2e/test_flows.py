"""Whole flows in the browser: a call from intake to close; the field team's phone page."""
import struct
import zlib

import httpx

from .conftest import PASSWORD, keep_for_readme, shot

TEXT = "我母亲八十多岁独居，每周三次透析，小区封控后出不去，明天就要透析了，社区电话打不通"


def png_bytes() -> bytes:
    """A real 2×2 PNG (a phone photo stand-in)."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def api(live_server, user="operator1"):
    c = httpx.Client(base_url=live_server["url"])
    token = c.post("/api/v1/auth/login", json={"username": user, "password": PASSWORD}).json()["token"]
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def test_a_call_from_intake_to_close_through_every_role(new_page, live_server):
    op = new_page("operator1", width=1600, height=1000)
    op.goto("/intake")
    op.fill("#f-caller-name", "王秀兰")
    op.fill("#f-caller-phone", "13912345678")
    op.fill("#f-address", "望潮路88弄3号")
    op.fill("#f-text", TEXT)
    # Suggestions arrive while typing: a critical call is impossible to miss.
    op.locator("#suggest [data-pick=category]").first.wait_for()
    op.locator("#critical-banner.on").wait_for()
    op.locator("[data-pick-all]").first.click()
    op.select_option("#f-lead-unit", "BJ-S01")
    path = shot(op, "intake")
    keep_for_readme(path, "console-intake.png")
    op.click("#btn-dispatch")
    box = op.locator("#created-box[data-number]")
    box.wait_for()
    number = box.get_attribute("data-number")
    assert box.get_attribute("data-state") == "dispatched"
    assert op.input_value("#f-text") == ""  # ready for the next call

    street = new_page("wangchao")
    street.goto(f"/orders/{number}")
    street.click('details[data-action="accept"] button[type=submit]')
    street.wait_for_url(f"**/orders/{number}?done=accept")
    street.click('details[data-action="feedback"] > summary')
    form = street.locator('details[data-action="feedback"] form')
    form.locator("textarea[name=result]").fill("已联系区卫健委安排专车接送透析，社区志愿者陪同")
    form.locator("input[type=file]").set_input_files({"name": "现场.png", "mimeType": "image/png", "buffer": png_bytes()})
    form.locator("button[type=submit]").click()
    street.wait_for_url(f"**/orders/{number}?done=feedback")
    assert street.locator("img.thumb").count() == 1

    back = new_page("operator1")
    back.goto(f"/orders/{number}")
    back.click('details[data-action="callback"] > summary')
    back.select_option('details[data-action="callback"] select[name=satisfaction]', "satisfied")
    back.check('details[data-action="callback"] input[name=solved]')
    back.click('details[data-action="callback"] button[type=submit]')
    back.wait_for_url(f"**/orders/{number}?done=callback")
    back.on("dialog", lambda d: d.accept())
    back.click('details[data-action="close"] > summary')
    back.click('details[data-action="close"] button[type=submit]')
    back.wait_for_url(f"**/orders/{number}?done=close")
    assert back.locator(".toolbar [data-state]").get_attribute("data-state") == "closed"
    kinds = back.locator("ol.timeline li").evaluate_all("els => els.map(e => e.dataset.kind)")
    assert [k for k in kinds if k in ("received", "dispatched", "accepted", "feedback_submitted",
                                      "callback_recorded", "closed")] == \
        ["received", "dispatched", "accepted", "feedback_submitted", "callback_recorded", "closed"]
    assert op.errors == [] and street.errors == [] and back.errors == []


def test_double_clicking_dispatch_creates_one_order(new_page, live_server):
    op = new_page("operator1")
    op.goto("/intake")
    marker = "双击测试-楼道灯坏了一个月没人修-" + op.evaluate("() => String(Date.now())")
    op.fill("#f-text", marker)
    op.fill("#f-address", "望潮路88弄3号")
    op.select_option("#f-lead-unit", "BJ-S01")
    op.dblclick("#btn-dispatch")
    op.locator("#created-box[data-number]").wait_for()
    op.wait_for_timeout(800)
    found = api(live_server).get("/api/v1/orders", params={"q": marker, "state": ["dispatched"]}).json()
    assert found["total"] == 1


def test_the_field_page_on_a_360_pixel_phone_accept_arrive_and_resolve_with_a_photo(new_page, live_server):
    c = api(live_server)
    r = c.post("/api/v1/orders", json={"text": "封控楼栋独居老人家中断药，需要上门送药", "urgency": "urgent",
                                        "address": "望潮路88弄5号", "dispatch_to": "BJ-S01-WG"})
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    phone = new_page("wg01", width=360, height=740)
    phone.goto("/field")
    item = phone.locator(f'#field-list li.field-item[data-number="{number}"]')
    item.wait_for()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    path = shot(phone, "field-list")
    keep_for_readme(path, "console-field.png")
    item.locator("a").first.click()
    phone.click('[data-action="accept"]')
    phone.locator('.flash.ok[data-done="accept"]').wait_for()
    phone.locator("#act-arrived input[type=file]").set_input_files(
        {"name": "到场.png", "mimeType": "image/png", "buffer": png_bytes()})
    phone.click('[data-action="arrived"]')
    phone.locator('.flash.ok[data-done="arrived"]').wait_for()
    phone.fill("#act-resolve textarea[name=result], #act-resolve [name=result]", "药已送到，老人情况稳定")
    phone.locator("#act-resolve input[type=file]").set_input_files(
        {"name": "送达.png", "mimeType": "image/png", "buffer": png_bytes()})
    phone.click('[data-action="resolve"]')
    phone.wait_for_url("**/field?done=resolve*")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 360
    detail = c.get(f"/api/v1/orders/{number}").json()
    c.close()
    assert detail["state"] == "feedback_submitted"
    assert sum(len(e["data"].get("attachment_ids", [])) for e in detail["timeline"]) == 2
