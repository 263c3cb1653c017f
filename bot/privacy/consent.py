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

from bot.conversation.responses import render
from bot.storage.models import Consent, ConsentText

KINDS = ("store", "share", "contact")
SLOTS = {"store": "consent_store", "share": "consent_share", "contact": "contact_consent"}
# The question whose text the answer is recorded against. Storing and sharing are asked in one
# question with separate choices (COMBINED_QUESTION); sharing is asked apart only when that answer
# left it open. How answers are read (a clear yes, a liberal no) is in bot/conversation/answers.py.
COMBINED_QUESTION = "utter_ask_consent"
QUESTIONS = {"store": COMBINED_QUESTION, "share": "utter_ask_consent_share", "contact": "utter_ask_contact"}


@dataclass(frozen=True)
class ConsentQuestion:
    kind: str
    language: str
    text: str
    key: str  # the response in domain.yml

    @property
    def version(self) -> str:
        digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:12]
        return f"{self.key}:{self.language}:{digest}"


def question(kind: str, language: str | None, key: str | None = None) -> ConsentQuestion:
    """The consent question as the user sees it in `language` (from domain.yml)."""
    lang = language if language in ("nl", "en") else "nl"
    response = key or QUESTIONS[kind]
    return ConsentQuestion(kind, lang, render(response, lang), response)


def answer(kind: str, given: bool, language: str | None, key: str | None = None,
           at: datetime | None = None) -> dict[str, Any]:
    """One entry of the `consent_log` slot: what was answered to which text, and when."""
    q = question(kind, language, key)
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
            q = question(record.kind, record.language, record.version.split(":", 1)[0])
            text = q.text if q.version == record.version else f"(text of version {record.version} not available)"
            try:
                with session.begin_nested():  # another intake may record the same new version at once
                    session.add(ConsentText(version=record.version, kind=record.kind, language=record.language,
                                            text=text))
            except IntegrityError:
                pass
        session.add(Consent(intake_id=intake_id, kind=record.kind, given=record.given, answered_at=record.at,
                            text_version=record.version))
