"""The theme taxonomy, loaded from data/reference/themes.yml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

from bot.config import REFERENCE_DIR
from bot.structuring.text import fold


@dataclass(frozen=True)
class Theme:
    id: str
    label_nl: str
    label_en: str
    description_nl: str
    description_en: str
    topics: tuple[str, ...]
    kennisstad: bool

    def label(self, language: str | None) -> str:
        return self.label_en if language == "en" else self.label_nl


@lru_cache(maxsize=1)
def load_themes() -> tuple[Theme, ...]:
    """All themes; the Leiden Kennisstad themes first, 'other' last."""
    with open(REFERENCE_DIR / "themes.yml", encoding="utf-8") as f:
        rows = yaml.safe_load(f)["themes"]
    themes = [
        Theme(id=r["id"], label_nl=r["label"]["nl"], label_en=r["label"]["en"],
              description_nl=r["description"]["nl"], description_en=r["description"]["en"],
              topics=tuple(r.get("topics", [])), kennisstad=bool(r.get("kennisstad")))
        for r in rows
    ]
    return tuple(sorted(themes, key=lambda t: (not t.kennisstad, t.id == "other")))


def theme_ids() -> list[str]:
    return [t.id for t in load_themes()]


def get_theme(theme_id: str | None) -> Theme | None:
    return next((t for t in load_themes() if t.id == theme_id), None)


def match_theme_answer(text: str) -> str | None:
    """Map a typed answer ("gezondheid", "Safety", "health_wellbeing", "iets anders") to a theme id."""
    key = fold(text)
    if not key:
        return None
    for theme in load_themes():
        names = {fold(theme.id), fold(theme.id.replace("_", " ")), fold(theme.label_nl), fold(theme.label_en)}
        if key in names:
            return theme.id
    words = set(key.split())
    for theme in load_themes():
        label_words = set(fold(theme.label_nl).split()) | set(fold(theme.label_en).split())
        label_words -= {"en", "and", "iets", "something"}
        if words & {w for w in label_words if len(w) > 3}:
            return theme.id
    for theme in load_themes():
        if any(f" {fold(topic)} " in f" {key} " for topic in theme.topics if len(topic) > 3):
            return theme.id
    if key in {"anders", "iets anders", "overig", "other", "something else", "else", "geen idee", "weet ik niet", "dont know", "don t know", "i don t know"}:
        return "other"
    return None
