"""Database models: the intake, its contact details (kept apart) and its history."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declarative_base, relationship

# Typed through SQLAlchemy's mypy plugin (pyproject.toml). A not-null column with a default is annotated
# where code reads it: the plugin would otherwise call it optional, as it is before the row is flushed.
Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """A stored moment as an aware UTC datetime (SQLite gives them back without a time zone)."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class Intake(Base):
    """A structured city question. Holds no contact details (see `Contact`)."""

    __tablename__ = "intakes"

    id: Mapped[int] = Column(Integer, primary_key=True)
    uuid: Mapped[str] = Column(String(36), unique=True, nullable=False, default=lambda: str(uuid.uuid4()))
    reference = Column(String(32), unique=True, index=True)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    status: Mapped[str] = Column(String(32), nullable=False, default="new", index=True)
    language = Column(String(2), nullable=False)
    channel = Column(String(32), nullable=False, default="rest")
    sender_id = Column(String(255), index=True)
    asker_role = Column(String(32))
    organisation = Column(String(200))
    description = Column(Text, nullable=False)
    theme = Column(String(64), index=True)
    theme_confidence = Column(Float)
    neighbourhood_kind = Column(String(16))  # neighbourhood|district|city|outside|unresolved
    neighbourhood_code = Column(String(16), index=True)
    neighbourhood_name = Column(String(200))
    district_code = Column(String(16))
    district_name = Column(String(200))
    neighbourhood_text = Column(String(200))
    urgency = Column(String(8))
    timeframe = Column(String(120))
    consent_contact = Column(Boolean, nullable=False, default=False)
    consent_share = Column(Boolean, nullable=False, default=False)  # may go to the education partners
    erased_at = Column(DateTime(timezone=True))  # personal data erased on request (art. 17 AVG)
    theme_alternatives = Column(Text)  # JSON list of theme ids, most likely first
    pii_flags = Column(String(64))  # kinds of personal data masked in the description: email,phone,bsn
    match_id = Column(String(200))  # given by the matching backend
    matching_status = Column(String(32))  # last progress reported by the matching backend
    updates_token = Column(String(64), unique=True, index=True)  # in the "stop these updates" link
    updates_stopped_at = Column(DateTime(timezone=True))  # the resident asked for no more status updates
    group_id = Column(Integer, ForeignKey("intakes.id", ondelete="SET NULL"), index=True)  # the group's first intake
    needs = Column(Text)  # JSON: what matching needs to know, as the asker answered it (bot/structuring/needs.py)

    contact: Mapped[Contact | None] = relationship("Contact", back_populates="intake", uselist=False, cascade="all, delete-orphan")
    consents: Mapped[list[Consent]] = relationship("Consent", back_populates="intake", order_by="Consent.id", cascade="all, delete-orphan")
    events: Mapped[list[IntakeEvent]] = relationship("IntakeEvent", back_populates="intake", order_by="IntakeEvent.id", cascade="all, delete-orphan")


class Contact(Base):
    """Personal data, only with consent; deletable without touching the question."""

    __tablename__ = "contacts"

    id: Mapped[int] = Column(Integer, primary_key=True)
    intake_id = Column(Integer, ForeignKey("intakes.id", ondelete="CASCADE"), unique=True, nullable=False)
    name = Column(String(200))
    email = Column(String(254))
    phone = Column(String(32))
    consent_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    intake: Mapped[Intake] = relationship("Intake", back_populates="contact")


class Consent(Base):
    """One answer to one consent question: what was asked (text version), what was answered, when."""

    __tablename__ = "consents"

    id: Mapped[int] = Column(Integer, primary_key=True)
    intake_id = Column(Integer, ForeignKey("intakes.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # store | share | contact
    given = Column(Boolean, nullable=False)
    answered_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    text_version = Column(String(80), ForeignKey("consent_texts.version"), nullable=False)

    intake: Mapped[Intake] = relationship("Intake", back_populates="consents")


class ConsentText(Base):
    """The exact text of a consent question as shown, by version (response, language, content hash)."""

    __tablename__ = "consent_texts"

    version = Column(String(80), primary_key=True)
    kind = Column(String(16), nullable=False)
    language = Column(String(2), nullable=False)
    text = Column(Text, nullable=False)
    first_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class AnonymousQuestion(Base):
    """What is kept of a question without consent to store it: no text, no person, no exact time."""

    __tablename__ = "anonymous_questions"

    id: Mapped[int] = Column(Integer, primary_key=True)
    month = Column(String(7), nullable=False, index=True)  # YYYY-MM
    language = Column(String(2), nullable=False)
    channel = Column(String(32), nullable=False)
    theme = Column(String(64))
    neighbourhood_code = Column(String(16))
    urgency = Column(String(8))
    asker_role = Column(String(32))


class IntakeEvent(Base):
    """Append-only history: who changed what, when."""

    __tablename__ = "intake_events"

    id: Mapped[int] = Column(Integer, primary_key=True)
    intake_id = Column(Integer, ForeignKey("intakes.id", ondelete="CASCADE"), nullable=False, index=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    actor = Column(String(100), nullable=False)
    kind = Column(String(32), nullable=False)  # created|status|field|note
    field = Column(String(64))
    old_value = Column(Text)
    new_value = Column(Text)
    note = Column(Text)  # internal: for brokers only
    public_note = Column(Text)  # a status change's reason as the resident may read it

    intake: Mapped[Intake] = relationship("Intake", back_populates="events")


class IntakeLink(Base):
    """Two intakes that ask much the same (found when the later one was stored); `intake_id` < `other_id`.

    state: suggested (found, shown to the broker) | unlinked (the broker said they do not belong together)."""

    __tablename__ = "intake_links"
    __table_args__ = (UniqueConstraint("intake_id", "other_id", name="uq_intake_links_pair"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    intake_id: Mapped[int] = Column(Integer, ForeignKey("intakes.id", ondelete="CASCADE"), nullable=False, index=True)
    other_id: Mapped[int] = Column(Integer, ForeignKey("intakes.id", ondelete="CASCADE"), nullable=False, index=True)
    score: Mapped[float] = Column(Float, nullable=False)
    state: Mapped[str] = Column(String(16), nullable=False, default="suggested")
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    decided_by = Column(String(100))
    decided_at = Column(DateTime(timezone=True))


class OutboxMessage(Base):
    """A handoff event waiting to be delivered, written in the same transaction as the change it reports."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = Column(Integer, primary_key=True)
    webhook_id = Column(String(64), unique=True, nullable=False)  # stable across retries
    destination: Mapped[str] = Column(String(16), nullable=False, default="matching", server_default="matching",
                                      index=True)  # matching (the backend) | resident (status updates)
    intake_id = Column(Integer, ForeignKey("intakes.id", ondelete="SET NULL"), index=True)
    event_type: Mapped[str] = Column(String(64), nullable=False)
    payload = Column(Text, nullable=False)  # the exact JSON body that is signed and sent
    status: Mapped[str] = Column(String(16), nullable=False, default="pending", index=True)  # pending|delivering|delivered|dead
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    locked_until = Column(DateTime(timezone=True))
    last_error = Column(Text)
    last_status_code = Column(Integer)
    response_body = Column(Text)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    delivered_at = Column(DateTime(timezone=True))


class InboundWebhook(Base):
    """Callbacks already processed, so a repeated callback changes nothing."""

    __tablename__ = "inbound_webhooks"

    webhook_id = Column(String(128), primary_key=True)
    received_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class BrokerUser(Base):
    """A knowledge broker or admin who signs in to the dashboard."""

    __tablename__ = "broker_users"

    id: Mapped[int] = Column(Integer, primary_key=True)
    username = Column(String(100), unique=True, nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False, default="broker")  # broker | admin
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)  # unused since 0006: see FailedAttempt
    locked_until = Column(DateTime(timezone=True))  # unused since 0006: see FailedAttempt
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class WebSession(Base):
    """A dashboard sign-in, kept on the server so it can be ended: at sign-out, when the account is deactivated
    or its role changes, after the idle timeout and at the absolute lifetime. The cookie holds only a random
    token; this row holds its SHA-256, so a copy of the database cannot be used to take over a session."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = Column(Integer, primary_key=True)
    token_hash = Column(String(64), unique=True, nullable=False)
    user_id = Column(Integer, ForeignKey("broker_users.id", ondelete="CASCADE"), nullable=False, index=True)
    role = Column(String(16), nullable=False)  # the role at sign-in: another role now ends the session
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False, index=True)
    ended_at = Column(DateTime(timezone=True))
    end_reason = Column(String(32))  # signed_out | deactivated | role_changed | idle | expired


class FailedAttempt(Base):
    """One failed try at something guarded (a sign-in, a chat erasure), counted per kind and key across every
    process that shares the database. The key (a user name, an address, a reference, an e-mail address) is
    stored only as a keyed hash (bot/privacy/attempts.py)."""

    __tablename__ = "failed_attempts"
    __table_args__ = (Index("ix_failed_attempts_kind_key_at", "kind", "key_hash", "at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    kind = Column(String(32), nullable=False)
    key_hash = Column(String(64), nullable=False)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
