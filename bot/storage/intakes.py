"""The intake service: every write of an intake goes through here, in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import IO, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from bot.privacy.consent import ConsentRecord, store_consents
from bot.storage.models import AnonymousQuestion, Contact, Intake, IntakeEvent, IntakeLink, utcnow

ROLES = ("resident", "neighbourhood_worker", "organisation", "municipality", "other")
ROLES_WITH_ORGANISATION = ("organisation", "neighbourhood_worker", "municipality")
MAX_DESCRIPTION = 2000


@dataclass
class IntakeDraft:
    """What the conversation collected, ready to be stored."""

    language: str
    description: str
    channel: str = "rest"
    sender_id: str | None = None
    theme: str | None = None
    theme_confidence: float | None = None
    theme_alternatives: list[str] | None = None
    pii_flags: list[str] | None = None  # personal data masked in the description (email, phone, bsn)
    neighbourhood_kind: str | None = None
    neighbourhood_code: str | None = None
    neighbourhood_name: str | None = None
    district_code: str | None = None
    district_name: str | None = None
    neighbourhood_text: str | None = None
    urgency: str | None = None
    timeframe: str | None = None
    asker_role: str | None = None
    organisation: str | None = None
    consent_contact: bool = False
    consent_share: bool = False
    consents: list[ConsentRecord] | None = None  # the answers to the consent questions, with text versions
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    needs: dict[str, Any] | None = None  # what matching needs to know, asked of organisations


_CONTACT_FIELDS = {"contact_name", "contact_email", "contact_phone"}
_NOT_COLUMNS = _CONTACT_FIELDS | {"consents"}


def reference_for(intake_id: int, created: datetime) -> str:
    """A number people can quote on the phone: LS-2026-000123."""
    return f"LS-{created.year}-{intake_id:06d}"


def submit_intake(session: Session, draft: IntakeDraft, actor: str = "assistant") -> Intake:
    """Store a confirmed intake, its contact (only with consent) and a 'created' history row."""
    values = {f.name: getattr(draft, f.name) for f in fields(draft) if f.name not in _NOT_COLUMNS}
    values["description"] = draft.description[:MAX_DESCRIPTION]
    values["theme_alternatives"] = json.dumps(draft.theme_alternatives) if draft.theme_alternatives else None
    values["pii_flags"] = ",".join(draft.pii_flags) if draft.pii_flags else None
    values["needs"] = json.dumps(draft.needs, ensure_ascii=False) if draft.needs else None
    intake = Intake(**values, status="new")
    session.add(intake)
    session.flush()
    intake.reference = reference_for(intake.id, intake.created_at or utcnow())
    if draft.consent_contact and (draft.contact_email or draft.contact_phone or draft.contact_name):
        session.add(Contact(intake_id=intake.id, name=draft.contact_name, email=draft.contact_email,
                            phone=draft.contact_phone))
    store_consents(session, intake.id, draft.consents or [])
    session.add(IntakeEvent(intake_id=intake.id, actor=actor, kind="created", new_value="new"))
    session.flush()
    return intake


def record_anonymous(session: Session, draft: IntakeDraft) -> AnonymousQuestion:
    """Without consent to store: only an anonymous count (month, theme, place code, no text, no person)."""
    row = AnonymousQuestion(month=utcnow().strftime("%Y-%m"), language=draft.language, channel=draft.channel,
                            theme=draft.theme, neighbourhood_code=draft.neighbourhood_code or draft.district_code,
                            urgency=draft.urgency, asker_role=draft.asker_role)
    session.add(row)
    session.flush()
    return row


def neighbourhood_dict(intake: Intake) -> dict[str, Any]:
    """Where the question is about: CBS code and names, or whole city / outside / as typed."""
    return {
        "kind": intake.neighbourhood_kind,
        "code": intake.neighbourhood_code,
        "name": intake.neighbourhood_name,
        "district_code": intake.district_code,
        "district_name": intake.district_name,
        "as_typed": intake.neighbourhood_text,
    }


def intake_as_dict(intake: Intake, include_contact: bool = True) -> dict[str, Any]:
    """The export shape of an intake; contact details only when consent was given."""
    data: dict[str, Any] = {
        "id": intake.uuid,
        "reference": intake.reference,
        "created_at": intake.created_at.isoformat() if intake.created_at else None,
        "updated_at": intake.updated_at.isoformat() if intake.updated_at else None,
        "status": intake.status,
        "language": intake.language,
        "channel": intake.channel,
        "asker_role": intake.asker_role,
        "organisation": intake.organisation,
        "description": intake.description,
        "theme": intake.theme,
        "theme_confidence": intake.theme_confidence,
        "theme_alternatives": json.loads(intake.theme_alternatives) if intake.theme_alternatives else [],
        "neighbourhood": neighbourhood_dict(intake),
        "urgency": intake.urgency,
        "timeframe": intake.timeframe,
        "consent_contact": intake.consent_contact,
        "consent_share": intake.consent_share,
        "consents": [{"kind": c.kind, "given": c.given, "answered_at": c.answered_at.isoformat(),
                      "text_version": c.text_version} for c in intake.consents],
        "erased_at": intake.erased_at.isoformat() if intake.erased_at else None,
        "match_id": intake.match_id,
        "matching_status": intake.matching_status,
    }
    if include_contact and intake.consent_contact and intake.contact is not None:
        data["contact"] = {"name": intake.contact.name, "email": intake.contact.email, "phone": intake.contact.phone}
    return data


def export_jsonl(session: Session, out: IO[str], include_contact: bool = True) -> int:
    """Write all intakes, oldest first, one JSON object per line. Returns the count."""
    references = {row[0]: row[1] for row in session.execute(select(Intake.id, Intake.reference))}
    similar: dict[int, list[str]] = {}
    for low, high in session.execute(select(IntakeLink.intake_id, IntakeLink.other_id)
                                     .where(IntakeLink.state == "suggested").order_by(IntakeLink.score.desc())):
        similar.setdefault(low, []).append(str(references.get(high)))
        similar.setdefault(high, []).append(str(references.get(low)))
    rows = session.scalars(select(Intake).options(selectinload(Intake.contact), selectinload(Intake.consents)).order_by(Intake.id))
    n = 0
    for intake in rows:
        item = intake_as_dict(intake, include_contact)
        # similar open questions found when it was stored (bot/review/grouping.py), and the group it is in
        item["similar"] = similar.get(intake.id, [])
        item["group"] = references.get(intake.group_id) if intake.group_id else None
        out.write(json.dumps(item, ensure_ascii=False) + "\n")
        n += 1
    return n


def find_intake(session: Session, key: str, lock: bool = False) -> Intake | None:
    """An intake by reference (LS-...) or id (UUID), optionally locked for update."""
    query = select(Intake).where(or_(Intake.reference == key, Intake.uuid == key))
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()
