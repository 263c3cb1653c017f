"""Text normalisation shared by the gazetteer, theme and field matching."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to single spaces: 'd'Oude Mórsch' -> 'd oude morsch'."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NON_WORD.sub(" ", ascii_text).strip()


def clean_user_text(text: str | None, max_length: int) -> str:
    """Strip control characters and surrounding space; cap at `max_length` characters."""
    if not text:
        return ""
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C")
    return text.strip()[:max_length]
