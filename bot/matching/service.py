"""What the matching service does with the handoff contract (schemas/intake.v1.json, intake-erased.v1.json) and
with the progress it reports back (schemas/intake-status.v1.json).

- `receive`: one verified delivery, idempotent by webhook id: intake.ready creates the question (or updates it,
  when the broker corrected and sent it again) and reports "received"; intake.erased removes what the delivery
  carried of the person (the description as sent, contact, the stored payload) and keeps the question's bare facts.
- `change_status`: a step on the matching side, checked against the transition table, with a history row and a
  callback written in the same transaction.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.matching.store import Callback, Inbound, Question, QuestionEvent, Slot
from bot.storage.models import utcnow

# The lifecycle on the matching side, as a transition table (like Signalen's); every step is a history row and a
# signed callback, so the resident hears it (docs/matching.md, docs/loop-back.md).
RECEIVED, UNDER_REVIEW, INFO_REQUESTED, MATCHED = "received", "under_review", "info_requested", "matched"
IN_PROGRESS, DONE, NOT_SUITABLE = "in_progress", "done", "not_suitable"
STATUSES = (RECEIVED, UNDER_REVIEW, INFO_REQUESTED, MATCHED, IN_PROGRESS, DONE, NOT_SUITABLE)
TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({UNDER_REVIEW, MATCHED, NOT_SUITABLE}),
    UNDER_REVIEW: frozenset({INFO_REQUESTED, MATCHED, NOT_SUITABLE}),
    INFO_REQUESTED: frozenset({UNDER_REVIEW, MATCHED, NOT_SUITABLE}),
    MATCHED: frozenset({IN_PROGRESS, UNDER_REVIEW, NOT_SUITABLE}),  # under review: the match fell through
    IN_PROGRESS: frozenset({DONE}),
    DONE: frozenset(),
    NOT_SUITABLE: frozenset({UNDER_REVIEW}),  # reopened
}
NEEDS_PUBLIC_NOTE = frozenset({INFO_REQUESTED, NOT_SUITABLE})  # the asker must be told what and why


class TransitionError(ValueError):
    pass


@dataclass
class Answer:
    code: int
    body: dict[str, Any]


def _callback(session: Session, question: Question, status: str, note: str | None = None,
              public_note: str | None = None) -> None:
    body = {"id": question.intake_id, "status": status, "match_id": question.match_id, "note": note,
            "public_note": public_note}
    session.add(Callback(webhook_id=f"cb_{uuid.uuid4().hex}", question_id=question.id,
                         body=json.dumps(body, ensure_ascii=False, separators=(",", ":")), status="pending",
                         attempts=0, next_attempt_at=utcnow()))


def _event(session: Session, question: Question, actor: str, kind: str, old: str | None = None,
           new: str | None = None, note: str | None = None) -> None:
    session.add(QuestionEvent(question_id=question.id, actor=actor, kind=kind, old_value=old, new_value=new, note=note))


def _fill(question: Question, data: dict[str, Any]) -> None:
    place = data.get("neighbourhood") or {}
    theme = data.get("theme") or {}
    consent = data.get("consent") or {}
    question.reference = data.get("reference")
    question.language = data.get("language")
    question.theme = theme.get("id") if isinstance(theme, dict) else None
    question.neighbourhood = (place.get("name") or place.get("district_name")) if isinstance(place, dict) else None
    question.district = place.get("district_name") if isinstance(place, dict) else None
    question.urgency = data.get("urgency")
    question.timeframe = data.get("timeframe")
    question.description = data.get("description")
    question.share_with_partners = bool(isinstance(consent, dict) and consent.get("share_with_partners"))
    question.payload = json.dumps(data, ensure_ascii=False)
    question.needs = json.dumps(data.get("needs")) if isinstance(data.get("needs"), dict) else None


def receive(sessions: sessionmaker, webhook_id: str, data: object) -> Answer:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return Answer(422, {"error": "a JSON object with an id is expected (schemas/intake.v1.json)"})
    event = data.get("event")
    if event not in ("intake.ready", "intake.erased"):
        return Answer(422, {"error": "event must be intake.ready or intake.erased"})
    try:
        with sessions.begin() as session:
            session.add(Inbound(webhook_id=webhook_id[:128]))
            session.flush()  # a repeated webhook-id fails here, before anything changes
            question = session.scalars(select(Question).where(Question.intake_id == data["id"])
                                       .with_for_update()).one_or_none()
            if event == "intake.erased":
                return _erase(session, question)
            if question is None:
                question = Question(intake_id=data["id"], match_id=f"m_{uuid.uuid4().hex[:16]}", status=RECEIVED)
                session.add(question)
                _fill(question, data)
                session.flush()
                _event(session, question, "assistant", "received", new=RECEIVED)
                _callback(session, question, RECEIVED)
            else:
                _fill(question, data)
                _event(session, question, "assistant", "updated")
                if question.status == NOT_SUITABLE:  # corrected and sent again: look again
                    change_status(session, question, UNDER_REVIEW, "assistant")
            return Answer(200, {"match_id": question.match_id, "status": question.status})
    except IntegrityError:
        with sessions() as session:
            found = session.scalars(select(Question).where(Question.intake_id == data["id"])).one_or_none()
            return Answer(200, {"match_id": found.match_id if found else None, "result": "already processed"})


def _erase(session: Session, question: Question | None) -> Answer:
    if question is None:
        return Answer(200, {"result": "unknown intake: nothing held"})
    if question.erased_at is None:
        question.erased_at = utcnow()
        question.description, question.payload, question.needs = None, None, None
        session.execute(QuestionEvent.__table__.update().where(QuestionEvent.question_id == question.id)
                        .values(note=None))
        _event(session, question, "assistant", "erased")
    return Answer(200, {"match_id": question.match_id, "result": "erased"})


def change_status(session: Session, question: Question, new: str, actor: str, note: str | None = None,
                  public_note: str | None = None) -> None:
    """A step on the matching side; the assistant (and through it the asker) hears it by signed callback.
    `note` is for the brokers; `public_note` is what the asker reads (needed when asking for information or
    saying the question is not suitable)."""
    old = question.status
    if new not in TRANSITIONS.get(old, frozenset()):
        raise TransitionError(f"status {old!r} cannot change to {new!r}")
    public_note = (public_note or "").strip()[:1000] or None
    if new in NEEDS_PUBLIC_NOTE and not public_note:
        raise TransitionError(f"{new!r} needs a message for the asker")
    question.status = new
    _event(session, question, actor, "status", old, new, note)
    _callback(session, question, new, note, public_note)


def confirm(session: Session, question: Question, slot: Slot, actor: str, public_note: str | None = None) -> None:
    """The broker confirms a suggested slot: matched, with the slot in words for the asker."""
    from bot.matching.reasons import matched_with

    question.slot_id = slot.id
    change_status(session, question, MATCHED, actor, note=f"{slot.code} {slot.title}",
                  public_note=public_note or matched_with(slot, question.language or "nl"))


def finish(session: Session, question: Question, actor: str, summary: str, link: str | None,
           institution: str | None) -> None:
    """Done: what came of it (a goal of Leren met de Stad), told to the asker."""
    summary = summary.strip()
    if not summary:
        raise TransitionError("say what came of it")
    question.outcome_summary, question.outcome_link = summary[:4000], (link or "").strip()[:500] or None
    question.outcome_institution = (institution or "").strip()[:200] or None
    public = summary[:800] + (f" {question.outcome_link}" if question.outcome_link else "")
    change_status(session, question, DONE, actor, public_note=public)


def outcomes(session: Session) -> dict[str, list[tuple[str | None, int]]]:
    """Questions done with a recorded outcome, per theme and per district (for the overview)."""
    from sqlalchemy import func

    done = (Question.status == DONE, Question.outcome_summary.is_not(None))
    by: dict[str, list[tuple[str | None, int]]] = {}
    for name, column in (("theme", Question.theme), ("district", Question.district)):
        rows = session.execute(select(column, func.count()).where(*done).group_by(column)
                               .order_by(func.count().desc())).all()
        by[name] = [(value, int(count)) for value, count in rows]
    return by


NEED_KEYS = ("help", "can_wait_a_semester", "english_ok", "can_guide_students", "sensitive")


def set_needs(session: Session, question: Question, answers: dict[str, Any], actor: str) -> None:
    """The broker fills in or corrects what matching needs to know (None: still unknown)."""
    clean = {k: answers.get(k) for k in NEED_KEYS}
    question.needs_broker = json.dumps(clean)
    _event(session, question, actor, "needs", note=", ".join(f"{k}={v}" for k, v in clean.items() if v is not None))
