"""What the broker dashboard reads and writes: the queue, one intake, corrections, notes, overview."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.review.workflow import STATUSES
from bot.storage import transcripts
from bot.storage.models import AnonymousQuestion, Intake, IntakeEvent, OutboxMessage, utcnow
from bot.structuring.gazetteer import get_gazetteer
from bot.structuring.themes import get_theme, theme_ids
from bot.structuring.urgency import URGENCY_LEVELS

PAGE_SIZE = 50
LOW_CONFIDENCE = 0.5
EDITABLE = ("theme", "neighbourhood_code", "urgency", "timeframe")


@dataclass
class QueueFilter:
    status: str = ""
    theme: str = ""
    district: str = ""
    neighbourhood: str = ""  # a CBS neighbourhood code (BU...): the maps link to it
    urgency: str = ""
    language: str = ""
    channel: str = ""
    date_from: str = ""
    date_to: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def from_params(cls, params: Any) -> QueueFilter:
        def pick(name: str, allowed: tuple[str, ...] | None = None) -> str:
            value = (params.get(name) or "").strip()[:200]
            return value if allowed is None or value in allowed else ""

        def day(name: str) -> str:
            value = pick(name)
            try:
                return date.fromisoformat(value).isoformat() if value else ""
            except ValueError:
                return ""

        try:
            page = max(1, min(10_000, int(params.get("page") or 1)))
        except ValueError:
            page = 1
        places = get_gazetteer().places.values()
        districts = tuple(p.code for p in places if p.kind == "district")
        neighbourhoods = tuple(p.code for p in places if p.kind == "neighbourhood")
        return cls(status=pick("status", STATUSES), theme=pick("theme", tuple(theme_ids())),
                   district=pick("district", (*districts, "city", "outside", "unresolved")),
                   neighbourhood=pick("neighbourhood", neighbourhoods),
                   urgency=pick("urgency", URGENCY_LEVELS), language=pick("language", ("nl", "en")),
                   channel=pick("channel")[:32], date_from=day("date_from"), date_to=day("date_to"), q=pick("q"),
                   page=page)

    def query_string(self, **override: Any) -> str:
        from urllib.parse import urlencode

        values = {**self.__dict__, **override}
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1) or (k == "page" and v != 1)})

    def apply(self, query):
        if self.status:
            query = query.where(Intake.status == self.status)
        if self.theme:
            query = query.where(Intake.theme == self.theme)
        if self.district in ("city", "outside", "unresolved"):
            query = query.where(Intake.neighbourhood_kind == self.district)
        elif self.district:
            query = query.where(Intake.district_code == self.district)
        if self.neighbourhood:
            query = query.where(Intake.neighbourhood_code == self.neighbourhood)
        if self.urgency:
            query = query.where(Intake.urgency == self.urgency)
        if self.language:
            query = query.where(Intake.language == self.language)
        if self.channel:
            query = query.where(Intake.channel == self.channel)
        if self.date_from:
            query = query.where(Intake.created_at >= datetime.fromisoformat(self.date_from).replace(tzinfo=timezone.utc))
        if self.date_to:
            end = datetime.fromisoformat(self.date_to).replace(tzinfo=timezone.utc) + timedelta(days=1)
            query = query.where(Intake.created_at < end)
        if self.q:
            like = "%" + self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(or_(Intake.description.ilike(like, escape="\\"), Intake.reference.ilike(like, escape="\\")))
        return query


def queue(session: Session, flt: QueueFilter, page_size: int = PAGE_SIZE) -> tuple[list[Intake], int]:
    """Intakes newest first, filtered, one page; and the total that match. A group of similar questions is one
    row, its first intake (the others are on its page; `group_sizes` gives how many residents are behind it)."""
    one_per_group = or_(Intake.group_id.is_(None), Intake.group_id == Intake.id)
    total = session.scalar(flt.apply(select(func.count(Intake.id)).where(one_per_group))) or 0
    rows = session.scalars(flt.apply(select(Intake).where(one_per_group))
                           .order_by(Intake.created_at.desc(), Intake.id.desc())
                           .offset((flt.page - 1) * page_size).limit(page_size)).all()
    return list(rows), total


def filtered(session: Session, flt: QueueFilter, limit: int = 100_000) -> list[Intake]:
    return list(session.scalars(flt.apply(select(Intake)).order_by(Intake.created_at.desc()).limit(limit)))


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Intake.status, func.count(Intake.id)).group_by(Intake.status)).all()
    counts = {s: 0 for s in STATUSES}
    counts.update({status: n for status, n in rows})
    return counts


def get_intake(session: Session, intake_uuid: str) -> Intake | None:
    return session.scalars(select(Intake).where(Intake.uuid == intake_uuid)
                           .options(selectinload(Intake.events), selectinload(Intake.contact),
                                    selectinload(Intake.consents))).one_or_none()


@dataclass
class Turn:
    who: str  # user | bot
    text: str
    at: datetime | None
    fallback: bool = False


def transcript(session: Session, sender_id: str | None) -> list[Turn]:
    """The conversation from Rasa's SQL tracker store (table `events`), when it shares our database."""
    turns: list[Turn] = []
    for type_name, ts, intent, action, data in transcripts.conversation(session, sender_id, ("user", "bot", "action")):
        at = datetime.fromtimestamp(ts, timezone.utc) if ts else None
        if type_name == "action":
            if action == "action_default_fallback" and turns:
                turns[-1].fallback = True
            continue
        try:
            body = json.loads(data) if data else {}
        except ValueError:
            body = {}
        turns.append(Turn("user" if type_name == "user" else "bot", body.get("text") or "", at,
                          fallback=(intent == "nlu_fallback")))
    return turns


def attention(intake: Intake, turns: list[Turn]) -> list[str]:
    """Why the broker should look twice: keys of the dashboard's UI texts."""
    reasons = []
    if intake.theme_confidence is not None and intake.theme_confidence < LOW_CONFIDENCE:
        reasons.append("attention_theme")
    if intake.neighbourhood_kind in (None, "unresolved"):
        reasons.append("attention_place")
    if any(t.fallback for t in turns):
        reasons.append("attention_fallback")
    if intake.pii_flags:
        reasons.append("attention_pii")
    return reasons


def outbox_for(session: Session, intake: Intake) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.intake_id == intake.id)
                                .order_by(OutboxMessage.id)))


def update_fields(session: Session, intake: Intake, changes: dict[str, str], actor: str) -> list[str]:
    """Apply the broker's corrections; each changed field becomes a history row. Returns changed fields."""
    changed = []
    gazetteer = get_gazetteer()
    for name in EDITABLE:
        if name not in changes:
            continue
        new = (changes[name] or "").strip()
        if name == "theme":
            if new not in theme_ids() or new == intake.theme:
                continue
            old, intake.theme, intake.theme_confidence = intake.theme, new, 1.0
        elif name == "urgency":
            if new not in URGENCY_LEVELS or new == intake.urgency:
                continue
            old, intake.urgency = intake.urgency, new
        elif name == "timeframe":
            new = new[:120] or None  # type: ignore[assignment]
            if new == intake.timeframe:
                continue
            old, intake.timeframe = intake.timeframe, new
        else:  # neighbourhood_code
            if new == (intake.neighbourhood_code or "") or new not in gazetteer.places:
                continue
            place = gazetteer.places[new]
            old = intake.neighbourhood_code or intake.neighbourhood_text
            intake.neighbourhood_code, intake.neighbourhood_name = place.code, place.name
            intake.neighbourhood_kind = place.kind
            intake.district_code, intake.district_name = place.district_code, place.district_name
        session.add(IntakeEvent(intake_id=intake.id, actor=actor, kind="field", field=name, old_value=old,
                                new_value=new))
        changed.append(name)
    if changed:
        intake.updated_at = utcnow()
    return changed


def add_note(session: Session, intake: Intake, body: str, actor: str) -> bool:
    body = body.strip()[:5000]
    if not body:
        return False
    session.add(IntakeEvent(intake_id=intake.id, actor=actor, kind="note", note=body))
    return True


@dataclass
class Overview:
    total: int
    per_theme: list[tuple[str, int]] = field(default_factory=list)
    per_district: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, count
    per_neighbourhood: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, count (CBS buurten)
    per_week: list[tuple[str, int]] = field(default_factory=list)
    per_status: list[tuple[str, int]] = field(default_factory=list)
    not_stored: int = 0  # questions asked without consent to store: only counted (anonymous_questions)
    not_stored_per_theme: list[tuple[str, int]] = field(default_factory=list)


def _count_by(session: Session, column: Any, *where: Any) -> dict[Any, int]:
    """Rows per value of `column` (None included), optionally among the rows matching `where`."""
    query = select(column, func.count()).select_from(column.class_).where(*where).group_by(column)
    return {value: n for value, n in session.execute(query)}


def overview(session: Session, weeks: int = 12) -> Overview:
    total = session.scalar(select(func.count(Intake.id))) or 0
    themes = _count_by(session, Intake.theme)
    per_theme = [(t, themes.get(t, 0)) for t in theme_ids()]
    districts = _count_by(session, Intake.district_code)
    places = get_gazetteer().places
    per_district = [(p.code, p.name, districts.get(p.code, 0)) for p in places.values() if p.kind == "district"]
    kinds = _count_by(session, Intake.neighbourhood_kind, Intake.district_code.is_(None))
    for kind in ("city", "outside", "unresolved"):
        per_district.append((kind, kind, kinds.get(kind, 0) + (kinds.get(None, 0) if kind == "unresolved" else 0)))
    neighbourhoods = _count_by(session, Intake.neighbourhood_code)
    per_neighbourhood = [(p.code, p.name, neighbourhoods.get(p.code, 0)) for p in places.values()
                         if p.kind == "neighbourhood"]
    since = utcnow() - timedelta(weeks=weeks)
    created = session.scalars(select(Intake.created_at).where(Intake.created_at >= since)).all()
    week_counts = Counter(c.isocalendar()[:2] for c in created)
    today = utcnow().date()
    per_week = []
    for back in range(weeks - 1, -1, -1):
        year, week = (today - timedelta(weeks=back)).isocalendar()[:2]
        per_week.append((f"{year}-W{week:02d}", week_counts.get((year, week), 0)))
    per_status = list(status_counts(session).items())
    anonymous = _count_by(session, AnonymousQuestion.theme)
    not_stored_per_theme = [(t, anonymous.get(t, 0)) for t in theme_ids()]
    return Overview(total, per_theme, per_district, per_neighbourhood, per_week, per_status,
                    sum(anonymous.values()), not_stored_per_theme)


def theme_label(theme_id: str | None, language: str) -> str:
    theme = get_theme(theme_id)
    return theme.label(language) if theme else "—"
