"""The maps on the overview and intake pages, in-process over HTTP against the real databases (issue 16)."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from sqlalchemy import select

from bot.review import maps
from bot.storage.db import session_factory
from bot.storage.models import Intake
from bot.structuring.gazetteer import get_gazetteer

SVG = "{http://www.w3.org/2000/svg}"
SOURCE = "CBS / Kadaster, 2023"


def svg_of(html: str, ident: str) -> ElementTree.Element:
    m = re.search(rf'<svg [^>]*id="{ident}".*?</svg>', html, re.S)
    assert m, f"no SVG {ident} on the page"
    return ElementTree.fromstring(m.group(0))


def links(root: ElementTree.Element) -> dict[str, tuple[str, str]]:
    """code -> (href, accessible name) of each area on an interactive map."""
    found = {}
    for a in root.findall(f"{SVG}a"):
        path = a.find(f"{SVG}path")
        assert path is not None
        found[path.get("data-code") or ""] = (a.get("href") or "", a.get("aria-label") or "")
    return found


def uuid_of(database_url: str, sender: str) -> str:
    with session_factory(database_url)() as s:
        return s.scalars(select(Intake.uuid).where(Intake.sender_id == sender)).one()


def test_overview_shows_questions_per_district_on_a_map(broker_client) -> None:  # type: ignore[no-untyped-def]
    html = broker_client.get("/broker/overview").text
    places = get_gazetteer().places
    root = svg_of(html, "map-districts")
    assert root.get("role") == "group" and root.get("aria-labelledby") == "map-districts-title"
    assert root.find(f"{SVG}title").text == "Kaart van Leiden: vragen per wijk"  # type: ignore[union-attr]
    areas = links(root)
    assert set(areas) == {c for c, p in places.items() if p.kind == "district"}
    assert all(href == f"/broker/?district={code}" for code, (href, _) in areas.items())
    assert areas["WK054603"][1] == f"{places['WK054603'].name}: 1 vraag"  # from BU05460302, a neighbourhood in it
    assert areas["WK054608"][1] == f"{places['WK054608'].name}: 1 vraag"
    assert areas["WK054600"][1] == f"{places['WK054600'].name}: 0 vragen"
    fills = {a.find(f"{SVG}path").get("data-code"): a.find(f"{SVG}path").get("fill")  # type: ignore[union-attr]
             for a in root.findall(f"{SVG}a")}
    assert fills["WK054600"] == maps.ZERO and fills["WK054603"] in maps.SCALE
    assert "Aantal vragen" in html and html.count(SOURCE) == 2 and "<script" not in html


def test_overview_shows_questions_per_neighbourhood_and_a_table(broker_client) -> None:  # type: ignore[no-untyped-def]
    html = broker_client.get("/broker/overview").text
    places = get_gazetteer().places
    root = svg_of(html, "map-neighbourhoods")
    areas = links(root)
    assert set(areas) == {c for c, p in places.items() if p.kind == "neighbourhood"}
    assert areas["BU05460302"] == ("/broker/?neighbourhood=BU05460302", f"{places['BU05460302'].name}: 1 vraag")
    assert root.find(f"{SVG}g[@class='outlines']") is not None
    # the same counts as a table, for screen readers and keyboards
    assert re.search(rf'<th scope="row"><a href="/broker/\?neighbourhood=BU05460302">{re.escape(places["BU05460302"].name)}'
                     r"</a></th><td>1</td>", html)


def test_the_links_of_the_map_filter_the_queue(broker_client) -> None:  # type: ignore[no-untyped-def]
    html = broker_client.get("/broker/overview").text
    district_href = links(svg_of(html, "map-districts"))["WK054608"][0]
    neighbourhood_href = links(svg_of(html, "map-neighbourhoods"))["BU05460302"][0]
    assert broker_client.get(district_href).text.count("/broker/intakes/") == 1
    page = broker_client.get(neighbourhood_href).text
    assert page.count("/broker/intakes/") == 1 and 'value="BU05460302" selected' in page
    assert broker_client.get("/broker/?neighbourhood=BU05460600").text.count("/broker/intakes/") == 0
    assert broker_client.get("/broker/?neighbourhood=bogus").text.count("/broker/intakes/") == 4  # ignored


def test_overview_in_english_names_the_city_from_its_data(broker_client) -> None:  # type: ignore[no-untyped-def]
    html = broker_client.get("/broker/overview?lang=en").text
    assert "Map of Leiden: questions per district" in html and "Number of questions" in html
    assert html.count(SOURCE) == 2
    queue = broker_client.get("/broker/").text
    assert "all of Leiden" in queue and "outside Leiden" in queue and "{city}" not in queue
    queue = broker_client.get("/broker/?lang=nl").text
    assert "heel Leiden" in queue and "buiten Leiden" in queue and "{city}" not in queue


def test_intake_page_shows_its_place_on_a_small_map(broker_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    places = get_gazetteer().places
    html = broker_client.get(f"/broker/intakes/{uuid_of(database_url, 's0')}").text
    root = svg_of(html, "map-place")
    title = f"Ligging van {places['BU05460302'].name} in Leiden"
    assert root.get("role") == "img" and root.find(f"{SVG}title").text == title  # type: ignore[union-attr]
    assert root.findall(f"{SVG}a") == []
    here = [p for p in root.iter(f"{SVG}path") if p.get("class") == "here"]
    assert [p.get("data-code") for p in here] == ["BU05460302"] and here[0].get("fill") == maps.HIGHLIGHT
    others = [p for p in root.findall(f"{SVG}path") if p.get("class") != "here"]
    assert others and all(p.get("fill") == maps.REST for p in others)
    assert SOURCE in html

    html = broker_client.get(f"/broker/intakes/{uuid_of(database_url, 's1')}").text  # a district
    here = [p.get("data-code") for p in svg_of(html, "map-place").iter(f"{SVG}path") if p.get("class") == "here"]
    assert here == ["WK054608"]

    html = broker_client.get(f"/broker/intakes/{uuid_of(database_url, 's2')}").text  # place unknown: no map
    assert 'id="map-place"' not in html and SOURCE not in html
