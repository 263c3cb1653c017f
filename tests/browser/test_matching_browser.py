"""The broker matches a question in a real browser: suggestions with reasons, confirm, the catalogue; no axe
violations; screenshots in artifacts/ for the closing note."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.matching.catalogue import load_example_if_empty
from bot.matching.service import receive
from bot.review.users import create_user
from bot.storage.db import session_factory, upgrade
from tests.browser.conftest import ARTIFACTS, all_violations, serve, signed_in_page
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

INTAKE = {"schema_version": "1", "event": "intake.ready", "id": "0b6f2a4e-0000-4000-8000-0000000000bb",
          "reference": "LS-2026-000088", "language": "nl", "theme": {"id": "health_wellbeing"},
          "description": "Veel ouderen in Leiden-Noord zijn eenzaam en komen hun huis niet uit. Wij willen weten wat "
                         "echt helpt. Geen haast, volgend semester is prima.",
          "neighbourhood": {"name": "De Kooi", "district_name": "Leiden-Noord"}, "urgency": "low",
          "consent": {"share_with_partners": True},
          "needs": {"help": ["research"], "can_wait_a_semester": True, "english_ok": None, "can_guide_students": None,
                    "sensitive": True, "sensitive_because": ["ouderen"]}}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    from bot.matching.store import sessions_for

    tmp = tmp_path_factory.mktemp("matching")
    url = f"sqlite:///{tmp / 'web.db'}"
    upgrade(url)
    with session_factory(url).begin() as s:
        create_user(s, "bea", PASSWORD, "broker")
    matching = sessions_for(f"sqlite:///{tmp / 'matching.db'}")
    with matching.begin() as s:
        load_example_if_empty(s)
    match_id = str(receive(matching, "msg_1", INTAKE).body["match_id"])
    for base in serve(url, tmp):
        yield base, match_id


def test_the_broker_sees_ranked_slots_with_reasons_and_confirms_one(browser, site) -> None:  # type: ignore[no-untyped-def]
    base, match_id = site
    page = signed_in_page(browser, base)
    page.get_by_role("link", name="Koppelen").click()
    page.get_by_role("link", name="LS-2026-000088").click()
    suggestions = page.locator("ol.suggestions > li")
    assert suggestions.count() == 5
    assert "thema past" in suggestions.first.locator(".reasons").inner_text()
    assert all_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "matching-suggestions.png"), full_page=True)
    title = suggestions.first.locator("h3 a").inner_text()
    suggestions.first.get_by_role("button", name=f"Koppelen aan deze plek: {title}").click()
    page.wait_for_selector("p.ok")
    assert "gekoppeld" in page.locator("h1 .badge").inner_text()
    assert title in page.locator("dl").inner_text()
    page.get_by_role("link", name="Aanbod").click()
    assert page.locator("table.queue tbody tr").count() >= 30
    assert "Voorbeeldgegevens" in page.locator("body").inner_text()
    assert all_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "matching-catalogue.png"), full_page=False)
    page.close()
