"""A city by data alone: data/reference/municipalities/<id>/ (docs/municipality.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import ROOT, ConfigError, Settings
from bot.structuring import municipality as module
from bot.structuring.gazetteer import get_gazetteer


def test_both_cities_are_complete() -> None:
    assert {"leiden", "denhaag"} <= set(module.available())
    assert module.check("leiden") == [] and module.check("denhaag") == []


def test_texts_come_in_the_language_asked() -> None:
    haag = module.load("denhaag")
    nl, en = haag.variables("nl"), haag.variables("en")
    assert nl["city"] == "Den Haag" and en["city"] == "The Hague" and nl["city_phone"] == "14 070"
    assert nl["partners"].endswith(" en Hogeschool Inholland")
    assert en["partners"].endswith(" and Inholland University of Applied Sciences")
    assert module.load("leiden").variables("nl")["programme"] == "Leren met de Stad"


def test_a_wrong_municipality_stops_start_up_listing_the_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUNICIPALITY", "utrecht")
    with pytest.raises(ConfigError) as caught:
        Settings.from_env().check()
    assert "MUNICIPALITY='utrecht'" in str(caught.value) and "denhaag, leiden" in str(caught.value)


def test_the_check_names_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(module.MUNICIPALITIES_DIR / "leiden", tmp_path / "stad")
    shutil.copytree(module.MUNICIPALITIES_DIR / "denhaag", tmp_path / "denhaag")  # Leiden's neighbour
    meta = tmp_path / "stad" / "municipality.yml"
    data = yaml.safe_load(meta.read_text())
    data["programme"] = {"nl": "Leren met de Stad"}  # no English
    meta.write_text(yaml.safe_dump(data, allow_unicode=True))
    areas = tmp_path / "stad" / "areas.geojson"
    geo = json.loads(areas.read_text())
    geo["features"] = [f for f in geo["features"] if f["properties"]["code"] != "BU05460000"]
    areas.write_text(json.dumps(geo))
    monkeypatch.setattr(module, "MUNICIPALITIES_DIR", tmp_path)
    module.load.cache_clear()
    try:
        problems = module.check("stad")
    finally:
        module.load.cache_clear()
    assert "municipality.yml: id 'leiden' differs from the folder name 'stad'" in problems
    assert "municipality.yml: `programme` needs both nl and en" in problems
    assert "areas.geojson: no polygon for BU05460000" in problems


@pytest.mark.parametrize(("city", "typed", "kind", "name"), [
    ("denhaag", "Transvaal", "place", "Transvaalkwartier"),
    ("leiden", "Transvaal", "place", "Transvaalbuurt"),
    ("denhaag", "in de Schilderswijk", "place", "Schildersbuurt"),
    ("leiden", "Schilderswijk", "outside", None),
    ("denhaag", "Merenwijk", "outside", None),
    ("denhaag", "Zuidwest", "ambiguous", None),
    ("denhaag", "Scheveningen", "ambiguous", None),  # the stadsdeel and its district of that name: which part?
    ("denhaag", "Centrum", "ambiguous", None),
    ("denhaag", "heel Den Haag", "place", "Den Haag"),
])
def test_places_are_the_citys_own(city: str, typed: str, kind: str, name: str | None) -> None:
    found = get_gazetteer(city).resolve(typed)
    assert found.kind == kind
    assert (found.place.name if found.place else None) == name


@pytest.mark.parametrize(("city", "code"), [("denhaag", "WK051830"), ("leiden", None)])
def test_the_structure_tool_per_city(city: str, code: str | None) -> None:
    done = subprocess.run([sys.executable, "-m", "bot.cli", "structure", "--municipality", city],
                          input="Veel zwerfafval in de Transvaalstraat bij de markt in Transvaalkwartier\n",
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])["neighbourhood"]
    assert (found or {}).get("district_code") == code


def test_check_municipality_command() -> None:
    good = subprocess.run([sys.executable, "-m", "bot.cli", "check-municipality", "denhaag"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    bad = subprocess.run([sys.executable, "-m", "bot.cli", "check-municipality", "utrecht"], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert good.returncode == 0 and "denhaag: complete" in good.stdout
    assert bad.returncode == 1 and "denhaag, leiden" in bad.stderr


def test_the_demo_page_names_the_city_it_serves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from bot.web.app import create_app

    monkeypatch.setenv("MUNICIPALITY", "denhaag")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", rasa_url="http://127.0.0.1:9",
                        action_port=0, rasa_port=0, web_port=0, web_host="127.0.0.1")
    from bot.storage.db import upgrade

    upgrade(settings.database_url)
    with TestClient(create_app(settings)) as client:
        nl, en = client.get("/").text, client.get("/?lang=en").text
    assert "Gemeente Den Haag · Kennis Maken Den Haag" in nl and "De Haagse Hogeschool" in nl and "14 070" in nl
    assert "City of The Hague" in en and "#0b6a4b" in en
    assert "Leiden" not in nl.replace("Universiteit Leiden (Campus Den Haag)", "")
