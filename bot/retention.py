"""Retention and access: what is kept how long (docs/privacy.md), and what we hold about a person.

- Conversation transcripts (Rasa's `events` table): deleted after RETENTION_TRANSCRIPT_DAYS (28).
- Unfinished conversations (no intake stored from them, nothing said for RETENTION_UNFINISHED_HOURS, 48):
  deleted whole, because nobody gave consent to store them.
- Contact details: deleted RETENTION_CONTACT_DAYS (365) after the intake was closed (closed, rejected or
  duplicate); at the same moment the intake is anonymised: the description is kept, with personal data
  masked, and the link to the conversation and the organisation name are removed.
`purge` is idempotent: running it twice changes nothing the second time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, inspect, or_, select, text
from sqlalchemy.orm import Session

from bot.intakes import intake_as_dict
from bot.models import Contact, Intake, IntakeEvent, as_utc, utcnow
from bot.privacy import scrub

ENDED = ("closed", "rejected", "duplicate")


@dataclass(frozen=True)
class Retention:
    transcript_days: int = 28
    contact_days: int = 365
    unfinished_hours: int = 48

    @classmethod
    def from_env(cls) -> Retention:
        env = os.environ
        return cls(int(env.get("RETENTION_TRANSCRIPT_DAYS", 28)), int(env.get("RETENTION_CONTACT_DAYS", 365)),
                   int(env.get("RETENTION_UNFINISHED_HOURS", 48)))


def purge(session: Session, retention: Retention, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    counts = {"transcript_events": 0, "unfinished_conversation_events": 0, "contacts": 0, "intakes_anonymised": 0}
    if inspect(session.connection()).has_table("events"):
        cutoff = (now - timedelta(days=retention.transcript_days)).timestamp()
        counts["transcript_events"] = session.execute(
            text("DELETE FROM events WHERE timestamp < :cutoff"), {"cutoff": cutoff}).rowcount or 0
        idle = (now - timedelta(hours=retention.unfinished_hours)).timestamp()
        counts["unfinished_conversation_events"] = session.execute(text(
            "DELETE FROM events WHERE sender_id IN (SELECT sender_id FROM events GROUP BY sender_id "
            "HAVING max(timestamp) < :idle) AND sender_id NOT IN "
            "(SELECT sender_id FROM intakes WHERE sender_id IS NOT NULL)"), {"idle": idle}).rowcount or 0
    ended_at = (select(IntakeEvent.intake_id, func.max(IntakeEvent.at).label("at"))
                .where(IntakeEvent.kind == "status", IntakeEvent.new_value.in_(ENDED))
                .group_by(IntakeEvent.intake_id).subquery())
    limit = now - timedelta(days=retention.contact_days)
    due = session.execute(
        select(Intake, ended_at.c.at).join(ended_at, ended_at.c.intake_id == Intake.id)
        .where(Intake.status.in_(ENDED))
        .where(or_(Intake.sender_id.isnot(None), Intake.organisation.isnot(None), Intake.consent_contact.is_(True)))
    ).all()
    for intake, at in due:
        if as_utc(at) > limit:
            continue
        contact = session.scalars(select(Contact).where(Contact.intake_id == intake.id)).first()
        if contact is not None:
            session.delete(contact)
            counts["contacts"] += 1
        intake.description = scrub(intake.description).text
        intake.sender_id, intake.organisation, intake.consent_contact = None, None, False
        session.add(IntakeEvent(intake_id=intake.id, actor="retention", kind="retention",
                                note="contact deleted and intake anonymised"))
        counts["intakes_anonymised"] += 1
    return counts


def person_export(session: Session, who: str) -> dict[str, Any]:
    """Everything we hold about the person with this e-mail address or phone number (a request for access)."""
    from bot.contact import normalise_email, normalise_phone

    email, phone = normalise_email(who), normalise_phone(who)
    conditions = []
    if email:
        conditions.append(func.lower(Contact.email) == email.lower())
    if phone:
        conditions.append(Contact.phone == phone)
    contacts = session.scalars(select(Contact).where(or_(*conditions))).all() if conditions else []
    result: dict[str, Any] = {"query": who, "contacts": [], "intakes": [], "transcripts": {}}
    has_events = inspect(session.get_bind()).has_table("events")
    for contact in contacts:
        intake = session.get(Intake, contact.intake_id)
        result["contacts"].append({"name": contact.name, "email": contact.email, "phone": contact.phone,
                                   "consent_at": contact.consent_at.isoformat()})
        if intake is None:
            continue
        result["intakes"].append(intake_as_dict(intake))
        if has_events and intake.sender_id and intake.sender_id not in result["transcripts"]:
            rows = session.execute(text("SELECT type_name, timestamp, data FROM events WHERE sender_id = :s "
                                        "AND type_name IN ('user', 'bot') ORDER BY id"), {"s": intake.sender_id}).all()
            result["transcripts"][intake.sender_id] = [{"who": t, "at": ts, "event": d} for t, ts, d in rows]
    return result
