"""Which language does the user write in: Dutch or English.

Short replies ("ja", "ok", "Merenwijk") say little about a language, so the
conversation keeps its language unless the user asks for the other one or
clearly writes a sentence in it. Detection combines lingua (restricted to the two
languages) with function-word counts, because lingua alone is unsure on short
English sentences.
"""

from __future__ import annotations

import re
from functools import lru_cache

NL, EN = "nl", "en"
DEFAULT_LANGUAGE = NL

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)

# Unambiguous short messages: greetings, yes/no, thanks.
_SHORT = {
    NL: {"hallo", "hoi", "hoii", "goedemorgen", "goedemiddag", "goedenavond", "dag", "ja", "nee", "bedankt",
         "dankjewel", "dankuwel", "doei", "graag", "klopt", "prima", "jazeker", "nee hoor", "ja hoor", "tot ziens",
         "goeiemorgen", "hee", "hallo daar", "nee dank je", "dank je", "dank je wel"},
    EN: {"hello", "hi", "hey", "good morning", "good afternoon", "good evening", "yes", "no", "thanks", "thank you",
         "bye", "goodbye", "yep", "nope", "please", "sure", "correct", "hi there", "hello there", "no thanks",
         "yes please", "cheers"},
}

_FUNCTION_WORDS = {
    NL: set("de het een en ik je jij u we wij zij ze is zijn was niet geen met voor van op in aan dat die dit deze "
            "er ook maar wel nog mijn onze ons wat hoe waar wie waarom wil kan heb hebben heeft graag te om als bij "
            "naar over wordt worden veel weer zo al daar hier moet kunnen zou iets meer hun jullie".split()),
    EN: set("the a an and i you we they he she it is are was were not no with for of on at to that this these "
            "there also but my our us what how where who why want can have has please would will from about as by "
            "into be been do does don't doesn't lots many more very some any their your its".split()),
}

_NOT_LANGUAGE = re.compile(r"\S+@\S+|https?://\S+|www\.\S+", re.IGNORECASE)
_ASK_EN = re.compile(r"\b(english|engels|engelse)\b", re.IGNORECASE)
_ASK_NL = re.compile(r"\b(dutch|nederlands|nederlandse|hollands)\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(don'?t|do not|can'?t|cannot|no|geen|niet|spreek geen)\b", re.IGNORECASE)


_LANGUAGE_WORD = re.compile(r"\b(taal|talen|language|languages|spreek|speak|spreekt|speaks)\b", re.IGNORECASE)


# "Engels is prima", "English is fine for the students": a language allowed for the work, not asked of the chat
_ALLOWED = re.compile(r"\b(?:english|engels|nederlands|dutch)\s+(?:is\s+|mag\s+|kan\s+)?(?:ook\s+)?"
                      r"(?:prima|goed|ok|oke|okay|fine|no problem|geen probleem|mag|allowed|acceptable)\b", re.IGNORECASE)


def names_a_language(text: str) -> bool:
    """Could `text` ask to switch the language? A request always names one ("English please", "kan het in een andere
    taal"); an organisation's name ("Portaal") never does, and "Engels is prima" (for the students) is no request."""
    if _ALLOWED.search(text):
        return False
    return bool(_ASK_EN.search(text) or _ASK_NL.search(text) or _LANGUAGE_WORD.search(text))


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.DUTCH, Language.ENGLISH).build()


def explicit_request(text: str) -> str | None:
    """The language the user asks for ("English please", "Nederlands graag"), if any.

    "I don't speak Dutch" asks for English; "ik spreek geen Engels" asks for Dutch.
    """
    wants_en, wants_nl = bool(_ASK_EN.search(text)), bool(_ASK_NL.search(text))
    if wants_en == wants_nl or _ALLOWED.search(text):
        return None
    words = _WORD.findall(text)
    if len(words) > 8:  # a sentence that merely mentions a language is no request
        return None
    asked = EN if wants_en else NL
    if _NEGATION.search(text):
        return NL if asked == EN else EN
    return asked


def detect(text: str) -> tuple[str | None, float]:
    """Best guess of the language of `text` and how sure it is (0..1)."""
    text = _NOT_LANGUAGE.sub(" ", text)
    norm = " ".join(text.lower().split()).strip(" .!?,")
    for lang, phrases in _SHORT.items():
        if norm in phrases:
            return lang, 0.9
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None, 0.0
    nl_hits = sum(w in _FUNCTION_WORDS[NL] for w in words)
    en_hits = sum(w in _FUNCTION_WORDS[EN] for w in words)
    values = _detector().compute_language_confidence_values(text[:1000])
    lingua = {v.language.iso_code_639_1.name.lower(): v.value for v in values}
    p_en = lingua.get(EN, 0.5)
    # Function words are strong evidence; each hit moves the estimate.
    shift = 0.15 * (en_hits - nl_hits)
    p_en = min(1.0, max(0.0, p_en + shift))
    if p_en >= 0.5:
        return EN, p_en
    return NL, 1.0 - p_en


def choose_language(current: str | None, text: str) -> str:
    """The conversation's language after the user wrote `text`."""
    asked = explicit_request(text)
    if asked:
        return asked
    lang, confidence = detect(text)
    n_words = len(_WORD.findall(text))
    if current is None:
        if lang and confidence >= 0.7:
            return lang
        return DEFAULT_LANGUAGE
    if lang and lang != current and n_words >= 4 and confidence >= 0.9 and _lead(text, lang, current) >= 2:
        return lang
    return current


def _lead(text: str, lang: str, other: str) -> int:
    """How many more function words of `lang` than of `other` the text has: "wijk Zuidwest in Den Haag,
    no rush, resident" names Dutch places but is no switch to Dutch."""
    words = [w.lower() for w in _WORD.findall(_NOT_LANGUAGE.sub(" ", text))]
    return sum(w in _FUNCTION_WORDS[lang] for w in words) - sum(w in _FUNCTION_WORDS[other] for w in words)
