"""A real browser (Debian's Chromium via Playwright) against the real web app on a free port."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.review.users import create_user
from bot.storage.db import session_factory, upgrade
from bot.storage.intakes import IntakeDraft, submit_intake
from tests.e2e.conftest import free_port
from tests.web.conftest import PASSWORD, XSS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path("artifacts")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing. Fix: run scripts/ensure-browser.sh (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'web.db'}"
    upgrade(url)
    with session_factory(url).begin() as s:
        create_user(s, "bea", PASSWORD, "broker")
        for i, (theme, code, district) in enumerate([("safety", "BU05460302", "WK054603"),
                                                      ("mobility", "WK054608", "WK054608"),
                                                      ("health_wellbeing", "BU05460600", "WK054606")] * 4):
            submit_intake(s, IntakeDraft(language="nl" if i % 2 else "en", description=f"Vraag {i}: eenzame ouderen",
                                         theme=theme, theme_confidence=0.8, neighbourhood_kind="neighbourhood",
                                         neighbourhood_code=code, district_code=district, urgency="normal",
                                         sender_id=f"b{i}"))
        submit_intake(s, IntakeDraft(language="nl", description=XSS, theme="other", sender_id="xss",
                                     neighbourhood_kind="unresolved", neighbourhood_text="Blauwe Buurt"))
    yield from serve(url, tmp)


def serve(url: str, tmp: Path, **extra: str) -> Iterator[str]:
    """The web app as its own process on a free port, on the database at `url`; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "STADSVRAAG_VAR_DIR": str(tmp),
           "MATCHING_DATABASE_URL": f"sqlite:///{tmp / 'matching.db'}", **extra}
    env.pop("MATCHING_BACKEND_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bot.web.app:create_app", "--factory", "--port",
                             str(port), "--ws", "none", "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def all_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Every axe violation, whatever its impact (the maps must have none)."""
    from axe_playwright_python.sync_playwright import Axe

    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in Axe().run(page).response["violations"]]


def serious_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


def signed_in_page(browser, base: str, username: str = "bea"):  # type: ignore[no-untyped-def]
    """A desktop-sized page with `username` signed in to the dashboard."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/broker/login")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}/broker/")
    return page
