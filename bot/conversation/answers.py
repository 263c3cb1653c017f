"""What people mean by a short answer: yes, no, "I don't know", who they are — as they really type it.

One place for every yes/no in the conversation (consent, contact, the summary). Consent must be
unambiguous (AVG art. 4(11) and 7), so the two directions are read differently:
- a refusal is read liberally: any clear no-word ("nee", "liever niet", "nope", 👎) counts, also
  with extra words or a reason — refusing is always safe;
- a yes must clearly be a yes: a yes-word, no negation anywhere, and not a question.
Anything else is `None`: the assistant explains the choice again, with buttons.
"""

from __future__ import annotations

import re
from typing import Any

from bot.structuring.text import fold

# Emoji people answer with; mapped before folding removes them.
_EMOJI_YES = ("👍", "👌", "✅", "✔", "🙂", "😊", "🙏", "👏", "💯", "☺")
_EMOJI_NO = ("👎", "❌", "✖", "🙅", "⛔", "🚫")

# Phrases that contain a negation word but say yes ("geen probleem"), folded; replaced by "ja".
_YES_IDIOMS = (
    "geen probleem", "geen bezwaar", "niet erg", "geen punt", "waarom niet", "why not", "no problem",
    "not a problem", "no objection", "no objections", "dat is niet erg", "i don t mind", "dont mind",
    "don t mind", "i dont mind", "no worries", "vind ik niet erg", "heb ik geen bezwaar tegen",
    "geen enkel probleem", "no issue", "not at all a problem",
)
_YES_WORDS = {
    "ja", "jaa", "jah", "jawel", "jazeker", "zeker", "tuurlijk", "natuurlijk", "jup", "jep", "yep", "yes", "yess",
    "yeah", "yea", "yeh", "yup", "ye", "yse", "ys", "ues", "jes", "ok", "oke", "okay", "okee", "okey", "oki", "okido",
    "prima", "goed", "akkoord", "agree", "agreed", "sure", "graag", "fine", "certainly", "absolutely", "definitely",
    "alright", "allright", "top", "mag", "klopt", "correct", "right", "precies", "inderdaad", "affirm", "true",
    "y", "j", "da", "uiteraard", "course", "please", "doe", "gerust", "bewaar", "bewaren", "delen", "keep",
    "share", "go", "accoord", "akoord", "oké", "versturen", "verstuur", "send", "indeed", "exactly", "wel",
}
_NO_WORDS = {
    "nee", "neen", "neee", "nope", "no", "nah", "nay", "niet", "geen", "not", "don", "dont", "never", "nooit",
    "liever", "rather", "deny", "false", "n", "nein", "non", "neh", "nee.", "anoniem", "anonymous", "anonymously",
    "weiger", "refuse", "nie", "nt", "nee,", "hoeft", "nvm",
}
# "liever" and "rather" are refusals only next to "niet"/"not"/"anoniem": "liever wel" is a yes.
_SOFT_NO = {"liever", "rather", "hoeft"}
_QUESTION_WORDS = {
    "wat", "waarom", "wie", "hoe", "waar", "wanneer", "welke", "moet", "moeten", "kunnen", "what", "why", "who",
    "how", "where", "when", "which", "must", "could", "wordt", "worden", "krijg", "krijgen",
}
_REPEATS = re.compile(r"([a-z])\1{2,}")  # "jaaaa" -> "jaa"


def normalise(text: str) -> str:
    """Folded text with emoji as words and runs of one letter shortened ("neeeee" -> "nee")."""
    for emoji in _EMOJI_YES:
        text = text.replace(emoji, " ja ")
    for emoji in _EMOJI_NO:
        text = text.replace(emoji, " nee ")
    folded = fold(text)
    folded = _REPEATS.sub(r"\1\1", folded)
    return " ".join(folded.split())


def _tokens(text: str) -> list[str]:
    key = f" {normalise(text)} "
    for idiom in _YES_IDIOMS:
        key = key.replace(f" {idiom} ", " ja ")
    # Dutch/English doubled forms after shortening runs: "jaa" "nee" stay; "yess" -> yes
    return [_canonical(t) for t in key.split()]


def _canonical(token: str) -> str:
    if token in ("jaa", "jaaa", "jah"):
        return "ja"
    if token in ("nee", "neee", "nen", "ne", "neen", "nei"):
        return "nee"
    if token in ("yess", "yse", "ys", "ues", "yea", "yeh", "ye", "yas", "yez"):
        return "yes"
    if token in ("noo", "nop", "nooo"):
        return "no"
    return token


def is_question(text: str) -> bool:
    """Does the answer ask something back ("is dat verplicht?", "why do you need it")?"""
    stripped = text.strip()
    if stripped.endswith("?"):
        return True
    words = normalise(stripped).split()
    return bool(words) and words[0] in _QUESTION_WORDS and len(words) > 2


def is_refusal(text: str) -> bool:
    """A clear no, read liberally: a no-word anywhere, also with extra words or a reason."""
    tokens = _tokens(text)
    for i, token in enumerate(tokens):
        if token in _SOFT_NO:
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt in ("niet", "not", "geen", "anoniem", "anonymous", "no", "nee"):
                return True
            continue
        if token in _NO_WORDS:
            return True
    return False


_ANONYMOUS = {"anoniem", "anonymous", "anonymously"}


def only_anonymity(text: str) -> bool:
    """"Anoniem graag": a wish to stay anonymous, with no other no-word (not a refusal to keep the question)."""
    tokens = set(_tokens(text))
    return bool(tokens & _ANONYMOUS) and not (tokens & (_NO_WORDS - _ANONYMOUS - _SOFT_NO)) and not (
        {"liever", "rather"} & tokens and {"niet", "not"} & tokens)


def is_clear_yes(text: str) -> bool:
    """A clear yes: a yes-word, no negation, not a question."""
    if is_question(text) or is_refusal(text):
        return False
    tokens = _tokens(text)
    return any(t in _YES_WORDS for t in tokens)


def yes_or_no(value: Any) -> bool | None:
    """True for a clear yes, False for a refusal, None for anything else (ask again, differently).

    Button payloads arrive as booleans (from entities) or as `/affirm` and `/deny`.
    """
    if isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    if value.strip() in ("/affirm", "/deny"):
        return value.strip() == "/affirm"
    if value.startswith("/") or is_dont_know(value):  # "weet ik niet": explained again, not taken as an answer
        return None
    if is_refusal(value):
        return False
    if is_clear_yes(value):
        return True
    return None


_KEEP_WORDS = {"bewaren", "bewaar", "bewaard", "opslaan", "keep", "keeping", "kept", "store", "storing", "save", "houden"}
_SHARE_WORDS = {"delen", "deel", "gedeeld", "share", "sharing", "shared", "doorsturen", "doorgeven", "scholen",
                "onderzoekers", "schools", "researchers", "partners"}
_ONLY = {"alleen", "enkel", "only", "just"}
_BROKER = {"kennismakelaar", "makelaar", "broker"}
_CLAUSES = re.compile(r"[,;.!?]+|\s(?:maar|but|en|and|though|wel)\s", re.IGNORECASE)


def keep_and_share(text: str) -> tuple[bool | None, bool | None]:
    """The answer to "may we keep and share your question?": (keep, share), each True, False or None.

    Read per clause: "bewaren mag, delen liever niet" keeps without sharing; "alleen bewaren" too;
    "ja" answers the question as asked (both); a refusal without naming a part keeps nothing. A part
    left open is None, and is asked on its own.
    """
    general: bool | None = None
    keep: bool | None = None
    share: bool | None = None
    for clause in _CLAUSES.split(f" {text} "):
        words = set(normalise(clause).split())
        if not words:
            continue
        answer = yes_or_no(clause)
        about_keep, about_share = bool(words & _KEEP_WORDS), bool(words & _SHARE_WORDS)
        if about_share and not about_keep:
            share = answer if answer is not None else share
        elif about_keep and not about_share:
            keep = answer if answer is not None else keep
            if answer and words & _ONLY:  # "alleen bewaren": keep, do not share
                share = False
        elif about_keep and about_share:
            keep = share = answer if answer is not None else keep
        elif general is None:
            general = answer
        if words & _ONLY and words & _BROKER:  # "alleen voor de kennismakelaar": not shared
            share = False
    if keep is None:
        keep = general
        if keep is None and share is True:  # "delen mag": sharing is only possible when we keep it
            keep = True
    if keep is False:
        return False, None
    if keep and share is None and general is True:
        share = True  # "ja, bewaar maar": the question asked both
    return keep, share


_DONT_KNOW = (
    "weet ik niet", "weet niet", "ik weet het niet", "geen idee", "geen flauw idee", "onbekend", "weet ik nog niet",
    "geen idee eigenlijk", "dunno", "don t know", "i don t know", "no idea", "not sure", "niet zeker",
    "weet het niet", "unknown", "idk", "sla over", "overslaan", "skip", "volgende", "next", "maakt niet uit",
    "doesn t matter", "no preference", "zeg ik liever niet", "rather not say", "i d rather not say",
)


def is_dont_know(text: str) -> bool:
    """"weet ik niet", "sla over", "no idea": the way out of an optional question."""
    key = f" {normalise(text)} "
    return any(f" {phrase} " in key for phrase in _DONT_KNOW)


# Who is asking, inferred from the question itself; strict cues only (a resident who writes
# "de gemeente doet niets" does not work for the municipality).
_ROLE_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("neighbourhood_worker", (
        "als buurtwerker", "ik ben buurtwerker", "als wijkwerker", "ik ben wijkwerker", "als opbouwwerker",
        "als jongerenwerker", "ik ben jongerenwerker", "als sociaal werker", "als buurtcoach", "als wijkcoach",
        "wij als buurtwerkers", "namens de bewoners", "namens bewoners", "ik ben opbouwwerker",
        "as a neighbourhood worker", "as a neighborhood worker", "as a community worker", "as a youth worker",
        "as a social worker", "i am a community worker", "i m a community worker", "on behalf of residents",
        "on behalf of the residents", "buurtwerker", "wijkwerker", "opbouwwerker", "community worker",
        "neighbourhood worker", "neighborhood worker",
    )),
    ("municipality", (
        "ik werk bij de gemeente", "ik werk voor de gemeente", "namens de gemeente", "als ambtenaar",
        "wij als gemeente", "vanuit de gemeente", "i work for the municipality", "i work at the municipality",
        "on behalf of the municipality", "i work for the city", "as a civil servant", "we as the municipality",
        "beleidsmedewerker", "beleidsadviseur", "policy officer", "policy advisor",
    )),
    ("organisation", (
        "namens", "wij zijn een", "we zijn een", "wij zijn stichting", "we zijn stichting", "onze stichting",
        "onze organisatie", "onze vereniging", "onze school", "ons bedrijf", "onze bibliotheek", "ons buurthuis",
        "ons team", "onze praktijk", "onze club", "on behalf of", "we are a", "we re a", "our organisation",
        "our organization", "our foundation", "our charity", "our school", "our library", "our association",
        "our company", "our club", "our team", "i work at", "ik werk bij", "ik werk in een", "wij van",
        "bij ons op school", "as a teacher", "als docent", "als leerkracht", "als directeur",
        "huurdersvereniging", "bewonersvereniging", "bewonerscommissie", "wijkvereniging", "residents association",
        "tenants association",
    )),
    ("resident", (
        "ik woon", "wij wonen", "we wonen", "mijn straat", "onze straat", "in mijn buurt", "in onze buurt",
        "mijn wijk", "onze wijk", "bij ons in de", "bij ons in", "bij mij in de", "mijn buren", "onze buren",
        "als bewoner", "ik ben bewoner", "buurtbewoner", "als inwoner", "mijn huis", "ons huis", "voor mijn deur",
        "mijn kinderen", "mijn moeder", "mijn vader", "mijn zoon", "mijn dochter", "mijn buurman", "mijn buurvrouw",
        "i live", "we live", "my street", "our street", "my neighbourhood", "our neighbourhood", "my neighborhood",
        "our neighborhood", "my neighbours", "my neighbors", "as a resident", "i am a resident", "i m a resident",
        "my house", "my children", "my kids", "my mother", "my father", "outside my house", "next door",
    )),
)
_ORG_AFTER = re.compile(
    r"\b(?:namens|on behalf of|wij zijn|we zijn|we are|we're|ik werk bij|i work at|i work for|wij van)\s+"
    r"((?:(?:de|het|een|the|a|an)\s+)?[^\s,.;:!?]+(?:\s+(?:[A-Z0-9][^\s,.;:!?]*|van|voor|en|de|het|der|of|for|and|the))*)",
    re.IGNORECASE,
)
_ORG_NAMED = re.compile(
    r"\b((?:Stichting|Vereniging|Buurtvereniging|Wijkvereniging|Huurdersvereniging|Bewonersvereniging|Bibliotheek|"
    r"Buurthuis|Foundation|Wijkcentrum|Voedselbank|Bewonerscommissie)\s+[A-Z0-9][^\s,.;:!?]*(?:\s+[A-Z0-9][^\s,.;:!?]*)*)"
)
_GENERIC_ORG = {"een", "a", "an", "de", "het", "the", "bewoners", "de bewoners", "residents", "the residents",
                "gemeente", "de gemeente", "the municipality"}


# "in onze stenen straat", "my quiet little street": a resident speaking of where they live
_OWN_PLACE = re.compile(r"\b(?:mijn|onze|ons|my|our)\s+(?:[a-z]+\s+){0,2}(?:straat|straatje|buurt|buurtje|wijk|flat|"
                        r"portiek|galerij|hofje|plein|street|neighbourhood|neighborhood|block|building|estate|"
                        r"road|square|courtyard)\b")


def infer_role(text: str) -> str | None:
    """The asker's role when the question says it plainly ("ik woon in", "namens de bibliotheek")."""
    folded = normalise(text)
    padded = f" {folded} "
    for role, cues in _ROLE_CUES:
        if any(f" {cue} " in padded for cue in cues):
            return role
    if _OWN_PLACE.search(folded):
        return "resident"
    return None


def infer_organisation(text: str) -> str | None:
    """The organisation's name where the question gives it ("namens Stichting Kinderkansen")."""
    named = _ORG_NAMED.search(text)
    if named:
        return named.group(1).strip()[:200]
    m = _ORG_AFTER.search(text)
    if not m:
        return None
    name = m.group(1).strip()
    words = name.split()
    if words and words[0].lower() in ("een", "a", "an"):  # "wij zijn een buurthuis": a kind, not a name
        return None
    if len(words) > 1 and words[0].lower() in ("de", "het", "the"):
        name = " ".join(words[1:])
    if name.lower() in _GENERIC_ORG or len(name) < 3:
        return None
    return name[:200]


# A question about one's own stored question: it gives the number, or says "my question" / "mijn melding".
# "Hoe staat het met de plannen voor het park?" asks about the city, not about a stored question.
_REFERENCE_IN_TEXT = re.compile(r"\bls[\s\-]?\d{4}[\s\-]?\d{1,9}\b")
_OWN_QUESTION = re.compile(r"\b(?:mijn|m n|mn|onze|ons|my|our)\s+(?:eigen\s+)?(?:vraag|vragen|question|questions|melding|"
                           r"aanvraag|request|nummer|number|reference|referentie|referentienummer|vraagnummer)\b|"
                           r"\b(?:vraagnummer|referentienummer|reference number)\b|"
                           r"\b(?:een|mijn|de) vraag (?:gesteld|ingestuurd|gestuurd|ingediend)\b|"
                           r"\b(?:asked|sent in|sent|submitted) (?:a|my) question\b")


def is_status_question(text: str) -> bool:
    """Could `text` ask for the status of the asker's own question? It names a number or "my question"."""
    folded = fold(text or "").replace(" s ", " ")
    return bool(_REFERENCE_IN_TEXT.search(folded) or _OWN_QUESTION.search(folded))
