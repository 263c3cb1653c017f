"""The matching service's one client for the assistant: its callbacks, signed per Standard Webhooks with
MATCHING_CALLBACK_SECRET, sent from its own outbox table with retries; a callback that the assistant refuses
(4xx) is dead-lettered. The `webhook-id` stays the same across retries, so the assistant records it once."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.config import MatchingSettings
from bot.handoff.delivery import DeliveryOutcome, classify
from bot.handoff.signing import sign_headers
from bot.matching.store import Callback
from bot.storage.models import utcnow

logger = logging.getLogger(__name__)
MAX_BACKOFF = 300.0


class CallbackSender:
    def __init__(self, sessions: sessionmaker, settings: MatchingSettings) -> None:
        self.sessions, self.settings = sessions, settings
        self.http = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))
        self.stop = threading.Event()

    def send_due(self) -> int:
        """Send every callback that is due; returns how many were tried."""
        with self.sessions() as session:
            due = [(c.id, c.webhook_id, c.body) for c in session.scalars(
                select(Callback).where(Callback.status == "pending", Callback.next_attempt_at <= utcnow())
                .order_by(Callback.id).limit(20))]
        for callback_id, webhook_id, body in due:
            intake_id = json.loads(body)["id"]
            try:
                response = self.http.post(f"{self.settings.callback_url}/{intake_id}/status", content=body.encode(),
                                          headers=sign_headers(str(self.settings.callback_secret), webhook_id, body))
                outcome = classify(response, None)
            except httpx.HTTPError as exc:
                outcome = classify(None, exc)
            self._record(callback_id, outcome)
        return len(due)

    def _record(self, callback_id: int, outcome: DeliveryOutcome) -> None:
        """The handoff's rule: 2xx delivered; 429, 5xx and network errors retried; other 4xx dead-lettered."""
        with self.sessions.begin() as session:
            callback = session.get(Callback, callback_id)
            if callback is None:
                return
            callback.attempts += 1
            callback.last_error = outcome.error
            if outcome.status == "delivered":
                callback.status, callback.delivered_at = "delivered", utcnow()
            elif outcome.status == "dead":
                callback.status = "dead"
                logger.warning("callback %s refused by the assistant: %s", callback.webhook_id, outcome.error)
            else:
                callback.next_attempt_at = utcnow() + timedelta(seconds=min(MAX_BACKOFF, 2.0 ** callback.attempts))

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                if self.send_due() == 0:
                    self.stop.wait(self.settings.poll)
            except Exception:  # noqa: BLE001 - a database hiccup: try again, nothing is lost
                logger.exception("sending callbacks failed; retrying")
                self.stop.wait(max(1.0, self.settings.poll))

    def close(self) -> None:
        self.stop.set()
        self.http.close()
