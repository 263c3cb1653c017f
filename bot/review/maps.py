"""Maps of the city for the broker dashboard, drawn on the server as inline SVG (nothing fetched at run time).

The polygons are the municipality's `areas.geojson` (CBS / Kadaster wijk- en buurtkaart, WGS84 lon/lat). They are
projected equirectangularly (x scaled by the cosine of the mean latitude, y flipped) into a viewBox, and coloured
with a colour-blind-safe sequential scale (ColorBrewer YlGnBu, 5 classes; zero is light grey).

Pure functions: the texts (titles, labels) come from the caller, which takes them from bot/web/i18n.py. Everything
put into the markup is XML-escaped (markupsafe).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

Point = tuple[float, float]
Ring = tuple[Point, ...]
Polygon = tuple[Ring, ...]  # outer ring first, then holes

SCALE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")  # ColorBrewer YlGnBu, 5 classes
ZERO = "#e6e6e6"  # no questions: light grey
HIGHLIGHT = "#253494"  # the intake's own area on its small map
REST = "#f0f0f0"  # the rest of the city on that map
LEVELS = ("district", "neighbourhood")


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: str  # district | neighbourhood
    polygons: tuple[Polygon, ...]


@dataclass(frozen=True)
class Frame:
    """How lon/lat become SVG coordinates: fits the whole city into `width` (plus padding), north up."""

    min_lon: float
    max_lat: float
    kx: float  # cos(mean latitude)
    scale: float
    pad: float
    width: float
    height: float

    def point(self, lon: float, lat: float) -> Point:
        return (round(self.pad + (lon - self.min_lon) * self.kx * self.scale, 1),
                round(self.pad + (self.max_lat - lat) * self.scale, 1))

    @property
    def view_box(self) -> str:
        return f"0 0 {_num(self.width)} {_num(self.height)}"


@dataclass(frozen=True)
class Shape:
    """One area as drawn: its path, colour, and (on the overview) its count and link."""

    code: str
    name: str
    d: str
    fill: str
    count: int | None = None
    href: str | None = None
    label: str = ""
    here: bool = False  # the highlighted area of a locator map


@dataclass(frozen=True)
class LegendItem:
    fill: str
    low: int
    high: int

    @property
    def text(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


@dataclass(frozen=True)
class CityMap:
    view_box: str
    shapes: tuple[Shape, ...]
    outlines: tuple[str, ...] = ()  # path d of the districts, drawn over a neighbourhood map
    legend: tuple[LegendItem, ...] = ()


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _polygons(geometry: dict) -> tuple[Polygon, ...]:
    if geometry["type"] == "Polygon":
        parts = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        parts = geometry["coordinates"]
    else:
        return ()
    return tuple(tuple(tuple((float(x), float(y)) for x, y, *_ in ring) for ring in polygon) for polygon in parts)


@lru_cache(maxsize=8)
def load_areas(path: str | Path) -> tuple[Area, ...]:
    """The areas of a GeoJSON FeatureCollection (properties code, name, level), in file order."""
    with open(path, encoding="utf-8") as f:
        collection = json.load(f)
    areas = []
    for feature in collection.get("features", []):
        props = feature.get("properties") or {}
        level = props.get("level")
        polygons = _polygons(feature.get("geometry") or {"type": None})
        if level in LEVELS and props.get("code") and polygons:
            areas.append(Area(str(props["code"]), str(props.get("name") or props["code"]), level, polygons))
    return tuple(areas)


def frame(areas: Sequence[Area], width: float = 600, pad: float = 4) -> Frame:
    """The projection that fits all `areas` into a viewBox `width` wide."""
    points = [p for a in areas for polygon in a.polygons for ring in polygon for p in ring]
    if not points:
        return Frame(0.0, 0.0, 1.0, 1.0, pad, width, width)
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    kx = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * kx, 1e-9)
    span_y = max(lats) - min(lats)
    scale = (width - 2 * pad) / span_x
    return Frame(min(lons), max(lats), kx, scale, pad, width, round(span_y * scale + 2 * pad, 1))


def path_d(polygons: Sequence[Polygon], fr: Frame) -> str:
    """An SVG path for the polygons (holes drawn with fill-rule evenodd), coordinates to one decimal."""
    parts = []
    for polygon in polygons:
        for ring in polygon:
            points = [fr.point(lon, lat) for lon, lat in ring]
            if len(points) > 1 and points[0] == points[-1]:
                points.pop()
            if len(points) < 3:
                continue
            parts.append("M" + "L".join(f"{_num(x)} {_num(y)}" for x, y in points) + "Z")
    return "".join(parts)


def classes(counts: Sequence[int], n: int = len(SCALE)) -> tuple[LegendItem, ...]:
    """Up to `n` classes of equal width from 1 to the highest count (whole numbers, none empty by construction);
    zero is a class of its own."""
    top = max(counts, default=0)
    items = [LegendItem(ZERO, 0, 0)]
    if top <= 0:
        return tuple(items)
    k = min(n, top)
    bounds = [math.ceil(top * i / k) for i in range(k + 1)]  # bounds[0] = 0
    if k == 1:
        colours: tuple[str, ...] = (SCALE[2],)
    else:  # spread over the scale, from the lightest to the darkest
        colours = tuple(SCALE[round(i * (len(SCALE) - 1) / (k - 1))] for i in range(k))
    for i in range(k):
        items.append(LegendItem(colours[i], bounds[i] + 1, bounds[i + 1]))
    return tuple(items)


def colour(count: int, legend: Sequence[LegendItem]) -> str:
    for item in legend:
        if item.low <= count <= item.high:
            return item.fill
    return legend[-1].fill if legend else ZERO


def choropleth(areas: Sequence[Area], level: str, counts: Mapping[str, int], names: Mapping[str, str],
               href: Callable[[str], str], label: Callable[[str, int], str], width: float = 600) -> CityMap:
    """Every area of `level` coloured by its count, linked to `href(code)`, named `label(name, count)`."""
    fr = frame(areas, width)
    chosen = [a for a in areas if a.level == level]
    legend = classes([counts.get(a.code, 0) for a in chosen])
    shapes = []
    for a in chosen:
        n = counts.get(a.code, 0)
        name = names.get(a.code, a.name)
        shapes.append(Shape(a.code, name, path_d(a.polygons, fr), colour(n, legend), n, href(a.code), label(name, n)))
    outlines = tuple(path_d(a.polygons, fr) for a in areas if a.level == "district") if level != "district" else ()
    return CityMap(fr.view_box, tuple(shapes), outlines, legend)


def locator(areas: Sequence[Area], code: str, width: float = 240) -> CityMap | None:
    """The city with one area highlighted; None when `code` has no polygon (whole city, outside, unknown)."""
    target = next((a for a in areas if a.code == code), None)
    if target is None:
        return None
    fr = frame(areas, width)
    shapes = [Shape(a.code, a.name, path_d(a.polygons, fr), REST) for a in areas if a.level == target.level
              and a.code != code]
    shapes.append(Shape(target.code, target.name, path_d(target.polygons, fr), HIGHLIGHT, here=True))  # drawn last: on top
    outlines = tuple(path_d(a.polygons, fr) for a in areas if a.level == "district") \
        if target.level != "district" else ()
    return CityMap(fr.view_box, tuple(shapes), outlines)


def svg(city: CityMap, ident: str, title: str, interactive: bool = True) -> Markup:
    """The map as inline SVG. Interactive maps are a group of links (each named by its label; role="img" would hide
    them from assistive technology); a locator map is one image. `title` names the map (<title>, aria-labelledby)."""
    title_id = f"{ident}-title"
    role = "group" if interactive else "img"
    out = [Markup('<svg xmlns="http://www.w3.org/2000/svg" class="map{}" id="{}" viewBox="{}" role="{}" '
                  'aria-labelledby="{}" preserveAspectRatio="xMidYMid meet">').format(
        "" if interactive else " locator", ident, city.view_box, role, title_id),
        Markup('<title id="{}">{}</title>').format(title_id, title)]
    for shape in city.shapes:
        path = Markup('<path d="{}" fill="{}" data-code="{}"{}></path>').format(
            shape.d, shape.fill, shape.code, Markup(' class="here"') if shape.here else Markup(""))
        if interactive and shape.href:
            out.append(Markup('<a href="{}" aria-label="{}"><title>{}</title>{}</a>').format(
                shape.href, shape.label, shape.label, path))
        else:
            out.append(path)
    if city.outlines:
        out.append(Markup('<g class="outlines" aria-hidden="true">'))
        out.extend(Markup('<path d="{}"></path>').format(d) for d in city.outlines)
        out.append(Markup("</g>"))
    out.append(Markup("</svg>"))
    return Markup("").join(out)

