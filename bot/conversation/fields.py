"""Which intake field does a user want to change ("verander de buurt", "change the theme")."""

from __future__ import annotations

from bot.structuring.labelled import LABELS
from bot.structuring.text import fold

# field -> words that name it, Dutch and English (folded): the labels of a labelled message
# (bot/structuring/labelled.py), and the other words people use when they ask to change a field
FIELD_WORDS: dict[str, tuple[str, ...]] = {
    "description": (*LABELS["description"], "tekst", "text"),
    "theme": (*LABELS["theme"], "category", "categorie"),
    "neighbourhood": (*LABELS["neighbourhood"], "plaats", "district"),
    "urgency": (*LABELS["urgency"], "dringend", "spoed", "urgent", "timeframe"),
    "asker_role": ("rol", "wie ik ben", "functie", "organisatie", "role", "organisation", "organization"),
    "consent": ("toestemming", "bewaren", "delen", "consent", "permission", "share"),
    "contact": ("contact", "naam", "e mail", "email", "mail", "telefoon", "telefoonnummer", "nummer", "name", "phone", "number"),
}

# slot values to set per field, so the form asks for it again (a changed theme is
# asked with the top three, not proposed again)
FIELD_RESETS: dict[str, dict[str, object]] = {
    "description": {"description": None},
    "theme": {"theme": None, "theme_stage": "top3"},
    "neighbourhood": {"neighbourhood": None, "neighbourhood_code": None, "neighbourhood_kind": None,
                      "neighbourhood_candidates": None, "neighbourhood_text": None},
    "urgency": {"urgency": None, "timeframe": None},
    "asker_role": {"asker_role": None, "organisation": None},
    "consent": {"consent_store": None, "consent_share": None, "contact_consent": None, "contact_name": None,
                "contact_details": None},
    "contact": {"contact_consent": None, "contact_name": None, "contact_details": None},
}


def field_from_text(text: str) -> str | None:
    """The field a change request names, or None when it names none or several."""
    padded = f" {fold(text)} "
    found = {field for field, words in FIELD_WORDS.items() if any(f" {w} " in padded for w in words)}
    if len(found) == 1:
        return found.pop()
    if {"contact", "asker_role"} <= found and len(found) == 2:
        return "contact"
    return None
