"""The three consents (store the question, share it with the education partners, be contacted).

Each is asked separately, in the user's language, with the text from domain.yml. What the user
answered is kept with the moment of the answer and the version of the text they saw: the
version is the response name, the language and a hash of the exact text, and the text itself
is stored once per version (`consent_texts`), so a privacy officer can show what was asked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.models import Consent, ConsentText
from bot.responses import render
from bot.text import fold

KINDS = ("store", "share", "contact")
SLOTS = {"store": "consent_store", "share": "consent_share", "contact": "contact_consent"}
QUESTIONS = {kind: f"utter_ask_{slot}" for kind, slot in SLOTS.items()}

# Consent must be unambiguous (art. 4(11) AVG): only these answers count; anything else is asked again.
# They are compared after folding (lower case, no accents or punctuation), so "Ja, dat mag!" is "ja dat mag".
_YES = {"true", "ja", "yes", "ja dat mag", "dat mag", "yes you may", "you may", "prima", "ja prima", "ok", "oke",
        "okay", "goed", "is goed", "ja is goed", "ja hoor", "akkoord", "ik ga akkoord", "agree", "i agree",
        "ja graag", "graag", "yes please", "sure", "yes sure", "of course", "natuurlijk", "ja natuurlijk",
        "that s fine", "fine", "ja bewaar mijn vraag", "yes keep my question", "ja delen", "yes share it", "y", "j"}
_NO = {"false", "nee", "no", "anoniem", "anonymous", "liever niet", "nee liever niet", "rather not", "nee hoor",
       "nee dank je", "nee dank u", "no thanks", "no thank you", "nee niet bewaren", "no do not keep it",
       "nee niet delen", "no do not share it", "niet bewaren", "niet delen", "do not", "don t", "nope",
       "ik blijf anoniem", "nee ik blijf anoniem", "no i stay anonymous", "n"}


def yes_or_no(value: Any) -> bool | None:
    """True, False, or None when the answer is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        key = fold(value)
        if key in _YES:
            return True
        if key in _NO:
            return False
    return None


@dataclass(frozen=True)
class ConsentQuestion:
    kind: str
    language: str
    text: str

    @property
    def version(self) -> str:
        digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:12]
        return f"{QUESTIONS[self.kind]}:{self.language}:{digest}"


def question(kind: str, language: str | None) -> ConsentQuestion:
    """The consent question as the user sees it in `language` (from domain.yml)."""
    lang = language if language in ("nl", "en") else "nl"
    return ConsentQuestion(kind, lang, render(QUESTIONS[kind], lang))


def answer(kind: str, given: bool, language: str | None, at: datetime | None = None) -> dict[str, Any]:
    """One entry of the `consent_log` slot: what was answered to which text, and when."""
    q = question(kind, language)
    return {"given": given, "at": (at or datetime.now(timezone.utc)).isoformat(), "version": q.version,
            "language": q.language}


@dataclass(frozen=True)
class ConsentRecord:
    kind: str
    given: bool
    at: datetime
    version: str
    language: str


def records_from_log(log: dict[str, Any] | None, slots: dict[str, Any]) -> list[ConsentRecord]:
    """The consents to store: the last answer per kind, for the questions that were actually answered."""
    out: list[ConsentRecord] = []
    for kind in KINDS:
        entry = (log or {}).get(kind)
        if not isinstance(entry, dict) or slots.get(SLOTS[kind]) is None:
            continue
        try:
            at = datetime.fromisoformat(entry["at"])
        except (KeyError, TypeError, ValueError):
            continue
        out.append(ConsentRecord(kind, bool(slots[SLOTS[kind]]), at, str(entry.get("version")),
                                 str(entry.get("language") or "nl")))
    return out


def store_consents(session: Session, intake_id: int, records: list[ConsentRecord]) -> None:
    """Write the consent rows of an intake, and each text version the first time it is seen."""
    for record in records:
        if session.get(ConsentText, record.version) is None:
            q = question(record.kind, record.language)
            text = q.text if q.version == record.version else f"(text of version {record.version} not available)"
            try:
                with session.begin_nested():  # another intake may record the same new version at once
                    session.add(ConsentText(version=record.version, kind=record.kind, language=record.language,
                                            text=text))
            except IntegrityError:
                pass
        session.add(Consent(intake_id=intake_id, kind=record.kind, given=record.given, answered_at=record.at,
                            text_version=record.version))
