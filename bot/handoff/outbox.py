"""The handoff's outbox: what goes to the matching backend, written in the transaction that decides it.

An outbox row is written in the same transaction as the status change it reports (`approve`), so a handoff
can never be lost or invented; erasure queues its notice the same way (`queue`). bot/handoff/delivery.py
delivers the rows, signed by bot/handoff/signing.py.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import AFTER_CONFIRMATION, HandoffSettings
from bot.review import workflow
from bot.storage.intakes import IntakeDraft, neighbourhood_dict, submit_intake
from bot.storage.models import Intake, OutboxMessage, utcnow
from bot.storage.outbox import (
    CANCELLED,
    DEAD,
    DELIVERED,
    DELIVERING,
    MATCHING,
    PENDING,
    add_message,
)
from bot.structuring.needs import infer as infer_needs

SCHEMA_VERSION = "1"
EVENT_READY = "intake.ready"
__all__ = ["CANCELLED", "DEAD", "DELIVERED", "DELIVERING", "PENDING", "queue", "enqueue", "approve"]


def queue(session: Session, intake: Intake, event_type: str, payload: dict[str, Any],
          not_before: datetime | None = None) -> OutboxMessage:
    """Add a message for the matching backend to the outbox, in the caller's transaction."""
    return add_message(session, intake, event_type, payload, MATCHING, not_before)


def build_payload(intake: Intake, settings: HandoffSettings, event_type: str = EVENT_READY) -> dict[str, Any]:
    """The intake as the matching backend receives it (schemas/intake.v1.json)."""
    alternatives = json.loads(intake.theme_alternatives) if intake.theme_alternatives else []
    share_contact = bool(intake.consent_share and intake.consent_contact and intake.erased_at is None)
    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "event": event_type,
        "id": intake.uuid,
        "reference": intake.reference,
        "created_at": intake.created_at.isoformat(),
        "updated_at": intake.updated_at.isoformat(),
        "language": intake.language,
        "channel": intake.channel,
        "asker": {"role": intake.asker_role, "organisation": intake.organisation},
        "description": intake.description,
        "theme": {"id": intake.theme, "confidence": intake.theme_confidence, "alternatives": alternatives},
        "neighbourhood": neighbourhood_dict(intake),
        "urgency": intake.urgency,
        "timeframe": intake.timeframe,
        # Every stored intake had consent to store. The question may go to the education partners only
        # with consent to share; contact data travels only with consent to share AND to be contacted.
        "consent": {"store": True, "share_with_partners": bool(intake.consent_share),
                    "contact": bool(intake.consent_contact), "share_contact": share_contact},
        "dashboard_url": f"{settings.dashboard_url}/intakes/{intake.uuid}",
        "needs": needs_for(intake),
    }
    if share_contact and intake.contact is not None:
        payload["contact"] = {"name": intake.contact.name, "email": intake.contact.email, "phone": intake.contact.phone}
    return payload


def needs_for(intake: Intake) -> dict[str, Any]:
    """What the question says, with what the asker answered in the chat over it."""
    found = infer_needs(intake.description or "", intake.timeframe, intake.urgency)
    answered = json.loads(intake.needs) if intake.needs else {}
    return {**found, **{k: v for k, v in answered.items() if k in found and v is not None}}


def enqueue(session: Session, intake: Intake, settings: HandoffSettings, event_type: str = EVENT_READY) -> OutboxMessage:
    return queue(session, intake, event_type, build_payload(intake, settings, event_type))


def approve(session: Session, intake: Intake, actor: str, settings: HandoffSettings) -> OutboxMessage:
    """Mark the intake ready for matching and queue its handoff, in the caller's transaction."""
    workflow.change_status(session, intake, workflow.READY, actor)
    session.flush()
    return enqueue(session, intake, settings)


def submit_confirmed(session: Session, draft: IntakeDraft, settings: HandoffSettings) -> Intake:
    """Store what the resident confirmed; hand it off at once when HANDOFF_AFTER=confirmation."""
    intake = submit_intake(session, draft)
    if settings.after == AFTER_CONFIRMATION:
        approve(session, intake, workflow.ASSISTANT, settings)
    return intake


def retry_dead(session: Session, message_id: int) -> bool:
    """Put a dead-lettered message back in the queue (the broker's retry)."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.status != DEAD:
        return False
    message.status, message.next_attempt_at, message.locked_until = PENDING, utcnow(), None
    message.created_at = utcnow()  # a fresh retry window
    return True


def outbox_counts(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.execute(select(OutboxMessage.status, func.count()).where(OutboxMessage.destination == MATCHING)
                           .group_by(OutboxMessage.status)).all()
    return {status: count for status, count in rows}
