"""The broker's day in a real browser: sign in, filter, open a hostile intake, correct, forward, see history."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, serious_violations
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_broker_handles_an_intake_from_queue_to_forwarded(browser, web: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(f"{web}/broker/")
    assert "/broker/login" in page.url
    page.get_by_label("Gebruikersnaam").fill("bea")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{web}/broker/")
    assert page.locator("table.queue tbody tr").count() == 13
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "broker-queue.png"), full_page=True)

    page.get_by_label("Thema").select_option("other")
    page.get_by_role("button", name="Filteren").click()
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 1

    rows.first.get_by_role("link").click()
    page.wait_for_selector("h1")
    assert page.evaluate("window.__xss") is None and dialogs == []  # the payload is shown, not run
    assert "<script>window.__xss = 1</script>" in page.locator(".description").inner_text()
    assert page.locator(".attention").is_visible()
    assert serious_violations(page) == []

    page.get_by_label("Buurt", exact=True).select_option("BU05460600")
    page.get_by_role("button", name="Opslaan").click()
    page.wait_for_selector("p.ok")
    page.get_by_role("button", name="Doorsturen naar matching").click()
    page.wait_for_selector("p.ok")
    assert "klaar voor matching" in page.locator("h1 .badge").inner_text()
    history = page.locator("table").last.inner_text()
    assert "neighbourhood_code" in history and "BU05460600" in history and "ready_for_matching" in history
    assert "broker:bea" in history
    assert "wacht op de matching-backend" in page.locator("body").inner_text()

    page.goto(f"{web}/broker/overview")
    assert page.locator("svg.chart").count() == 4
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "broker-overview.png"), full_page=True)
    context.close()


def test_the_dashboard_works_with_the_keyboard_only(browser, web: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{web}/broker/login")
    page.keyboard.press("Tab")  # skip link first
    page.keyboard.press("Tab")  # language switch
    page.keyboard.press("Tab")
    page.keyboard.type("bea")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{web}/broker/")
    assert page.locator("h1").inner_text() == "Vragen"
    assert serious_violations(page) == []
    page.close()
