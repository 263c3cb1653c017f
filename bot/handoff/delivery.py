"""Deliver the outbox: signed HTTP to the matching backend, retries with backoff, dead letters.

A dispatcher (`stadsvraag handoff run`) delivers rows over HTTPS, signed per the Standard Webhooks
specification with a `webhook-id` that stays the same across retries, so the receiver can de-duplicate.
Several dispatchers may run at once: on PostgreSQL they claim rows with FOR UPDATE SKIP LOCKED, and a claim
is a lease, so rows of a dispatcher killed mid-delivery are delivered by another.

The same engine sends status updates to residents (`stadsvraag notify run`, bot/notify/sender.py), one
destination per dispatcher. A mail or chat message cannot be taken back or de-duplicated by its receiver, so
that dispatcher is at most once: a row whose sender died mid-send is not sent again but dead-lettered, for the
broker to retry if it was never sent.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx
from sqlalchemy import or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import ConfigError, HandoffSettings
from bot.handoff.outbox import EVENT_READY
from bot.handoff.signing import sign_headers
from bot.review import workflow
from bot.storage.models import Intake, IntakeEvent, OutboxMessage, as_utc, utcnow
from bot.storage.outbox import CANCELLED, DEAD, DELIVERED, DELIVERING, MATCHING, PENDING

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER = 6 * 3600.0  # honour Retry-After up to six hours


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

    def deliver(self, webhook_id: str, body: str) -> DeliveryOutcome:
        try:
            return classify(self.send(webhook_id, body), None)
        except httpx.HTTPError as exc:
            return classify(None, exc)

    def close(self) -> None:
        self.http.close()


@dataclass
class DeliveryOutcome:
    status: str  # delivered | retry | dead | cancelled (no longer to be sent)
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


class Client(Protocol):
    def deliver(self, webhook_id: str, body: str) -> DeliveryOutcome: ...


class Dispatcher:
    """Claims due outbox rows of one destination, delivers them, records the outcome. Safe to run several at once."""

    def __init__(self, sessions: sessionmaker, settings: HandoffSettings, name: str | None = None,
                 destination: str = MATCHING, at_most_once: bool = False) -> None:
        self.sessions = sessions
        self.settings = settings
        self.name = name or f"dispatcher-{os.getpid()}"
        self.destination = destination
        self.at_most_once = at_most_once
        self.rng = random.Random()
        self.stop = threading.Event()

    def claim(self) -> list[tuple[int, str, str]]:
        """Lease up to `batch` due rows: (id, webhook_id, payload)."""
        now = utcnow()
        with self.sessions.begin() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.destination == self.destination, or_(
                    (OutboxMessage.status == PENDING) & (OutboxMessage.next_attempt_at <= now),
                    (OutboxMessage.status == DELIVERING) & (OutboxMessage.locked_until < now),
                ))
                .order_by(OutboxMessage.id)
                .limit(self.settings.batch)
                .with_for_update(skip_locked=True)
            ).all()
            claimed = []
            for row in rows:
                if self.at_most_once and row.status == DELIVERING:  # its sender died mid-send: maybe sent
                    row.status, row.locked_until = DEAD, None
                    row.last_error = "the sender stopped while sending: not sent again, so never twice"
                    continue
                claimed.append(row)
            rows = claimed
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
                if self.destination == MATCHING:
                    self._mark_handed_off(session, message, outcome)
                return
            if outcome.status == CANCELLED:
                message.status, message.last_error = CANCELLED, outcome.error
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

    def run_once(self, client: Client) -> int:
        """Deliver what is due now; returns the number of attempts made."""
        claimed = self.claim()
        for message_id, webhook_id, payload in claimed:
            self.record(message_id, client.deliver(webhook_id, payload))
        return len(claimed)

    def run(self, once: bool = False, client: Client | None = None) -> None:
        if client is None and not self.settings.url:
            logger.warning("MATCHING_BACKEND_URL is not set: intakes wait in the outbox for the matching backend")
            while not self.stop.is_set() and not once:
                self.stop.wait(self.settings.poll * 5)
            return
        client = client or MatchingBackendClient(self.settings)
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
            close = getattr(client, "close", None)
            if close is not None:
                close()
