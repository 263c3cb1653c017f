"""Requests for access (AVG art. 15): everything we hold about one person, found by e-mail address or phone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.privacy.contact import normalise_email, normalise_phone
from bot.storage import transcripts
from bot.storage.intakes import intake_as_dict
from bot.storage.models import Contact, Intake


def person_export(session: Session, who: str) -> dict[str, Any]:
    """Everything we hold about the person with this e-mail address or phone number (a request for access)."""
    email, phone = normalise_email(who), normalise_phone(who)
    conditions = []
    if email:
        conditions.append(func.lower(Contact.email) == email.lower())
    if phone:
        conditions.append(Contact.phone == phone)
    contacts = session.scalars(select(Contact).where(or_(*conditions))).all() if conditions else []
    result: dict[str, Any] = {"query": who, "contacts": [], "intakes": [], "transcripts": {}}
    for contact in contacts:
        intake = session.get(Intake, contact.intake_id)
        result["contacts"].append({"name": contact.name, "email": contact.email, "phone": contact.phone,
                                   "consent_at": contact.consent_at.isoformat()})
        if intake is None:
            continue
        result["intakes"].append(intake_as_dict(intake))
        if intake.sender_id and intake.sender_id not in result["transcripts"]:
            result["transcripts"][intake.sender_id] = [
                {"who": e.type_name, "at": e.timestamp, "event": e.data}
                for e in transcripts.conversation(session, intake.sender_id)]
    return result
