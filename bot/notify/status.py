"""What anyone who knows a reference number may hear about that question: its status in plain words and the
broker's public reason. Never its text, its place or who asked (the number is not a secret: it is said in
the chat and may be read over a shoulder). Lookups are limited (bot/privacy/attempts.py), so numbers cannot
be walked through."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.review.workflow import public_status
from bot.storage.models import Intake, IntakeEvent


@dataclass(frozen=True)
class PublicStatus:
    reference: str
    status: str  # received | in_review | searching | info_requested | matched | in_progress | closed | joined
    note: str | None  # the broker's reason for the resident, when there is one
    grouped: bool  # handled together with similar questions of other residents


def lookup(session: Session, reference: str) -> PublicStatus | None:
    intake = session.scalars(select(Intake).where(Intake.reference == reference)).one_or_none()
    if intake is None:
        return None
    # the words that came with the latest step: a status change or the matching side's report
    note = session.scalars(
        select(IntakeEvent.public_note)
        .where(IntakeEvent.intake_id == intake.id, IntakeEvent.kind.in_(("status", "matching")))
        .order_by(IntakeEvent.id.desc()).limit(1)).first()
    grouped = intake.group_id is not None
    return PublicStatus(str(intake.reference), public_status(intake.status, intake.matching_status), note or None,
                        grouped)
