"""Gazetteer resolution accuracy on our own test list (bench/data/neighbourhood_cases.yml).

Usage: .venv/bin/python bench/neighbourhoods.py  -> bench/results/neighbourhoods.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.gazetteer import get_gazetteer  # noqa: E402


def outcome(text: str) -> str:
    result = get_gazetteer().resolve(text)
    if result.kind == "place" and result.place:
        return result.place.code
    return result.kind


def evaluate() -> dict:
    cases = yaml.safe_load((ROOT / "bench/data/neighbourhood_cases.yml").read_text(encoding="utf-8"))["cases"]
    wrong = [{"text": c["text"], "expect": c["expect"], "got": outcome(c["text"])} for c in cases]
    wrong = [w for w in wrong if w["got"] != w["expect"]]
    groups: dict[str, list[int]] = {}
    for c in cases:
        key = c["expect"] if c["expect"] in ("ambiguous", "outside", "unknown") else "place"
        ok = outcome(c["text"]) == c["expect"]
        groups.setdefault(key, [0, 0])
        groups[key][0] += ok
        groups[key][1] += 1
    return {"cases": len(cases), "correct": len(cases) - len(wrong),
            "accuracy": round((len(cases) - len(wrong)) / len(cases), 4),
            "per_kind": {k: {"correct": v[0], "cases": v[1]} for k, v in groups.items()}, "wrong": wrong}


if __name__ == "__main__":
    result = evaluate()
    out = ROOT / "bench/results/neighbourhoods.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in result.items()}, indent=2, ensure_ascii=False))
