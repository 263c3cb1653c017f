"""The intake status workflow as an explicit transition table, enforced on every change.

new -> in_review -> ready_for_matching -> handed_off -> matched -> closed,
or rejected / duplicate (with a reason). Every change is a history row.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.notify.updates import queue_update
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
    MATCHED: frozenset({CLOSED, HANDED_OFF}),  # handed_off: the match fell through, the search goes on
    CLOSED: frozenset(),
    REJECTED: frozenset({IN_REVIEW}),
    DUPLICATE: frozenset({IN_REVIEW}),
}
NEEDS_REASON = frozenset({REJECTED, DUPLICATE})

# What the resident hears (in the chat, by e-mail, in their messaging app): fewer, plainer steps than the broker's.
# The words are the responses utter_status_<public status> in domain.yml.
RECEIVED, REVIEWING, SEARCHING, FOUND, DONE, JOINED = "received", "in_review", "searching", "matched", "closed", "joined"
MORE_INFO, WORKING = "info_requested", "in_progress"  # steps only the matching side knows (its callbacks)
PUBLIC_STATUS: dict[str, str] = {
    NEW: RECEIVED, IN_REVIEW: REVIEWING, READY: SEARCHING, HANDED_OFF: SEARCHING, MATCHED: FOUND, CLOSED: DONE,
    REJECTED: DONE, DUPLICATE: JOINED,
}


# what the matching side reports, where it says more than our status (bot/handoff/callbacks.py)
MATCHING_STEPS = {"info_requested": MORE_INFO, "in_progress": WORKING, "in_course": WORKING}


def public_status(status: str, matching_status: str | None = None) -> str:
    """The step the resident hears: from our status, or from the matching side's progress while it has the question."""
    if status in (HANDED_OFF, MATCHED) and matching_status in MATCHING_STEPS:
        return MATCHING_STEPS[matching_status]
    return PUBLIC_STATUS.get(status, RECEIVED)


ASSISTANT = "assistant"  # the actor of changes the chat makes while the resident is still there


class TransitionError(ValueError):
    """The change is not in the transition table (or lacks a required reason)."""


def can_change(old: str, new: str) -> bool:
    return new in TRANSITIONS.get(old, frozenset())


def change_status(session: Session, intake: Intake, new: str, actor: str, reason: str | None = None,
                  public_note: str | None = None, notify: bool = True) -> IntakeEvent:
    """Move `intake` to `new` and record who and why; raises TransitionError when not allowed.

    `reason` is for brokers; `public_note` is what the resident may read. When what the resident hears changes,
    an update for them is queued in this same transaction (bot/notify/updates.py): sending it later can fail,
    but never undo or hold up the change."""
    old = intake.status
    if not can_change(old, new):
        raise TransitionError(f"status {old!r} cannot change to {new!r}")
    if new in NEEDS_REASON and not (reason and reason.strip()):
        raise TransitionError(f"status {new!r} needs a reason")
    intake.status = new
    intake.updated_at = utcnow()
    public_note = (public_note or "").strip()[:1000] or None
    event = IntakeEvent(intake_id=intake.id, actor=actor, kind="status", field="status", old_value=old,
                        new_value=new, note=reason, public_note=public_note)
    session.add(event)
    if notify and public_status(new) != public_status(old) and actor != ASSISTANT:  # not at the end of the chat itself
        queue_update(session, intake, public_status(new), public_note)
    return event
