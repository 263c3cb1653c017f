"""Progress reported back by the matching backend: verified, idempotent, recorded in the history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.review import workflow
from bot.storage.intakes import find_intake
from bot.storage.models import InboundWebhook, IntakeEvent

BACKEND_STATUSES = ("received", "matched", "in_course", "results_delivered", "declined")
STATUS_MOVES = {"matched": workflow.MATCHED, "declined": workflow.IN_REVIEW}


@dataclass
class CallbackResult:
    code: int
    detail: str


def apply_callback(sessions: sessionmaker, intake_id: str, webhook_id: str, data: object) -> CallbackResult:
    """Record one verified callback once; a repeated webhook-id changes nothing.

    The signature covers the body, not the URL, so the body names its intake (`id`) and must name the one in
    the URL: otherwise intake A's signed status could be replayed onto intake B within the 5-minute window.
    """
    if not isinstance(data, dict):
        return CallbackResult(422, "the body must be a JSON object (schemas/intake-status.v1.json)")
    if not isinstance(data.get("id"), str) or data["id"] != intake_id:
        return CallbackResult(422, "id in the body must equal the intake id in the URL")
    if data.get("status") not in BACKEND_STATUSES:
        return CallbackResult(422, f"status must be one of {', '.join(BACKEND_STATUSES)}")
    status = data["status"]
    match_id = data.get("match_id")
    note = data.get("note")
    if match_id is not None and not isinstance(match_id, str) or note is not None and not isinstance(note, str):
        return CallbackResult(422, "match_id and note must be strings")
    try:
        with sessions.begin() as session:
            intake = find_intake(session, intake_id, lock=True)
            if intake is None:
                return CallbackResult(404, "unknown intake")
            session.add(InboundWebhook(webhook_id=webhook_id[:128]))
            session.flush()  # a repeated webhook-id fails here, before anything else changes
            intake.matching_status = status
            if match_id:
                intake.match_id = match_id[:200]
            target = STATUS_MOVES.get(status)
            if target and workflow.can_change(intake.status, target):
                workflow.change_status(session, intake, target, "matching-backend", reason=(note or None))
            session.add(IntakeEvent(intake_id=intake.id, actor="matching-backend", kind="matching",
                                    field="matching_status", new_value=status, note=(note or "")[:2000] or None))
    except IntegrityError:
        return CallbackResult(200, "already processed")
    return CallbackResult(200, "recorded")
