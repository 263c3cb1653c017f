"""Render short labels from domain.yml responses, so every word a user reads lives there.

The municipality's names ({city}, {programme} ...) are filled in as Rasa fills them (bot/runtime/rasa_entry.py).

The summary shows values such as "dringend" / "urgent"; those come from
`utter_label_*` responses with the same language variants as every other response.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from bot.config import ROOT
from bot.structuring.municipality import current


@lru_cache(maxsize=1)
def _responses() -> dict[str, list[dict[str, Any]]]:
    with open(ROOT / "domain.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)["responses"]


def _matches(variant: dict[str, Any], language: str | None) -> bool:
    return all(
        c.get("type") == "slot" and c.get("name") == "language" and c.get("value") == language
        for c in variant.get("condition", [])
    )


def buttons(key: str, language: str | None) -> list[dict[str, str]]:
    """The buttons of response `key` in `language` (for a rephrased question that shows the same choices)."""
    variants = _responses()[key]
    chosen = next((v for v in variants if v.get("condition") and _matches(v, language)), None)
    if chosen is None:
        chosen = next(v for v in variants if not v.get("condition"))
    city = current().variables(language)
    return [{**b, "title": _fill(str(b.get("title", "")), city)} for b in chosen.get("buttons") or []]


def has_response(key: str) -> bool:
    return key in _responses()


def render(key: str, language: str | None, **values: str) -> str:
    """The text of response `key` in `language` (a conditional variant first, then the default)."""
    variants = _responses()[key]
    chosen = next((v for v in variants if v.get("condition") and _matches(v, language)), None)
    if chosen is None:
        chosen = next(v for v in variants if not v.get("condition"))
    return _fill(chosen["text"], {**current().variables(language), **values})


def _fill(text: str, values: dict[str, str]) -> str:
    """Put `values` in for their {name}s, as Rasa does for the responses it sends (city names included)."""
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text
