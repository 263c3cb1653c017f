"""The intake status workflow as an explicit transition table, enforced on every change.

new -> in_review -> ready_for_matching -> handed_off -> matched -> closed,
or rejected / duplicate (with a reason). Every change is a history row.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.storage.models import Intake, IntakeEvent, utcnow

NEW, IN_REVIEW, READY, HANDED_OFF, MATCHED, CLOSED = (
    "new", "in_review", "ready_for_matching", "handed_off", "matched", "closed")
REJECTED, DUPLICATE = "rejected", "duplicate"
STATUSES = (NEW, IN_REVIEW, READY, HANDED_OFF, MATCHED, CLOSED, REJECTED, DUPLICATE)

TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({IN_REVIEW, READY, REJECTED, DUPLICATE}),
    IN_REVIEW: frozenset({READY, REJECTED, DUPLICATE}),
    READY: frozenset({HANDED_OFF, IN_REVIEW, REJECTED}),
    HANDED_OFF: frozenset({MATCHED, IN_REVIEW, CLOSED}),  # in_review: the backend declined
    MATCHED: frozenset({CLOSED}),
    CLOSED: frozenset(),
    REJECTED: frozenset({IN_REVIEW}),
    DUPLICATE: frozenset({IN_REVIEW}),
}
NEEDS_REASON = frozenset({REJECTED, DUPLICATE})


class TransitionError(ValueError):
    """The change is not in the transition table (or lacks a required reason)."""


def can_change(old: str, new: str) -> bool:
    return new in TRANSITIONS.get(old, frozenset())


def change_status(session: Session, intake: Intake, new: str, actor: str, reason: str | None = None) -> IntakeEvent:
    """Move `intake` to `new` and record who and why; raises TransitionError when not allowed."""
    old = intake.status
    if not can_change(old, new):
        raise TransitionError(f"status {old!r} cannot change to {new!r}")
    if new in NEEDS_REASON and not (reason and reason.strip()):
        raise TransitionError(f"status {new!r} needs a reason")
    intake.status = new
    intake.updated_at = utcnow()
    event = IntakeEvent(intake_id=intake.id, actor=actor, kind="status", field="status", old_value=old,
                        new_value=new, note=reason)
    session.add(event)
    return event
