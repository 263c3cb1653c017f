"""The matching service's own tables, in its own database (MATCHING_DATABASE_URL; var/matching.db by default).

It shares no table with the assistant: it knows an intake only from what the handoff sent it, exactly as an
outside platform would, so MATCHING_BACKEND_URL can point at another platform without a code change.
The schema is created at start (`create_all`), and a column added in a later version is added to an existing table
(`_add_missing_columns`: new columns are always nullable); a change beyond that will bring Alembic here too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declarative_base, sessionmaker

from bot.storage.db import session_factory
from bot.storage.models import utcnow

Base = declarative_base()


class Question(Base):
    """A question handed over by the assistant (intake.v1), as the matching side keeps it."""

    __tablename__ = "match_questions"

    id: Mapped[int] = Column(Integer, primary_key=True)
    intake_id: Mapped[str] = Column(String(64), unique=True, nullable=False)  # the assistant's id (UUID)
    match_id: Mapped[str] = Column(String(64), unique=True, nullable=False)  # ours, returned on delivery
    reference = Column(String(32), index=True)
    status: Mapped[str] = Column(String(32), nullable=False, default="received", index=True)
    language = Column(String(2))
    theme = Column(String(64))
    neighbourhood = Column(String(200))
    district = Column(String(200))  # for the outcomes per district
    urgency = Column(String(8))
    timeframe = Column(String(120))
    description = Column(Text)
    share_with_partners: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    payload = Column(Text)  # the last intake.v1 body as received (contact only with consent to share it)
    needs = Column(Text)  # JSON: what matching needs to know, as the delivery said it (schemas/intake.v1.json)
    needs_broker = Column(Text)  # JSON: what the broker filled in or corrected; wins over `needs`
    slot_id = Column(Integer, ForeignKey("match_slots.id", ondelete="SET NULL"))  # the confirmed match
    outcome_summary = Column(Text)  # what came of it (recorded when done)
    outcome_link = Column(String(500))  # the report or product
    outcome_institution = Column(String(200))
    erased_at = Column(DateTime(timezone=True))
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


def needs_of(question: Question) -> dict[str, Any]:
    """The needs as they stand: the broker's answers over what the question said."""
    import json

    delivered = json.loads(question.needs) if question.needs else {}
    broker = json.loads(question.needs_broker) if question.needs_broker else {}
    return {**(delivered or {}), **{k: v for k, v in (broker or {}).items() if v is not None}}


class QuestionEvent(Base):
    """Append-only history of a question on the matching side."""

    __tablename__ = "match_events"

    id: Mapped[int] = Column(Integer, primary_key=True)
    question_id = Column(Integer, ForeignKey("match_questions.id", ondelete="CASCADE"), nullable=False, index=True)
    at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    actor = Column(String(100), nullable=False)
    kind = Column(String(32), nullable=False)  # received | updated | status | erased
    old_value = Column(String(32))
    new_value = Column(String(32))
    note = Column(Text)


class Inbound(Base):
    """Deliveries already processed (Standard Webhooks `webhook-id`), so a repeated one changes nothing."""

    __tablename__ = "match_inbound"

    webhook_id = Column(String(128), primary_key=True)
    received_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Callback(Base):
    """A status report for the assistant, written with the change it reports; sent with retries."""

    __tablename__ = "match_callbacks"

    id: Mapped[int] = Column(Integer, primary_key=True)
    webhook_id: Mapped[str] = Column(String(64), unique=True, nullable=False)
    question_id = Column(Integer, ForeignKey("match_questions.id", ondelete="CASCADE"), nullable=False, index=True)
    body: Mapped[str] = Column(Text, nullable=False)
    status: Mapped[str] = Column(String(16), nullable=False, default="pending", index=True)  # pending|delivered|dead
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_error = Column(Text)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    delivered_at = Column(DateTime(timezone=True))


class Slot(Base):
    """One offer of education in the aanbod catalogue: a course, minor, internship, thesis or research place."""

    __tablename__ = "match_slots"

    id: Mapped[int] = Column(Integer, primary_key=True)
    code: Mapped[str] = Column(String(32), unique=True, nullable=False)  # the catalogue's own id (A001)
    institution: Mapped[str] = Column(String(200), nullable=False)
    programme: Mapped[str] = Column(String(200), nullable=False)
    title: Mapped[str] = Column(String(300), nullable=False)
    level: Mapped[str] = Column(String(8), nullable=False)  # mbo | hbo | wo
    kind: Mapped[str] = Column(String(32), nullable=False)  # course_assignment | internship | thesis | minor | research
    period: Mapped[str] = Column(String(100), nullable=False)  # as the institution names it: "2026-2027 blok 3"
    starts_on: Mapped[date] = Column(Date, nullable=False)
    intake_deadline: Mapped[date] = Column(Date, nullable=False)
    group_size: Mapped[int] = Column(Integer, nullable=False, default=1)
    themes: Mapped[str] = Column(String(300), nullable=False)  # theme ids, ";"-separated
    languages: Mapped[str] = Column(String(8), nullable=False)  # "nl", "en" or "nl;en"
    contact: Mapped[str] = Column(String(254), nullable=False)
    description: Mapped[str] = Column(Text, nullable=False, default="")
    source = Column(String(500))
    example: Mapped[bool] = Column(Boolean, nullable=False, default=False)  # from the shipped example catalogue
    active: Mapped[bool] = Column(Boolean, nullable=False, default=True)
    updated_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


def _add_missing_columns(engine: Any) -> None:
    from sqlalchemy import inspect, text

    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have and column.nullable:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


def sessions_for(url: str) -> sessionmaker:
    """Sessions on the matching database, its tables created (or completed) when missing."""
    factory = session_factory(url)
    Base.metadata.create_all(factory.kw["bind"])
    _add_missing_columns(factory.kw["bind"])
    return factory
