"""Gazetteer resolution accuracy.

Two lists, reported separately in bench/results/neighbourhoods.json:
- `own`: our own test list of direct answers (bench/data/neighbourhood_cases.yml), scored with resolve();
- `unseen`: place mentions in real published texts (bench/data/place_cases_unseen.yml, source URL per case,
  not used to build the place data), scored with find_in_text().

Usage: .venv/bin/python bench/neighbourhoods.py  -> bench/results/neighbourhoods.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.structuring.gazetteer import Resolution, get_gazetteer  # noqa: E402


def _code(result: Resolution) -> str:
    if result.kind == "place" and result.place:
        return result.place.code
    return result.kind


def outcome(text: str) -> str:
    return _code(get_gazetteer().resolve(text))


def _right(result: Resolution, expect: str) -> bool:
    if _code(result) == expect:
        return True
    return bool(expect.startswith("WK") and result.kind == "place" and result.place
                and result.place.district_code == expect)


def _score(cases: list[dict], run, right) -> dict:
    groups: dict[str, list[int]] = {}
    wrong = []
    for c in cases:
        result = run(c["text"])
        ok = right(result, c["expect"])
        key = c["expect"] if c["expect"] in ("ambiguous", "outside", "unknown") else "place"
        groups.setdefault(key, [0, 0])
        groups[key][0] += ok
        groups[key][1] += 1
        if not ok:
            wrong.append({"text": c["text"], "expect": c["expect"], "got": _code(result)})
    return {"cases": len(cases), "correct": len(cases) - len(wrong),
            "accuracy": round((len(cases) - len(wrong)) / len(cases), 4),
            "per_kind": {k: {"correct": v[0], "cases": v[1]} for k, v in groups.items()}, "wrong": wrong}


def evaluate() -> dict:
    """Our own list (direct answers); kept at the top level for the unit test that reads it."""
    cases = yaml.safe_load((ROOT / "bench/data/neighbourhood_cases.yml").read_text(encoding="utf-8"))["cases"]
    return _score(cases, get_gazetteer().resolve, lambda r, e: _code(r) == e)


def evaluate_unseen() -> dict:
    cases = yaml.safe_load((ROOT / "bench/data/place_cases_unseen.yml").read_text(encoding="utf-8"))["cases"]
    return _score(cases, get_gazetteer().find_in_text, _right)


def speed(repeat: int = 1000) -> dict:
    gazetteer = get_gazetteer()
    text = ("Ik woon in de buurt van de Haagweg en maak me zorgen over eenzame ouderen in onze straat; "
            "er is weinig te doen voor hen en de buurthuizen sluiten vroeg. Het is best dringend.")
    start = time.perf_counter()
    for _ in range(repeat):
        gazetteer.find_in_text(text)
    return {"find_in_text_ms": round((time.perf_counter() - start) * 1000 / repeat, 3)}


if __name__ == "__main__":
    result = {**evaluate(), "unseen": evaluate_unseen(), "speed": speed(),
              "data": {"named_places": len(get_gazetteer()._named)}}
    out = ROOT / "bench/results/neighbourhoods.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
