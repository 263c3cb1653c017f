"""What matching needs to know, as far as the question already says it (docs/matching.md).

A broker who matches a question to education asks: what kind of help (research, advice, a design, hands-on work),
can it wait a semester, is English fine, can the asker guide students, and are vulnerable people or personal data
involved (then students need supervision and ethics approval)? Much of it is in what people write; what is not
stays None ("unknown"), for the broker to fill in or ask. Dutch and English; words matched on folded text.
"""

from __future__ import annotations

import re
from typing import Any

from bot.structuring.text import fold

HELP_KINDS: dict[str, tuple[str, ...]] = {
    "research": ("onderzoek", "onderzoeken", "uitzoeken", "in kaart", "meten", "cijfers", "data", "enquete",
                 "willen weten", "weten hoe", "hoe ervaren", "we want to know", "would like to know", "how do residents",
                 "interviews", "research", "study", "survey", "measure", "find out", "figures", "evaluate", "evaluatie",
                 "effect"),
    "advice": ("advies", "adviseren", "aanbevelingen", "hoe kunnen we", "wat werkt", "tips", "advice", "recommendations",
               "what works", "how can we", "how do we", "how do you"),
    "design": ("ontwerp", "ontwerpen", "plan", "inrichting", "herinrichting", "campagne", "app", "website", "design",
               "campaign", "redesign", "prototype"),
    "hands_on": ("aanleggen", "organiseren", "activiteit", "activiteiten", "helpen bij", "meehelpen", "vrijwilligers",
                 "build", "organise", "organize", "activities", "help out", "run a"),
}
_CAN_WAIT = re.compile(r"\b(geen haast|niet dringend|volgend semester|komend semester|volgend jaar|mag even duren|"
                       r"no rush|not urgent|next semester|next year|can wait|no hurry)\b")
_CANNOT_WAIT = re.compile(r"\b(zo snel mogelijk|zsm|met spoed|dit semester|voor de zomer|asap|as soon as possible|"
                          r"this semester|before (?:the )?summer|urgent|dringend)\b")
_ENGLISH_OK = re.compile(r"\b(engels is (?:prima|goed|geen probleem)|mag (?:ook )?in het engels|english is fine|"
                         r"english is ok|english is okay|in english is fine|english speaking students)\b")
_ENGLISH_NOT = re.compile(r"\b(alleen nederlands|geen engels|nederlandstalig|dutch only|no english|dutch speaking only)\b")
_VULNERABLE = ("kinderen", "kind", "jongeren", "minderjarig", "minderjarigen", "ouderen", "dementie", "kwetsbare",
               "kwetsbaar", "clienten", "patienten", "slachtoffers", "vluchtelingen", "statushouders", "dak- en thuislozen",
               "daklozen", "schulden", "armoede", "psychische", "children", "kids", "minors", "elderly", "dementia",
               "vulnerable", "clients", "patients", "victims", "refugees", "homeless", "debt", "poverty", "mental health")
_PERSONAL_DATA = ("persoonsgegevens", "dossiers", "dossier", "clientgegevens", "medische gegevens", "namen en adressen", "bsn",
                  "personal data", "case files", "client records", "medical records", "names and addresses")
_GUIDE_YES = re.compile(r"\b(wij (?:kunnen|willen) (?:de )?studenten begeleiden|begeleiding (?:is )?mogelijk|"
                        r"we can (?:guide|supervise|host) (?:the )?students|we (?:can|will) provide supervision)\b")


def _has(folded: str, words: tuple[str, ...]) -> list[str]:
    """The words found: whole words, and words of six letters or more also inside a compound (clientdossiers)."""
    return [w for w in words if re.search(rf"\b{re.escape(w)}\b", folded) or (len(w) >= 6 and w in folded)]


def infer(text: str, timeframe: str | None = None, urgency: str | None = None) -> dict[str, Any]:
    """The needs the text (and the timeframe and urgency already found) answers; None where it says nothing."""
    folded = fold(text or "")
    kinds = [kind for kind, words in HELP_KINDS.items() if _has(folded, words)]
    if _CANNOT_WAIT.search(folded) or urgency == "high" or timeframe in ("this_semester", "before_summer"):
        can_wait: bool | None = False
    elif _CAN_WAIT.search(folded) or urgency == "low" or timeframe in ("next_semester", "next_year", "no_deadline"):
        can_wait = True
    else:
        can_wait = None
    english: bool | None = True if _ENGLISH_OK.search(folded) else False if _ENGLISH_NOT.search(folded) else None
    vulnerable, personal = _has(folded, _VULNERABLE), _has(folded, _PERSONAL_DATA)
    return {
        "help": kinds or None,
        "can_wait_a_semester": can_wait,
        "english_ok": english,
        "can_guide_students": True if _GUIDE_YES.search(folded) else None,
        "sensitive": True if vulnerable or personal else None,  # vulnerable people or personal data involved
        "sensitive_because": (vulnerable + personal)[:5] or None,
    }
