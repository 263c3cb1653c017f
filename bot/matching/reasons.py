"""The reasons of a suggestion in words, for the broker (Dutch default, English available):
"thema past; start 1 februari 2027 (2026-2027 semester 2); aanmelden vóór 15 januari 2027"."""

from __future__ import annotations

from datetime import date
from typing import Any

MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
WORDS = {
    "nl": {"theme_fits": "thema past", "starts": "start {date} ({period})", "deadline": "aanmelden vóór {date}",
           "deadline_passed": "aanmelden kon tot {date}", "starts_soon": "kan snel beginnen",
           "starts_late": "begint pas later dan de vraag kan wachten", "english_ok": "kan in het Engels",
           "dutch_only": "alleen in het Nederlands", "text_close": "de beschrijving lijkt op de vraag",
           "english_only": "alleen in het Engels, en dat past de vrager niet", "kind_fits": "soort hulp past",
           "sensitive": "let op: kwetsbare mensen of persoonsgegevens, dus begeleiding en toestemming regelen"},
    "en": {"theme_fits": "theme fits", "starts": "starts {date} ({period})", "deadline": "apply before {date}",
           "deadline_passed": "applications closed on {date}", "starts_soon": "can start soon",
           "starts_late": "starts later than the question can wait", "english_ok": "works in English",
           "dutch_only": "Dutch only", "text_close": "the description is close to the question",
           "english_only": "English only, which does not suit the asker", "kind_fits": "kind of help fits",
           "sensitive": "note: vulnerable people or personal data, so arrange supervision and consent"},
}


def day(value: str, language: str) -> str:
    d = date.fromisoformat(value)
    month = MONTHS[language][d.month - 1]
    return f"{d.day} {month} {d.year}" if language == "nl" else f"{month} {d.day}, {d.year}"


def in_words(reasons: list[tuple[str, dict[str, str]]], language: str = "nl") -> str:
    language = language if language in WORDS else "nl"
    parts = []
    for code, values in reasons:
        shown = {k: day(v, language) if k == "date" else v for k, v in values.items()}
        parts.append(WORDS[language][code].format(**shown))
    return "; ".join(parts)


MATCHED_WITH = {
    "nl": "Je vraag is gekoppeld aan {title} ({institution}). Start: {date}.",
    "en": "Your question is matched with {title} ({institution}). Start: {date}.",
}


def matched_with(slot: Any, language: str) -> str:
    """The confirmed slot in words for the asker (their language)."""
    language = language if language in MATCHED_WITH else "nl"
    return MATCHED_WITH[language].format(title=slot.title, institution=slot.institution,
                                         date=day(slot.starts_on.isoformat(), language))
