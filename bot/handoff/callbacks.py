"""Progress reported back by the matching backend: verified, idempotent, recorded in the history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.notify.updates import queue_update
from bot.review import workflow
from bot.storage.intakes import find_intake
from bot.storage.models import InboundWebhook, IntakeEvent

# schemas/intake-status.v1.json; the second line came with the matching service's lifecycle (docs/matching.md)
BACKEND_STATUSES = ("received", "matched", "in_course", "results_delivered", "declined",
                    "under_review", "info_requested", "in_progress", "done", "not_suitable")
STATUS_MOVES = {"matched": workflow.MATCHED, "declined": workflow.IN_REVIEW, "done": workflow.CLOSED,
                "results_delivered": workflow.CLOSED, "not_suitable": workflow.CLOSED,
                "under_review": workflow.HANDED_OFF}  # under review again after a match: the search goes on


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
    public_note = data.get("public_note")
    if any(v is not None and not isinstance(v, str) for v in (match_id, note, public_note)):
        return CallbackResult(422, "match_id, note and public_note must be strings")
    try:
        with sessions.begin() as session:
            intake = find_intake(session, intake_id, lock=True)
            if intake is None:
                return CallbackResult(404, "unknown intake")
            session.add(InboundWebhook(webhook_id=webhook_id[:128]))
            session.flush()  # a repeated webhook-id fails here, before anything else changes
            before = workflow.public_status(intake.status, intake.matching_status)
            intake.matching_status = status
            if match_id:
                intake.match_id = match_id[:200]
            target = STATUS_MOVES.get(status)
            if target and workflow.can_change(intake.status, target):
                workflow.change_status(session, intake, target, "matching-backend", reason=(note or None),
                                       public_note=public_note, notify=False)
            after = workflow.public_status(intake.status, intake.matching_status)
            if after != before:  # the resident hears each step once, with the matching side's words for them
                queue_update(session, intake, after, (public_note or "")[:1000] or None)
            session.add(IntakeEvent(intake_id=intake.id, actor="matching-backend", kind="matching",
                                    field="matching_status", new_value=status, note=(note or "")[:2000] or None,
                                    public_note=(public_note or "")[:1000] or None))
    except IntegrityError:
        return CallbackResult(200, "already processed")
    return CallbackResult(200, "recorded")
