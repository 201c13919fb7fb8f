"""The checkpoint page in a real browser (a 390-px phone): a scanner gun types the code and
presses Enter → ALLOW in large type; with the network cut, the page verifies the pass itself from
the signed lists it downloaded and queues the scan, which is uploaded once back online."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cityops.adapters.db.tables import outbox, pass_checkpoints, pass_scans
from cityops.app.passes import apply as apply_uc
from cityops.app.passes import results as results_uc
from cityops.app.passes import setup as setup_uc
from cityops.domain.people import id_check_digit

from .conftest import shot


@pytest.fixture(scope="module")
def a_pass(live_server):
    box = live_server["box"]
    now = box.now()
    with box.uow() as uow:
        street = next(u for u in uow.units.all() if u.kind == "street")
    setup_uc.add_area(box.uow(), None, code="E2E-A", name="测试封控区", kind="sealed", unit=street.code,
                      manual_approval=False, now=now)
    setup_uc.add_checkpoint(box.uow(), None, code="E2E-G", name="测试卡口", area="E2E-A", now=now)
    first = "31010419900101123"
    number = first + id_check_digit(first)
    sample = (now - timedelta(hours=2) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    results_uc.import_results(box.uow(), box.pass_crypto, None,
                              f"身份证号,姓名,采样时间,检测结果\n{number},赵卡口,{sample},阴性\n".encode(), "e2e.csv", now)
    otp = apply_uc.request_code(box.uow(), "13699990001", now)
    with box.engine.connect() as c:  # the newest code sent to this phone (the demo's applicants have their own)
        body = c.execute(sa.select(outbox.c.body).where(outbox.c.recipient == "13699990001")
                         .order_by(outbox.c.id.desc())).scalar()
    out = apply_uc.submit(box.uow(), box.pass_crypto, apply_uc.NewApplication(
        name="赵卡口", id_number=number, phone="13699990001", otp_id=otp["otp_id"],
        code=re.search(r"\d{6}", body).group(0), employer="e2e", reason="supplies", area="E2E-A",
        directions=["in"], period_start=now, period_end=now + timedelta(hours=10)), now)
    assert out["status"] == "issued"
    return out["pass"]


def scan(page, text):
    page.fill("#scan-text", text)
    page.press("#scan-text", "Enter")


def test_a_scanner_gun_scan_shows_allow_and_offline_scans_are_verified_here_and_uploaded_later(new_page, live_server,
                                                                                            a_pass):
    page = new_page("wg01", 390, 844)
    page.goto("/pass/checkpoint")
    page.select_option("#cp", "E2E-G")
    page.wait_for_function("document.getElementById('lists-age').textContent !== '—'")
    scan(page, a_pass["qr_text"])
    page.wait_for_selector("#verdict.allow")
    assert page.inner_text("#verdict-word") == "准予通行"
    shot(page, "pass-checkpoint-allow")
    page.check("input[name=dir][value=out]")
    scan(page, a_pass["qr_text"])
    page.wait_for_selector("#verdict.deny")
    assert "方向" in page.inner_text("#verdict-reason")

    page.context.set_offline(True)
    page.check("input[name=dir][value=in]")
    scan(page, a_pass["qr_text"])
    page.wait_for_selector("#verdict.allow")
    assert "离线" in page.inner_text("#verdict-mode")
    scan(page, a_pass["qr_text"][:-9] + "AAAAAAAAA")
    page.wait_for_selector("#verdict.deny")
    assert page.inner_text("#queue-count") == "2"
    shot(page, "pass-checkpoint-offline-deny")

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("document.getElementById('queue-count').textContent === '0'")
    with live_server["box"].engine.connect() as c:
        modes = c.execute(sa.select(pass_scans.c.mode, sa.func.count())
                          .where(pass_scans.c.checkpoint_id.in_(sa.select(pass_checkpoints.c.id)
                                                                .where(pass_checkpoints.c.code == "E2E-G")))
                          .group_by(pass_scans.c.mode)).all()
    assert dict(modes) == {"online": 2, "offline": 2}  # this checkpoint's scans (the demo has its own)
    assert page.errors == []
