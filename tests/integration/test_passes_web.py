"""The passes pages over HTTP: a citizen applies on the phone page (code by SMS), sees the QR code;
the checkpoint page loads for a field member; the street office approves from its queue."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.integration.api_helpers import Api
from tests.integration.passes_helpers import id_number, import_results, local, setup_area, sms_code
from tests.integration.web_helpers import Web, text_of


@pytest.fixture
def web(box, district):
    api = Api(box)
    setup_area(api)
    setup_area(api, code="A2", manual=True, unit="S2", checkpoint="G2")
    import_results(api, [[id_number(1), "王小明", local(box.now() - timedelta(hours=5)), "阴性", "混管", "", "T"]])
    return Web(box)


def citizen_apply(web, box, area="A1"):
    c = TestClient(web.app, follow_redirects=False)
    page = c.get("/pass/apply")
    assert page.status_code == 200 and "申请通行码" in page.text and "48" in page.text
    r = c.post("/pass/apply/code", data={"phone": "13912340000"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "139****0000" in r.text
    otp = r.text.split('name="otp_id" value="')[1].split('"')[0]
    now = box.now() + timedelta(hours=8)
    r = c.post("/pass/apply", headers={"HX-Request": "true"}, data={
        "name": "王小明", "id_number": id_number(1), "phone": "13912340000", "otp_id": otp,
        "code": sms_code(box, "13912340000"), "employer": "盒马鲜生", "reason": "supplies", "area": area,
        "directions": ["in", "out"], "period_start": now.strftime("%Y-%m-%dT%H:%M"),
        "period_end": (now + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 204, r.text
    return c, r.headers["HX-Redirect"]


def test_a_citizen_applies_on_the_phone_page_and_sees_the_qr_code(web, box):
    c, url = citizen_apply(web, box)
    page = c.get(url)
    assert page.status_code == 200 and "<svg" in page.text and "qr.png" in page.text
    assert "王小明" in text_of(page.text)


def test_a_bad_id_number_is_shown_in_the_form_not_a_server_error(web, box):
    c = TestClient(web.app)
    r = c.post("/pass/apply", headers={"HX-Request": "true"}, data={"name": "x", "id_number": "123", "phone": "13912340000",
                                                                    "period_start": "2022-03-25T10:00", "period_end": "2022-03-25T12:00"})
    assert r.status_code == 422 and "身份证" in r.text


def test_the_street_office_approves_a_pending_application_from_its_queue(web, box):
    c, url = citizen_apply(web, box, area="A2")
    assert "等待街道审批" in c.get(url).text
    app_id = url.split("/pass/a/")[1].split("?")[0]
    q = web.get("s2", "/pass/queue")
    assert q.status_code == 200 and f'data-app="{app_id}"' in q.text and "王*明" in q.text
    r = web.form("s2", f"/pass/queue/{app_id}/decide", {"approve": "1"})
    assert r.status_code == 204
    assert "<svg" in c.get(url).text


def test_the_checkpoint_page_has_the_scanner_field_the_camera_and_the_checkpoints(web):
    page = web.get("fm", "/pass/checkpoint")
    assert page.status_code == 200
    for needle in ('id="scan-text"', 'id="camera"', "龙华路卡口", "passes_checkpoint.js", "准予通行"):
        assert needle in page.text
