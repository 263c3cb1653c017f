"""The dashboard's maps: projection, colour classes, and the SVG they become (bot/review/maps.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from bot.review import maps
from bot.structuring.gazetteer import get_gazetteer
from bot.structuring.municipality import available, current, load

SVG = "{http://www.w3.org/2000/svg}"


def square(x: float, y: float, size: float = 0.01) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """Two districts side by side, one a MultiPolygon with a hole, one neighbourhood, and a feature to skip."""
    features = [
        {"type": "Feature", "properties": {"code": "WK1", "name": "West", "level": "district"},
         "geometry": {"type": "Polygon", "coordinates": [square(4.0, 52.0)]}},
        {"type": "Feature", "properties": {"code": "WK2", "name": 'Oost <b>"&', "level": "district"},
         "geometry": {"type": "MultiPolygon", "coordinates": [
             [square(4.01, 52.0), square(4.013, 52.003, 0.002)], [square(4.02, 52.0, 0.005)]]}},
        {"type": "Feature", "properties": {"code": "BU1", "name": "Buurt", "level": "neighbourhood"},
         "geometry": {"type": "Polygon", "coordinates": [square(4.0, 52.0, 0.005)]}},
        {"type": "Feature", "properties": {"code": "X", "name": "A point", "level": "district"},
         "geometry": {"type": "Point", "coordinates": [4.0, 52.0]}},
    ]
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def parse(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(markup)  # well-formed XML, or this raises


def test_load_reads_polygons_and_multipolygons_and_skips_the_rest(tiny: Path) -> None:
    areas = maps.load_areas(tiny)
    assert [(a.code, a.level, len(a.polygons)) for a in areas] == [("WK1", "district", 1), ("WK2", "district", 2),
                                                                   ("BU1", "neighbourhood", 1)]
    assert len(areas[1].polygons[0]) == 2  # outer ring and hole
    assert maps.load_areas(tiny) is areas  # cached per path


def test_projection_fits_the_viewbox_north_up_and_keeps_the_shape(tiny: Path) -> None:
    areas = maps.load_areas(tiny)
    fr = maps.frame(areas, width=600, pad=4)
    assert fr.point(4.0, 52.01) == (4.0, 4.0)  # west, north: top left
    right, bottom = fr.point(4.025, 52.0)
    assert right == pytest.approx(596, abs=0.1) and bottom == pytest.approx(fr.height - 4, abs=0.1)
    # a square of 0.01 degrees is wider than tall on the ground by cos(latitude): so on the map too
    (x0, y0), (x1, y1) = fr.point(4.0, 52.01), fr.point(4.01, 52.0)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(0.6157, abs=0.01)
    assert fr.view_box == f"0 0 600 {maps._num(fr.height)}"


def test_path_has_one_subpath_per_ring_rounded_to_one_decimal(tiny: Path) -> None:
    areas = maps.load_areas(tiny)
    d = maps.path_d(areas[1].polygons, maps.frame(areas))
    assert d.count("M") == 3 and d.count("Z") == 3
    assert all(len(n.split(".")[1]) == 1 for n in re.findall(r"\d+\.\d+", d))


@pytest.mark.parametrize("counts, expected", [
    ([], [(0, 0)]),
    ([0, 0], [(0, 0)]),
    ([0, 3], [(0, 0), (1, 1), (2, 2), (3, 3)]),
    ([1, 10], [(0, 0), (1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]),
    ([7, 0, 101], [(0, 0), (1, 21), (22, 41), (42, 61), (62, 81), (82, 101)]),
])
def test_classes_cover_every_count_without_gaps(counts: list[int], expected: list[tuple[int, int]]) -> None:
    legend = maps.classes(counts)
    assert [(i.low, i.high) for i in legend] == expected
    assert legend[0].fill == maps.ZERO and len({i.fill for i in legend}) == len(legend)
    for n in range(max(counts, default=0) + 1):
        assert sum(i.low <= n <= i.high for i in legend) == 1
    assert maps.colour(0, legend) == maps.ZERO
    if max(counts, default=0) == 3:
        assert [i.fill for i in legend[1:]] == [maps.SCALE[0], maps.SCALE[2], maps.SCALE[4]]
    if max(counts, default=0) >= 5:
        assert [i.fill for i in legend[1:]] == list(maps.SCALE)
        assert maps.colour(max(counts), legend) == maps.SCALE[-1]


def test_legend_text_is_a_range_or_one_number() -> None:
    assert maps.LegendItem("#fff", 3, 4).text == "3–4" and maps.LegendItem("#fff", 0, 0).text == "0"


def test_svg_escapes_every_text_and_links_each_area(tiny: Path) -> None:
    areas = maps.load_areas(tiny)
    city = maps.choropleth(areas, "district", {"WK2": 4}, {"WK1": "West & Co"},
                           href=lambda code: f"/broker/?district={code}&x=<1>",
                           label=lambda name, n: f"{name}: {n}")
    markup = str(maps.svg(city, "m", 'Kaart <script>alert("x")</script>'))
    assert "<script>" not in markup and "<b>" not in markup
    root = parse(markup)
    assert root.get("role") == "group" and root.get("aria-labelledby") == "m-title"
    assert root.find(f"{SVG}title").text == 'Kaart <script>alert("x")</script>'  # type: ignore[union-attr]
    links = root.findall(f"{SVG}a")
    assert [a.get("href") for a in links] == ["/broker/?district=WK1&x=<1>", "/broker/?district=WK2&x=<1>"]
    assert [a.get("aria-label") for a in links] == ["West & Co: 0", 'Oost <b>"&: 4']
    fills = [a.find(f"{SVG}path").get("fill") for a in links]  # type: ignore[union-attr]
    assert fills == [maps.ZERO, maps.SCALE[-1]]
    assert root.find(f"{SVG}g") is None  # a district map has no district outlines on top


def test_neighbourhood_map_draws_the_districts_over_it(tiny: Path) -> None:
    city = maps.choropleth(maps.load_areas(tiny), "neighbourhood", {"BU1": 1}, {}, href=lambda c: "/q",
                           label=lambda name, n: name)
    root = parse(str(maps.svg(city, "n", "t")))
    assert len(root.findall(f"{SVG}a")) == 1
    outlines = root.find(f"{SVG}g")
    assert outlines is not None and outlines.get("aria-hidden") == "true" and len(outlines) == 2


def test_locator_highlights_one_area_and_is_an_image(tiny: Path) -> None:
    areas = maps.load_areas(tiny)
    assert maps.locator(areas, "GM0546") is None and maps.locator(areas, "nowhere") is None
    city = maps.locator(areas, "WK2")
    assert city is not None
    root = parse(str(maps.svg(city, "p", "Ligging", interactive=False)))
    assert root.get("role") == "img" and "locator" in (root.get("class") or "")
    assert root.findall(f"{SVG}a") == []
    paths = root.findall(f"{SVG}path")
    assert [p.get("data-code") for p in paths] == ["WK1", "WK2"]  # the highlighted one last, on top
    assert [p.get("fill") for p in paths] == [maps.REST, maps.HIGHLIGHT]


@pytest.mark.parametrize("ident", available())
def test_every_district_and_neighbourhood_of_each_municipality_gets_a_path(ident: str) -> None:
    muni = load(ident)
    areas = maps.load_areas(muni.areas_path)
    places = get_gazetteer(ident).places
    for level in maps.LEVELS:
        codes = {c for c, p in places.items() if p.kind == level}
        city = maps.choropleth(areas, level, {}, {}, href=lambda c: "/", label=lambda name, n: name)
        assert {s.code for s in city.shapes} == codes
        assert all(s.d.startswith("M") and s.d.endswith("Z") for s in city.shapes)
        parse(str(maps.svg(city, "x", muni.text("name", "nl"))))


def test_the_current_municipality_has_areas() -> None:
    assert maps.load_areas(current().areas_path)
