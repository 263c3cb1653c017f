"""Which residents hear about their question, and the queueing of what they hear.

A resident who consented to be contacted hears when the status of their question changes, in plain words:
in the chat app they used (Telegram, WhatsApp), otherwise by e-mail when they gave an address. Nothing is
sent after an erasure, after "stop these updates", or when consent to be contacted was withdrawn; that is
checked when the update is queued and again when it is sent (bot/notify/sender.py).

An update is an outbox row (destination "resident") written in the transaction of the status change, so
it is sent exactly when the change is committed; it holds no address and no text of the question: the
sender looks both up at the moment of sending.
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from bot.storage.models import Intake, OutboxMessage
from bot.storage.outbox import RESIDENT, add_message

EVENT_STATUS = "status.update"
EMAIL, TELEGRAM, WHATSAPP = "email", "telegram", "whatsapp"
CHAT_ROUTES = (TELEGRAM, WHATSAPP)


def route(intake: Intake) -> str | None:
    """How this resident is reached now (email | telegram | whatsapp), or None when they must not be."""
    if not intake.consent_contact or intake.erased_at is not None or intake.updates_stopped_at is not None:
        return None
    if intake.channel in CHAT_ROUTES and intake.sender_id:
        return str(intake.channel)
    if intake.contact is not None and intake.contact.email:
        return EMAIL
    return None


def stop_token(intake: Intake) -> str:
    """The random token of this intake's "stop these updates" link, made when first needed."""
    if not intake.updates_token:
        intake.updates_token = secrets.token_urlsafe(24)
    return str(intake.updates_token)


def queue_update(session: Session, intake: Intake, status: str, public_note: str | None = None) -> OutboxMessage | None:
    """Queue a status update for the resident, in the caller's transaction; None when they are not to hear."""
    if route(intake) is None:
        return None
    stop_token(intake)
    return add_message(session, intake, EVENT_STATUS, {"intake": intake.uuid, "status": status, "note": public_note},
                       RESIDENT)


def stop_updates(session: Session, token: str) -> Intake | None:
    """The resident's "stop these updates" (the link in every update): no more updates for this question.
    Updates already queued are cancelled when their turn comes. Returns the intake, or None for an unknown token."""
    from sqlalchemy import select

    from bot.storage.models import IntakeEvent, utcnow

    if not token or len(token) > 64:
        return None
    intake = session.scalars(select(Intake).where(Intake.updates_token == token).with_for_update()).one_or_none()
    if intake is None:
        return None
    if intake.updates_stopped_at is None:
        intake.updates_stopped_at = utcnow()
        session.add(IntakeEvent(intake_id=intake.id, actor="resident", kind="updates", field="updates",
                                new_value="stopped"))
    return intake
