"""End-to-end tests in a real browser: Debian's headless Chromium driven by Playwright.

A live server (uvicorn in a thread) runs the app on a seeded demo district in a temporary
SQLite database. Screenshots are saved under artifacts/e2e/. Without /usr/bin/chromium
(`apt-get install chromium fonts-noto-cjk`; .ci/run installs them) these tests are skipped with
that reason — or fail, when CITYOPS_E2E_REQUIRED=1 (as in CI).
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CITYOPS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
PASSWORD = "cityops-demo"

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CITYOPS_E2E_REQUIRED") == "1":
            pytest.fail(f"{CHROMIUM} not installed and CITYOPS_E2E_REQUIRED=1 (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    import uvicorn

    from cityops.adapters.db.migrate import upgrade
    from cityops.app.demo import seed_demo
    from cityops.bootstrap import bootstrap
    from cityops.entrypoints.api.app import create_app
    from cityops.entrypoints.demo_alerts_passes import seed_demo_alerts_passes
    from cityops.entrypoints.demo_community import seed_demo_community
    from cityops.entrypoints.demo_knowledge import seed_demo_knowledge
    from cityops.entrypoints.duty_cli import seed_demo_duty
    from cityops.settings import load_settings

    d = tmp_path_factory.mktemp("e2e")
    settings = load_settings({}, env="test", database_url=f"sqlite:///{d}/cityops.db", media_dir=str(d / "media"),
                             sweep_interval_seconds=1.0)
    box = bootstrap(settings)
    upgrade(box.engine)
    # 300 orders keep the run short; the README's pictures are taken with the full demo (2,000).
    seed_demo(box, orders=int(os.environ.get("CITYOPS_E2E_ORDERS", "300")))
    # the rest of `cityops seed-demo`: gazetteer, routing rules and knowledge base; the community
    # round; duty rosters; devices, sampling sites and passes
    seed_demo_knowledge(box)
    seed_demo_community(box)
    seed_demo_duty(box)
    seed_demo_alerts_passes(box)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(box), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "box": box}
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def browser(live_server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page(user=None, viewport=(1366, 900)) → a page, logged in as ``user`` when given."""
    contexts = []

    def make(user: str | None = None, width: int = 1366, height: int = 900, locale: str = "zh-CN"):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                  base_url=live_server["url"])
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        if user:
            login(page, user)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def login(page, user: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def keep_for_readme(path: Path, name: str) -> None:
    """Copy a screenshot to docs/img when CITYOPS_UPDATE_SCREENSHOTS=1 (how the README's pictures are made)."""
    if os.environ.get("CITYOPS_UPDATE_SCREENSHOTS") == "1":
        target = Path(__file__).resolve().parents[2] / "docs" / "img" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
