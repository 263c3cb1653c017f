"""Similar questions and the stop page in a real browser: side by side, joined with a click, no axe violations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.notify.updates import stop_token
from bot.review import grouping
from bot.review.users import create_user
from bot.storage.db import session_factory, upgrade
from bot.storage.intakes import IntakeDraft, submit_intake
from tests.browser.conftest import ARTIFACTS, all_violations, serve, signed_in_page
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

TEXTS = ("Rond het winkelcentrum in de Stevenshof ligt altijd veel zwerfafval",
         "Zwerfafval bij winkelcentrum Stevenshof, elke dag weer troep",
         "Er staan te weinig bankjes in het park in de Merenwijk")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str], str]]:
    tmp = tmp_path_factory.mktemp("similar")
    url = f"sqlite:///{tmp / 'web.db'}"
    upgrade(url)
    uuids = []
    with session_factory(url).begin() as s:
        create_user(s, "bea", PASSWORD, "broker")
        for text, code in zip(TEXTS, ("WK054609", "WK054609", "WK054608"), strict=True):
            intake = submit_intake(s, IntakeDraft(language="nl", description=text, theme="public_space",
                                                  neighbourhood_kind="district", neighbourhood_code=code,
                                                  district_code=code, consent_contact=True,
                                                  contact_email="bewoner@example.nl"))
            grouping.link_similar(s, intake)
            uuids.append(str(intake.uuid))
        token = stop_token(intake)
    for base in serve(url, tmp):
        yield base, uuids, token


def test_the_broker_sees_similar_questions_side_by_side_and_joins_them(browser, site) -> None:  # type: ignore[no-untyped-def]
    base, (first, second, _), _ = site
    page = signed_in_page(browser, base)
    page.goto(f"{base}/broker/intakes/{second}")
    pair = page.locator(".side-by-side")
    assert pair.count() == 1 and TEXTS[0] in pair.inner_text() and TEXTS[1] in pair.inner_text()
    assert all_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "broker-similar.png"), full_page=True)
    pair.get_by_role("button", name="Samenvoegen tot één groep").click()
    page.wait_for_selector("p.ok")
    assert "Deze vragen worden samen behandeld" in page.locator("body").inner_text()
    page.goto(f"{base}/broker/")
    assert "2 bewoners" in page.locator("table.queue").inner_text()
    assert all_violations(page) == []
    page.close()


def test_the_stop_page_asks_then_stops(browser, site) -> None:  # type: ignore[no-untyped-def]
    base, _, token = site
    page = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    page.goto(f"{base}/updates/stop/{token}")
    assert page.get_by_role("heading", level=1).inner_text() == "Geen berichten meer?"
    assert all_violations(page) == []
    page.get_by_role("button", name="Ja, stop de berichten").click()
    page.wait_for_selector("h1:has-text('Je krijgt geen berichten meer')")
    assert all_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "updates-stopped.png"), full_page=True)
    page.close()
