"""Retention: what is kept how long (docs/privacy.md); requests for access are bot/privacy/access.py.

- Conversation transcripts (Rasa's `events` table): deleted after RETENTION_TRANSCRIPT_DAYS (28).
- Unfinished conversations (no intake stored from them, nothing said for RETENTION_UNFINISHED_HOURS, 48):
  deleted whole, because nobody gave consent to store them.
- Intakes: anonymised RETENTION_CONTACT_DAYS (365) after they were closed (closed, rejected or duplicate), and
  RETENTION_OPEN_DAYS (730) after they were asked when they are still open then, so no intake keeps personal
  data for ever because nobody closed it. Anonymising is bot.privacy.erasure.anonymise, the same as erasure on request:
  the contact row and the transcript deleted, e-mail addresses, phone numbers, BSNs and the contact's name
  masked in the text and the history, the conversation unlinked, the stored handoff messages rewritten. Retention
  also removes the organisation name. The question itself stays, for the statistics and the work on it.
- Handoff messages already delivered: the contact block (name, e-mail address, phone number) is taken out of the
  stored copy; the matching backend has it, the outbox does not need it.
`purge` is idempotent: running it twice changes nothing the second time (an anonymised intake has a history row
of kind `retention`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import HandoffSettings, RetentionSettings
from bot.handoff.outbox import DELIVERED
from bot.privacy.erasure import anonymise, strip_contact
from bot.storage import transcripts
from bot.storage.models import Intake, IntakeEvent, OutboxMessage, as_utc, utcnow

ENDED = ("closed", "rejected", "duplicate")
RETENTION_KIND = "retention"


def purge(session: Session, retention: RetentionSettings, now: datetime | None = None,
          handoff: HandoffSettings | None = None) -> dict[str, int]:
    """Apply the retention periods (see the module text); `handoff` rewrites stored messages (default: from env)."""
    now = now or utcnow()
    counts = {"transcript_events": 0, "unfinished_conversation_events": 0, "contacts": 0, "intakes_anonymised": 0,
              "open_intakes_anonymised": 0, "outbox_contacts_removed": 0}
    counts["transcript_events"] = transcripts.delete_before(
        session, (now - timedelta(days=retention.transcript_days)).timestamp())
    counts["unfinished_conversation_events"] = transcripts.delete_unfinished(
        session, (now - timedelta(hours=retention.unfinished_hours)).timestamp())
    done = select(IntakeEvent.intake_id).where(IntakeEvent.kind == RETENTION_KIND)
    ended_at = (select(IntakeEvent.intake_id, func.max(IntakeEvent.at).label("at"))
                .where(IntakeEvent.kind == "status", IntakeEvent.new_value.in_(ENDED))
                .group_by(IntakeEvent.intake_id).subquery())
    # the moments are compared here, not in SQL: SQLite keeps them as text without a time zone
    closed_limit = now - timedelta(days=retention.contact_days)
    due = [(intake, "intakes_anonymised", "closed") for intake, at in session.execute(
        select(Intake, ended_at.c.at).join(ended_at, ended_at.c.intake_id == Intake.id)
        .where(Intake.status.in_(ENDED), Intake.id.not_in(done))).all() if as_utc(at) <= closed_limit]
    open_limit = now - timedelta(days=retention.open_days)
    due += [(intake, "open_intakes_anonymised", "open") for intake in session.scalars(
        select(Intake).where(Intake.status.not_in(ENDED), Intake.id.not_in(done))).all()
        if as_utc(intake.created_at) <= open_limit]
    for intake, counter, why in due:
        handoff = handoff or HandoffSettings.from_env()
        intake.organisation = None  # before anonymise, so the rewritten handoff messages leave it out too
        result = anonymise(session, intake, handoff)
        counts["contacts"] += int(result.contact_deleted)
        counts["transcript_events"] += result.transcript_events
        counts[counter] += 1
        note = (f"{retention.contact_days} days after closing" if why == "closed"
                else f"still open {retention.open_days} days after it was asked")
        session.add(IntakeEvent(intake_id=intake.id, actor="retention", kind=RETENTION_KIND,
                                note=f"contact deleted and intake anonymised: {note}"))
    delivered = session.scalars(select(OutboxMessage).where(OutboxMessage.status == DELIVERED,
                                                            OutboxMessage.payload.contains('"contact":'))).all()
    for message in delivered:
        stripped = strip_contact(message.payload)
        if stripped is not None:
            message.payload = stripped
            counts["outbox_contacts_removed"] += 1
    return counts
