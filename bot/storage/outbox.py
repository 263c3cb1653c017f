"""Outbox rows: a message to deliver later, written in the transaction of the change it reports.

Two destinations share the table and the delivery engine (bot/handoff/delivery.py): the matching backend
(bot/handoff/outbox.py) and the resident who asked (status updates, bot/notify/updates.py).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.storage.models import Intake, OutboxMessage, utcnow

PENDING, DELIVERING, DELIVERED, DEAD, CANCELLED = "pending", "delivering", "delivered", "dead", "cancelled"
MATCHING, RESIDENT = "matching", "resident"


def add_message(session: Session, intake: Intake, event_type: str, payload: dict[str, Any],
                destination: str = MATCHING, not_before: datetime | None = None) -> OutboxMessage:
    """Queue `payload` for `destination` in the caller's transaction; its id stays the same across retries."""
    if intake.id is None:
        session.flush()
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    message = OutboxMessage(webhook_id=f"msg_{uuid.uuid4().hex}", intake_id=intake.id, event_type=event_type,
                            destination=destination, payload=body, status=PENDING, attempts=0,
                            next_attempt_at=not_before or utcnow())
    session.add(message)
    return message
