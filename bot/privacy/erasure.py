"""Erasure of a person's data on request (art. 17 AVG), from the chat or the broker's dashboard.

What erasure does to one intake, in one transaction:
- deletes the contact row (name, e-mail address, phone number);
- deletes the conversation transcript (Rasa's `events` rows of the conversation);
- masks personal data in the description, the place and organisation as typed, the time frame and
  every history row (notes, corrected fields, reasons): e-mail addresses, phone numbers, BSNs, and
  the name the person gave as their own (known only when they gave contact details);
- unlinks the conversation and withdraws consent to be contacted and to share;
- rewrites the stored copies of earlier handoff messages, so the outbox keeps no personal data;
- records who erased it, when and why (a history row), and tells the matching backend with a
  signed `intake.erased` event when the intake was ever queued for it.
The masking, unlinking and rewriting is `anonymise`, which retention (bot/privacy/retention.py) uses as well, so a
year after closing an intake ends up as anonymous as one erased on request.
The question itself stays, anonymised, so the work on it can go on. Erasing twice changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import HandoffSettings
from bot.handoff.outbox import CANCELLED, DELIVERING, PENDING, SCHEMA_VERSION, build_payload, queue
from bot.privacy.contact import normalise_email, normalise_phone
from bot.privacy.scrub import scrub
from bot.storage import transcripts
from bot.storage.models import Contact, Intake, IntakeEvent, OutboxMessage, as_utc, utcnow
from bot.storage.outbox import MATCHING
from bot.storage.outbox import RESIDENT as TO_RESIDENT

EVENT_ERASED = "intake.erased"
RESIDENT, BROKER = "resident_request", "broker"
NAME_MASK = "[naam]"
MAX_ATTEMPTS = 3  # wrong reference/contact combinations per conversation before the chat stops trying
REFERENCE = re.compile(r"\bLS[\s\-]?(\d{4})[\s\-]?(\d{1,9})\b", re.IGNORECASE)
# parts of Dutch names that are not names on their own
_PARTICLES = {"van", "de", "der", "den", "het", "ter", "ten", "te", "la", "le", "du", "da", "di", "von", "op", "in",
              "t", "'t", "el", "al", "bin", "ben", "mc", "st"}


def parse_reference(value: str) -> str | None:
    """A reference number in any common spelling ('ls 2026 123', 'LS-2026-000123') as LS-YYYY-NNNNNN."""
    match = REFERENCE.search(value or "")
    if not match:
        return None
    return f"LS-{match.group(1)}-{int(match.group(2)):06d}"


def parse_proof(value: str) -> str | None:
    """The e-mail address or phone number in `value`, normalised, or None."""
    return normalise_email(value or "") or normalise_phone(value or "")


def find_for_requester(session: Session, reference: str, proof: str) -> Intake | None:
    """The intake with this reference whose contact row has this e-mail address or phone number."""
    ref = parse_reference(reference)
    given = parse_proof(proof)
    if not ref or not given:
        return None
    intake = session.scalars(select(Intake).where(Intake.reference == ref).with_for_update()).one_or_none()
    if intake is None or intake.erased_at is not None:
        return None
    contact = session.scalars(select(Contact).where(Contact.intake_id == intake.id)).first()
    if contact is None:
        return None
    if "@" in given:
        return intake if (contact.email or "").lower() == given.lower() else None
    return intake if contact.phone == given else None


def mask_names(value: str, names: list[str]) -> str:
    """`value` with each given name, and each part of it that is a name, replaced by [naam]."""
    parts: set[str] = set()
    for name in names:
        name = " ".join(name.split())
        if len(name) >= 2:
            parts.add(name)
        parts.update(p for p in re.split(r"[\s\-]+", name) if len(p) >= 2 and p.lower() not in _PARTICLES)
    for part in sorted(parts, key=len, reverse=True):
        value = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", NAME_MASK, value, flags=re.IGNORECASE)
    return value


def _clean(value: str | None, names: list[str]) -> str | None:
    return mask_names(scrub(value).text, names) if value else value


def delete_transcript(session: Session, sender_id: str | None) -> int:
    """Delete the Rasa tracker events of one conversation (when the tracker store shares this database)."""
    return transcripts.delete_conversation(session, sender_id)


def strip_contact(payload: str) -> str | None:
    """A stored handoff body without its contact block (name, e-mail, phone), or None when it has none.

    For messages already delivered: the matching backend has the contact details, the outbox copy needs none.
    """
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(body, dict) or "contact" not in body:
        return None
    body.pop("contact")
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Anonymised:
    contact_deleted: bool = False
    transcript_events: int = 0
    outbox: list[OutboxMessage] = field(default_factory=list)  # earlier handoff messages, rewritten


def anonymise(session: Session, intake: Intake, settings: HandoffSettings) -> Anonymised:
    """Take the personal data out of one intake; the one anonymiser of erasure and retention (bot/privacy/retention.py).

    Deletes the contact row and the transcript; masks e-mail addresses, phone numbers, BSNs and the contact's
    own name in the description, the place and organisation as typed, the time frame and every history row;
    unlinks the conversation and withdraws consent to be contacted; rewrites the stored copies of earlier
    handoff messages from the anonymised intake, so the outbox holds no contact block and no unmasked text.
    What each caller adds (erasure: consent to share withdrawn, `erased_at`; retention: the organisation
    removed) it sets before calling, so the rewritten messages show it too. Call inside a transaction.
    """
    result = Anonymised()
    contact = session.scalars(select(Contact).where(Contact.intake_id == intake.id)).first()
    names = [contact.name] if contact is not None and contact.name else []
    if contact is not None:
        session.delete(contact)
        result.contact_deleted = True
    result.transcript_events = delete_transcript(session, intake.sender_id)
    intake.description = _clean(intake.description, names) or ""
    for column in ("neighbourhood_text", "organisation", "timeframe"):
        setattr(intake, column, _clean(getattr(intake, column), names))
    if intake.needs:  # the organisation's answer about what matching needs, in its own words
        answered = json.loads(intake.needs)
        answered["said"] = _clean(answered.get("said"), names)
        intake.needs = json.dumps(answered, ensure_ascii=False)
    for event in intake.events:  # notes, corrected fields and reasons typed with a status change
        event.note, event.old_value, event.new_value = (_clean(event.note, names), _clean(event.old_value, names),
                                                        _clean(event.new_value, names))
        event.public_note = _clean(event.public_note, names)
    intake.sender_id, intake.consent_contact = None, False
    session.flush()
    # status updates for the resident: those not sent yet never will be, and none keeps the broker's words
    for update in session.scalars(select(OutboxMessage).where(OutboxMessage.intake_id == intake.id,
                                                              OutboxMessage.destination == TO_RESIDENT)):
        update.payload = json.dumps({**json.loads(update.payload), "note": None}, separators=(",", ":"))
        if update.status == PENDING:
            update.status, update.last_error = CANCELLED, "not sent: personal data erased"
    result.outbox = list(session.scalars(select(OutboxMessage).where(OutboxMessage.intake_id == intake.id,
                                                                     OutboxMessage.destination == MATCHING,
                                                                     OutboxMessage.event_type != EVENT_ERASED)))
    for message in result.outbox:
        message.payload = json.dumps(build_payload(intake, settings, message.event_type), ensure_ascii=False,
                                     separators=(",", ":"))
        message.response_body = None
    return result


def erased_payload(intake: Intake, category: str, at: datetime) -> dict[str, Any]:
    """The `intake.erased` event (schemas/intake-erased.v1.json): no personal data at all."""
    return {"schema_version": SCHEMA_VERSION, "event": EVENT_ERASED, "id": intake.uuid, "reference": intake.reference,
            "match_id": intake.match_id, "erased_at": at.isoformat(), "reason": category}


@dataclass
class Erasure:
    reference: str
    already: bool = False
    contact_deleted: bool = False
    transcript_events: int = 0
    outbox_rewritten: int = 0
    backend_told: bool = False


def erase_intake(session: Session, intake: Intake, actor: str, reason: str, category: str,
                 settings: HandoffSettings) -> Erasure:
    """Erase the personal data of `intake` (see the module text). Call inside a transaction."""
    result = Erasure(reference=intake.reference or intake.uuid)
    if intake.erased_at is not None:
        result.already = True
        return result
    now = utcnow()
    intake.consent_share, intake.erased_at = False, now
    done = anonymise(session, intake, settings)
    result.contact_deleted, result.transcript_events = done.contact_deleted, done.transcript_events
    result.outbox_rewritten = len(done.outbox)
    session.add(IntakeEvent(intake_id=intake.id, actor=actor, kind="erased", new_value=category,
                            note=(reason or "").strip()[:500] or None))
    if done.outbox:
        # never before an earlier message of this intake that is still waiting for a retry
        waiting = [as_utc(m.next_attempt_at) for m in done.outbox if m.status in (PENDING, DELIVERING)]
        queue(session, intake, EVENT_ERASED, erased_payload(intake, category, now), not_before=max([now, *waiting]))
        result.backend_told = True
    return result
