"""The maps of the dashboard in a real browser: drawn, accessible (axe), and each area leads to its questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.structuring.gazetteer import get_gazetteer
from tests.browser.conftest import all_violations
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOT = Path("bench/results/map-overview.png")


def sign_in(page, web: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{web}/broker/login")
    page.get_by_label("Gebruikersnaam").fill("bea")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{web}/broker/")


def test_overview_map_is_drawn_accessible_and_leads_to_the_queue(browser, web: str) -> None:  # type: ignore[no-untyped-def]
    places = get_gazetteer().places
    districts = [c for c, p in places.items() if p.kind == "district"]
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    sign_in(page, web)

    page.goto(f"{web}/broker/overview")
    district_map = page.locator("svg#map-districts")
    assert district_map.is_visible()
    box = district_map.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    assert page.locator("svg#map-districts a path").count() == len(districts)
    assert sorted(page.locator("svg#map-districts path[data-code]").evaluate_all(
        "paths => paths.map(p => p.dataset.code)")) == sorted(districts)
    assert page.locator("svg#map-neighbourhoods").is_visible()
    assert page.get_by_role("group", name="Kaart van Leiden: vragen per wijk").is_visible()
    assert page.locator("text=CBS / Kadaster, 2023").count() == 2
    assert all(url.startswith(web) for url in requests)  # nothing fetched from elsewhere
    assert all_violations(page) == []
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # the area with the most questions (all four of BU05460302) is darker than one without
    fills = dict(page.locator("svg#map-districts path[data-code]").evaluate_all(
        "paths => paths.map(p => [p.dataset.code, getComputedStyle(p).fill])"))
    assert fills["WK054603"] != fills["WK054600"]

    name = places["WK054603"].name
    page.get_by_role("link", name=f"{name}: ", exact=False).first.click()
    page.wait_for_url(f"{web}/broker/?district=WK054603")
    assert page.locator("#f-district").input_value() == "WK054603"
    assert page.locator("table.queue tbody tr").count() == 4

    page.goto(f"{web}/broker/overview")
    page.locator('svg#map-neighbourhoods a:has(path[data-code="BU05460302"])').click()
    page.wait_for_url(f"{web}/broker/?neighbourhood=BU05460302")
    assert page.locator("table.queue tbody tr").count() == 4
    assert all_violations(page) == []
    context.close()


def test_a_focused_map_area_opens_with_the_keyboard(browser, web: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    sign_in(page, web)
    page.goto(f"{web}/broker/overview")
    page.locator("svg#map-districts a").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{web}/broker/?district=*")
    page.close()


def test_intake_page_shows_its_place(browser, web: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    sign_in(page, web)
    page.get_by_label("Buurt", exact=True).select_option("BU05460302")
    page.get_by_role("button", name="Filteren").click()
    page.locator("table.queue tbody tr").first.get_by_role("link").click()
    page.wait_for_selector("h1")
    place = page.get_by_role("img", name=f"Ligging van {get_gazetteer().places['BU05460302'].name} in Leiden")
    assert place.is_visible()
    assert page.locator("svg#map-place path.here").get_attribute("data-code") == "BU05460302"
    assert all_violations(page) == []
    page.close()
