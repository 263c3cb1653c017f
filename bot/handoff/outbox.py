"""Hand intakes to the matching backend: transactional outbox, signed delivery, retries, dead letters.

An outbox row is written in the same transaction as the status change it
reports (`approve`), so a handoff can never be lost or invented. A dispatcher
(`stadsvraag handoff run`) delivers rows over HTTPS, signed per the Standard
Webhooks specification with a `webhook-id` that stays the same across retries,
so the receiver can de-duplicate. Several dispatchers may run at once: on
PostgreSQL they claim rows with FOR UPDATE SKIP LOCKED, and a claim is a lease,
so rows of a dispatcher killed mid-delivery are delivered by another.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy import or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import ConfigError
from bot.review import workflow
from bot.storage.intakes import IntakeDraft, neighbourhood_dict, submit_intake
from bot.storage.models import Intake, IntakeEvent, OutboxMessage, as_utc, utcnow

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
EVENT_READY = "intake.ready"
PENDING, DELIVERING, DELIVERED, DEAD = "pending", "delivering", "delivered", "dead"
AFTER_APPROVAL, AFTER_CONFIRMATION = "approval", "confirmation"
MAX_RETRY_AFTER = 6 * 3600.0  # honour Retry-After up to six hours
SECRET_HINT = ("Fix: set MATCHING_BACKEND_SECRET to 'whsec_' followed by base64 of at least 24 random bytes, e.g. "
               "python -c \"import base64,secrets;print('whsec_'+base64.b64encode(secrets.token_bytes(32)).decode())\"")
CALLBACK_SECRET_HINT = SECRET_HINT.replace("MATCHING_BACKEND_SECRET", "MATCHING_CALLBACK_SECRET")


@dataclass(frozen=True)
class HandoffSettings:
    url: str | None
    secret: str | None = field(repr=False)  # signs our deliveries to the matching backend; never in a repr
    after: str
    dashboard_url: str
    # Verifies the backend's callbacks. A key of its own, so a leak on either side (our outbox, their callback
    # sender) cannot be used to forge the other direction; no fallback to `secret`: callbacks answer 503 without it.
    callback_secret: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    backoff_base: float = 2.0
    backoff_cap: float = 3600.0
    retry_window: float = 48 * 3600.0  # keep retrying for at least 24 hours
    lease: float = 60.0
    poll: float = 1.0
    batch: int = 20

    @classmethod
    def from_env(cls) -> HandoffSettings:
        env = os.environ
        url = env.get("MATCHING_BACKEND_URL") or None
        secret = env.get("MATCHING_BACKEND_SECRET") or None
        if url and not url.startswith(("https://", "http://")):
            raise ConfigError(f"MATCHING_BACKEND_URL {url!r} is not an http(s) URL. Fix: use https://host/path")
        if url and url.startswith("http://") and not _is_local(url) and env.get("MATCHING_ALLOW_HTTP") != "1":
            raise ConfigError("MATCHING_BACKEND_URL must use https outside localhost. Fix: use https://")
        if url and not secret:
            raise ConfigError("MATCHING_BACKEND_URL is set but MATCHING_BACKEND_SECRET is not. " + SECRET_HINT)
        if secret:
            _webhook(secret)  # fails fast on a malformed secret
        callback_secret = env.get("MATCHING_CALLBACK_SECRET") or None
        if callback_secret:
            _webhook(callback_secret, "MATCHING_CALLBACK_SECRET")
            if callback_secret == secret:
                raise ConfigError("MATCHING_CALLBACK_SECRET equals MATCHING_BACKEND_SECRET: use a separate key for "
                                  "callbacks. " + CALLBACK_SECRET_HINT)
        after = env.get("HANDOFF_AFTER", AFTER_APPROVAL)
        if after not in (AFTER_APPROVAL, AFTER_CONFIRMATION):
            raise ConfigError(f"HANDOFF_AFTER={after!r}. Fix: use 'approval' (default) or 'confirmation'.")

        def num(name: str, default: float) -> float:
            try:
                return float(env.get(name, default))
            except ValueError:
                raise ConfigError(f"{name} must be a number of seconds.") from None

        return cls(url=url, secret=secret, after=after, callback_secret=callback_secret,
                   dashboard_url=env.get("DASHBOARD_URL", "http://localhost:8000/broker").rstrip("/"),
                   timeout=num("HANDOFF_TIMEOUT", 10.0), backoff_base=num("HANDOFF_BACKOFF_BASE", 2.0),
                   backoff_cap=num("HANDOFF_BACKOFF_CAP", 3600.0),
                   retry_window=num("HANDOFF_RETRY_WINDOW", 48 * 3600.0), lease=num("HANDOFF_LEASE", 60.0),
                   poll=num("HANDOFF_POLL", 1.0), batch=int(num("HANDOFF_BATCH", 20)))


def _is_local(url: str) -> bool:
    host = httpx.URL(url).host
    return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")


def _webhook(secret: str, name: str = "MATCHING_BACKEND_SECRET"):
    from standardwebhooks import Webhook

    hint = SECRET_HINT.replace("MATCHING_BACKEND_SECRET", name)
    if not secret.startswith("whsec_"):
        raise ConfigError(f"{name} does not start with 'whsec_'. " + hint)
    try:
        wh = Webhook(secret)
    except Exception:
        raise ConfigError(f"{name} is not valid base64 after 'whsec_'. " + hint) from None
    if len(wh._whsecret) < 24:
        raise ConfigError(f"{name} is too short. " + hint)
    return wh


def sign_headers(secret: str, webhook_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    """Standard Webhooks headers for `body` (HMAC-SHA256 over id.timestamp.body)."""
    at = at or datetime.now(timezone.utc)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": _webhook(secret).sign(webhook_id, at, body),
        "content-type": "application/json",
    }


def verify(secret: str, body: bytes, headers: dict[str, str]) -> Any:
    """The JSON of a correctly signed, fresh request; raises ValueError otherwise."""
    try:
        return _webhook(secret).verify(body, headers)
    except Exception as exc:
        raise ValueError(f"signature rejected: {exc}") from None


# ---------------------------------------------------------------- payload


def build_payload(intake: Intake, settings: HandoffSettings, event_type: str = EVENT_READY) -> dict[str, Any]:
    """The intake as the matching backend receives it (schemas/intake.v1.json)."""
    alternatives = json.loads(intake.theme_alternatives) if intake.theme_alternatives else []
    share_contact = bool(intake.consent_share and intake.consent_contact and intake.erased_at is None)
    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "event": event_type,
        "id": intake.uuid,
        "reference": intake.reference,
        "created_at": intake.created_at.isoformat(),
        "updated_at": intake.updated_at.isoformat(),
        "language": intake.language,
        "channel": intake.channel,
        "asker": {"role": intake.asker_role, "organisation": intake.organisation},
        "description": intake.description,
        "theme": {"id": intake.theme, "confidence": intake.theme_confidence, "alternatives": alternatives},
        "neighbourhood": neighbourhood_dict(intake),
        "urgency": intake.urgency,
        "timeframe": intake.timeframe,
        # Every stored intake had consent to store. The question may go to the education partners only
        # with consent to share; contact data travels only with consent to share AND to be contacted.
        "consent": {"store": True, "share_with_partners": bool(intake.consent_share),
                    "contact": bool(intake.consent_contact), "share_contact": share_contact},
        "dashboard_url": f"{settings.dashboard_url}/intakes/{intake.uuid}",
    }
    if share_contact and intake.contact is not None:
        payload["contact"] = {"name": intake.contact.name, "email": intake.contact.email, "phone": intake.contact.phone}
    return payload


def enqueue(session: Session, intake: Intake, settings: HandoffSettings, event_type: str = EVENT_READY) -> OutboxMessage:
    body = json.dumps(build_payload(intake, settings, event_type), ensure_ascii=False, separators=(",", ":"))
    message = OutboxMessage(webhook_id=f"msg_{uuid.uuid4().hex}", intake_id=intake.id, event_type=event_type,
                            payload=body, status=PENDING, attempts=0, next_attempt_at=utcnow())
    session.add(message)
    return message


def approve(session: Session, intake: Intake, actor: str, settings: HandoffSettings) -> OutboxMessage:
    """Mark the intake ready for matching and queue its handoff, in the caller's transaction."""
    workflow.change_status(session, intake, workflow.READY, actor)
    session.flush()
    return enqueue(session, intake, settings)


def submit_confirmed(session: Session, draft: IntakeDraft, settings: HandoffSettings) -> Intake:
    """Store what the resident confirmed; hand it off at once when HANDOFF_AFTER=confirmation."""
    intake = submit_intake(session, draft)
    if settings.after == AFTER_CONFIRMATION:
        approve(session, intake, "assistant", settings)
    return intake


def find_intake(session: Session, key: str, lock: bool = False) -> Intake | None:
    """An intake by reference (LS-...) or id (UUID), optionally locked for update."""
    query = select(Intake).where(or_(Intake.reference == key, Intake.uuid == key))
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def retry_dead(session: Session, message_id: int) -> bool:
    """Put a dead-lettered message back in the queue (the broker's retry)."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.status != DEAD:
        return False
    message.status, message.next_attempt_at, message.locked_until = PENDING, utcnow(), None
    message.created_at = utcnow()  # a fresh retry window
    return True


# ---------------------------------------------------------------- delivery


class MatchingBackendClient:
    """The one place that talks HTTP to the matching backend."""

    def __init__(self, settings: HandoffSettings) -> None:
        if not (settings.url and settings.secret):
            raise ConfigError("MATCHING_BACKEND_URL and MATCHING_BACKEND_SECRET are needed to deliver.")
        self.url, self.secret = settings.url, settings.secret
        self.http = httpx.Client(timeout=httpx.Timeout(settings.timeout, connect=min(5.0, settings.timeout)))

    def send(self, webhook_id: str, body: str) -> httpx.Response:
        return self.http.post(self.url, content=body.encode("utf-8"),
                              headers=sign_headers(self.secret, webhook_id, body))

    def close(self) -> None:
        self.http.close()


@dataclass
class DeliveryOutcome:
    status: str  # delivered | retry | dead
    status_code: int | None = None
    error: str | None = None
    body: str | None = None
    retry_after: float | None = None
    match_id: str | None = None


def classify(response: httpx.Response | None, error: Exception | None) -> DeliveryOutcome:
    """2xx delivered; timeouts, connection errors, 5xx and 429 retried; other 4xx dead-lettered."""
    if error is not None or response is None:
        return DeliveryOutcome("retry", error=f"{type(error).__name__}: {error}"[:500])
    body = response.text[:2000]
    if 200 <= response.status_code < 300:
        match_id = None
        try:
            data = response.json()
            if isinstance(data, dict) and isinstance(data.get("match_id"), str):
                match_id = data["match_id"][:200]
        except ValueError:
            pass
        return DeliveryOutcome("delivered", response.status_code, body=body, match_id=match_id)
    if response.status_code == 429 or response.status_code >= 500:
        return DeliveryOutcome("retry", response.status_code, error=f"HTTP {response.status_code}", body=body,
                       retry_after=_retry_after(response.headers.get("retry-after")))
    return DeliveryOutcome("dead", response.status_code, error=f"HTTP {response.status_code}", body=body)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            return None


def backoff(attempt: int, settings: HandoffSettings, rng: random.Random) -> float:
    """Exponential backoff with jitter ('equal jitter'): between half and all of base * 2^attempt, capped."""
    delay = min(settings.backoff_cap, settings.backoff_base * (2 ** max(0, attempt - 1)))
    return delay / 2 + rng.uniform(0, delay / 2)


class Dispatcher:
    """Claims due outbox rows, delivers them, records the outcome. Safe to run several at once."""

    def __init__(self, sessions: sessionmaker, settings: HandoffSettings, name: str | None = None) -> None:
        self.sessions = sessions
        self.settings = settings
        self.name = name or f"dispatcher-{os.getpid()}"
        self.rng = random.Random()
        self.stop = threading.Event()

    def claim(self) -> list[tuple[int, str, str]]:
        """Lease up to `batch` due rows: (id, webhook_id, payload)."""
        now = utcnow()
        with self.sessions.begin() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(or_(
                    (OutboxMessage.status == PENDING) & (OutboxMessage.next_attempt_at <= now),
                    (OutboxMessage.status == DELIVERING) & (OutboxMessage.locked_until < now),
                ))
                .order_by(OutboxMessage.id)
                .limit(self.settings.batch)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.status = DELIVERING
                row.locked_until = now + timedelta(seconds=self.settings.lease)
            return [(row.id, row.webhook_id, row.payload) for row in rows]

    def record(self, message_id: int, outcome: DeliveryOutcome) -> None:
        now = utcnow()
        with self.sessions.begin() as session:
            message = session.get(OutboxMessage, message_id, with_for_update=True)
            if message is None or message.status == DELIVERED:
                return
            message.attempts += 1
            message.last_status_code = outcome.status_code
            message.response_body = outcome.body
            message.locked_until = None
            if outcome.status == "delivered":
                message.status, message.delivered_at, message.last_error = DELIVERED, now, None
                self._mark_handed_off(session, message, outcome)
                return
            message.last_error = outcome.error
            if outcome.status == "dead" or (now - as_utc(message.created_at)).total_seconds() > self.settings.retry_window:
                message.status = DEAD
                logger.warning("handoff %s dead-lettered after %d attempts: %s", message.webhook_id,
                               message.attempts, outcome.error)
                return
            delay = backoff(message.attempts, self.settings, self.rng)
            if outcome.retry_after is not None:
                delay = max(delay, min(outcome.retry_after, MAX_RETRY_AFTER))
            message.status, message.next_attempt_at = PENDING, now + timedelta(seconds=delay)

    def _mark_handed_off(self, session: Session, message: OutboxMessage, outcome: DeliveryOutcome) -> None:
        if message.intake_id is None or message.event_type != EVENT_READY:
            return
        intake = session.get(Intake, message.intake_id, with_for_update=True)
        if intake is None:
            return
        if outcome.match_id:
            intake.match_id = outcome.match_id
        if workflow.can_change(intake.status, workflow.HANDED_OFF):
            workflow.change_status(session, intake, workflow.HANDED_OFF, "handoff")
        else:
            session.add(IntakeEvent(intake_id=intake.id, actor="handoff", kind="handoff", new_value="delivered"))

    def run_once(self, client: MatchingBackendClient) -> int:
        """Deliver what is due now; returns the number of attempts made."""
        claimed = self.claim()
        for message_id, webhook_id, payload in claimed:
            try:
                response, error = client.send(webhook_id, payload), None
            except httpx.HTTPError as exc:
                response, error = None, exc
            self.record(message_id, classify(response, error))
        return len(claimed)

    def run(self, once: bool = False) -> None:
        if not self.settings.url:
            logger.warning("MATCHING_BACKEND_URL is not set: intakes wait in the outbox for the matching backend")
            while not self.stop.is_set() and not once:
                self.stop.wait(self.settings.poll * 5)
            return
        client = MatchingBackendClient(self.settings)
        try:
            while not self.stop.is_set():
                try:
                    done = self.run_once(client)
                except DBAPIError as exc:  # database restarting: nothing is lost, rows stay in the outbox
                    logger.warning("dispatcher: database unavailable (%s), retrying", type(exc).__name__)
                    self.stop.wait(max(1.0, self.settings.poll))
                    continue
                if once and done == 0:
                    return
                if done == 0:
                    self.stop.wait(self.settings.poll)
        finally:
            client.close()


def outbox_counts(session: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status: count for status, count in rows}
