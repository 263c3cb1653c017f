"""The municipality a deployment serves, as data: data/reference/municipalities/<id>/ (docs/municipality.md).

`municipality.yml` holds what the assistant says about the city (programme, partners, phone number, website,
privacy page, examples) in Dutch and English; `places.yml` is its gazetteer and `areas.geojson` its polygons.
MUNICIPALITY (default `leiden`) selects one; a wrong id stops the program listing the ids that exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.config import REFERENCE_DIR, ConfigError, municipality_id

MUNICIPALITIES_DIR = REFERENCE_DIR / "municipalities"
LANGUAGES = ("nl", "en")
TRANSLATED = ("name", "programme", "part_of", "example_organisation")
REQUIRED = ("id", "code", *TRANSLATED, "partners", "phone", "website", "privacy_page", "example_place", "places",
            "areas", "sources")


def available() -> list[str]:
    """The ids of the municipalities that have a data folder."""
    return sorted(p.parent.name for p in MUNICIPALITIES_DIR.glob("*/municipality.yml"))


@dataclass(frozen=True)
class Municipality:
    id: str
    code: str
    folder: Path
    data: dict[str, Any]

    @property
    def places_path(self) -> Path:
        return self.folder / self.data["places"]

    @property
    def areas_path(self) -> Path:
        return self.folder / self.data["areas"]

    def text(self, key: str, language: str | None) -> str:
        value = self.data[key]
        if isinstance(value, dict):
            return str(value.get(language if language in LANGUAGES else "nl"))
        return str(value)

    def partners(self, language: str | None) -> str:
        """The partner institutions as one phrase: "A, B en C" / "A, B and C"."""
        names = [p.get(language if language in LANGUAGES else "nl") for p in self.data["partners"]]
        last = " and " if language == "en" else " en "
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + last + names[-1]

    def variables(self, language: str | None) -> dict[str, str]:
        """What responses and templates may use: {city}, {programme}, {partners} ..."""
        return {"city": self.text("name", language), "programme": self.text("programme", language),
                "part_of": self.text("part_of", language), "partners": self.partners(language),
                "city_phone": str(self.data["phone"]), "city_website": str(self.data["website"]),
                "privacy_page": str(self.data["privacy_page"]),
                "example_organisation": self.text("example_organisation", language),
                "example_place": str(self.data["example_place"])}


@lru_cache(maxsize=8)
def load(ident: str) -> Municipality:
    folder = MUNICIPALITIES_DIR / ident
    if ident not in available():
        raise ConfigError(f"MUNICIPALITY={ident!r} has no data folder. Fix: use one of {', '.join(available())}, "
                          f"or add {folder}/municipality.yml (docs/municipality.md).")
    with open(folder / "municipality.yml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return Municipality(id=ident, code=str(data.get("code", "")), folder=folder, data=data)


def current() -> Municipality:
    """The municipality this deployment serves (MUNICIPALITY)."""
    return load(municipality_id())


def check(ident: str) -> list[str]:
    """What is wrong with a municipality's data folder; empty when it is complete and consistent."""
    try:
        muni = load(ident)
    except ConfigError as exc:
        return [str(exc)]
    problems = [f"municipality.yml: `{key}` is missing" for key in REQUIRED if key not in muni.data]
    if problems:
        return problems
    if muni.data["id"] != ident:
        problems.append(f"municipality.yml: id {muni.data['id']!r} differs from the folder name {ident!r}")
    for key in TRANSLATED:
        value = muni.data[key]
        if not (isinstance(value, dict) and all(value.get(lang) for lang in LANGUAGES)):
            problems.append(f"municipality.yml: `{key}` needs both nl and en")
    if not muni.data["partners"] or any(not all(p.get(lang) for lang in LANGUAGES) for p in muni.data["partners"]):
        problems.append("municipality.yml: every partner needs a name in nl and en")
    missing = [f"{path.name} is missing" for path in (muni.places_path, muni.areas_path) if not path.exists()]
    if missing:
        return problems + missing
    from bot.structuring.gazetteer import Gazetteer

    gazetteer = Gazetteer.load(muni.places_path)
    if gazetteer.city.code != muni.code:
        problems.append(f"{muni.data['places']}: municipality code {gazetteer.city.code} differs from {muni.code}")
    with open(muni.areas_path, encoding="utf-8") as f:
        areas = {feature["properties"]["code"] for feature in json.load(f)["features"]}
    codes = {c for c, p in gazetteer.places.items() if p.kind in ("district", "neighbourhood")}
    problems += [f"{muni.data['areas']}: no polygon for {code}" for code in sorted(codes - areas)]
    problems += [f"{muni.data['areas']}: polygon {code} is not a place in {muni.data['places']}"
                 for code in sorted(areas - codes)]
    if gazetteer.resolve(str(muni.data["example_place"])).kind != "place":
        problems.append(f"municipality.yml: example_place {muni.data['example_place']!r} is not found in the places")
    return problems
