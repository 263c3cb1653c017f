"""A whole question in one labelled message, as neighbourhood workers send it from their phone.

"Buurt: Stevenshof. Thema: jongeren. Urgentie: hoog. Vraag: ..." (Dutch or English labels,
any order, `:` or `-` after the label). Text before the first label is ignored.
"""

from __future__ import annotations

import re

LABELS: dict[str, tuple[str, ...]] = {
    "description": ("vraag", "beschrijving", "omschrijving", "question", "description", "issue", "probleem", "problem"),
    "neighbourhood": ("buurt", "wijk", "plek", "locatie", "neighbourhood", "neighborhood", "area", "place", "location"),
    "theme": ("thema", "onderwerp", "theme", "topic"),
    "urgency": ("urgentie", "haast", "deadline", "termijn", "urgency", "priority"),
    "organisation": ("organisatie", "team", "organisation", "organization"),
}
_ALL = {word: field for field, words in LABELS.items() for word in words}
_LABEL = re.compile(r"(?:(?<=^)|(?<=[\s.;,\n]))(" + "|".join(sorted(_ALL, key=len, reverse=True)) + r")\s*[:\-–]\s*",
                    re.IGNORECASE)


def parse_labelled(text: str) -> dict[str, str]:
    """The labelled parts of `text`; empty when fewer than two labels are present."""
    matches = list(_LABEL.finditer(text))
    if len(matches) < 2:
        return {}
    fields: dict[str, str] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end():end].strip().rstrip(".;,").strip()
        field = _ALL[m.group(1).lower()]
        if value and field not in fields:
            fields[field] = value
    return fields
