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


KEYS = ("help", "can_wait_a_semester", "english_ok", "can_guide_students", "sensitive")
_NEG = r"(?:niet|geen|no|not|nee|cannot|can't|kunnen we niet|liever niet)"
_GUIDE = re.compile(r"\b(begeleid\w*|begeleiding|guide|guiding|supervis\w*|mentor\w*)\b")
_GUIDE_NOT = re.compile(rf"\b({_NEG}\s+(?:\w+\s+){{0,3}}(?:begeleid\w*|begeleiding|guide|supervis\w*)|"
                        r"(?:begeleid\w*|begeleiding|guide|supervis\w*)\s+(?:\w+\s+){0,2}(?:niet|not|lukt niet))\b")
_WAIT_NOT = re.compile(r"\b(kan niet wachten|niet wachten|cannot wait|can't wait|moet nu|moet snel|liefst direct)\b")
_WAIT = re.compile(r"\b(kan wachten|mag wachten|wachten (?:is|kan) (?:prima|goed|geen probleem)|semester wachten|"
                   r"can wait|happy to wait|no rush|geen haast)\b")
_ENGLISH_YES = re.compile(r"\b(engels (?:is |mag |kan )?(?:ook )?(?:prima|goed|ok|oke|geen probleem)|"
                          r"english (?:is )?(?:fine|ok|okay|no problem)|engels mag|in english)\b")
_ENGLISH_NO = re.compile(r"\b(geen engels|liever (?:in het )?nederlands|alleen nederlands|niet in het engels|"
                         r"no english|dutch only|only dutch)\b")
_SENSITIVE_NO = re.compile(r"\b(geen kwetsbare|geen persoonsgegevens|geen privacy|no vulnerable|no personal data|"
                           r"no sensitive)\b")


def read_answer(text: str) -> dict[str, Any]:
    """What an answer to the matching question says ("onderzoek; mag wachten; we kunnen begeleiden; Engels prima;
    geen persoonsgegevens"); keys it does not answer are None."""
    folded = fold(text or "")
    found = infer(text)
    if _WAIT_NOT.search(folded):
        found["can_wait_a_semester"] = False
    elif _WAIT.search(folded):
        found["can_wait_a_semester"] = True
    if _GUIDE_NOT.search(folded):
        found["can_guide_students"] = False
    elif _GUIDE.search(folded):
        found["can_guide_students"] = True
    if _ENGLISH_NO.search(folded):
        found["english_ok"] = False
    elif _ENGLISH_YES.search(folded):
        found["english_ok"] = True
    if _SENSITIVE_NO.search(folded):
        found["sensitive"], found["sensitive_because"] = False, None
    return found


def unknown(needs: dict[str, Any]) -> list[str]:
    """The keys still unknown, in the order they are asked."""
    return [k for k in KEYS if needs.get(k) is None]


def merged(*layers: dict[str, Any] | None) -> dict[str, Any]:
    """Later layers win where they know something."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if value is not None:
                out[key] = value
    return {**{k: None for k in (*KEYS, "sensitive_because")}, **out}
