"""Send queued status updates to residents: e-mail, Telegram or WhatsApp (`stadsvraag notify run`).

The delivery engine is the handoff's (bot/handoff/delivery.py: claims, leases, retries with backoff, dead
letters), at most once. What to send is decided at the moment of sending: the intake is read again, so an
erasure, a withdrawn consent or "stop these updates" in between means nothing is sent (the row is cancelled).
"""

from __future__ import annotations

import json
import logging

import httpx
from sqlalchemy.orm import sessionmaker

from bot.channels.outgoing import Sent, TelegramSender, TwilioSender
from bot.config import NotifySettings
from bot.handoff.delivery import DeliveryOutcome
from bot.notify import mail
from bot.notify.texts import compose
from bot.notify.updates import EMAIL, TELEGRAM, route, stop_token
from bot.storage.intakes import find_intake

logger = logging.getLogger(__name__)
STOP_PATH = "/updates/stop/"


def stop_url(settings: NotifySettings, token: str) -> str:
    return f"{settings.public_url}{STOP_PATH}{token}"


class ResidentClient:
    """Delivers one outbox row of destination "resident"."""

    def __init__(self, sessions: sessionmaker, settings: NotifySettings) -> None:
        self.sessions, self.settings = sessions, settings
        self.http = httpx.Client(timeout=httpx.Timeout(settings.timeout, connect=5.0))
        self.mailer = mail.Mailer(settings)
        self.telegram = TelegramSender(settings, self.http)
        self.twilio = TwilioSender(settings, self.http)

    def close(self) -> None:
        self.http.close()

    def deliver(self, webhook_id: str, body: str) -> DeliveryOutcome:
        data = json.loads(body)
        with self.sessions.begin() as session:
            intake = find_intake(session, str(data.get("intake", "")))
            how = route(intake) if intake is not None else None
            if intake is None or how is None:
                return DeliveryOutcome("cancelled", error="not sent: erased, stopped or no consent to contact")
            reference, language, sender = str(intake.reference), str(intake.language), str(intake.sender_id or "")
            email = intake.contact.email if intake.contact is not None else None
            url = stop_url(self.settings, stop_token(intake))
        kind = "mail" if how == EMAIL else "chat"
        update = compose(kind, str(data.get("status")), reference, language, data.get("note"), url)
        if how == EMAIL:
            message = mail.build(self.settings, str(email), update.subject, update.body, webhook_id, language, url)
            try:
                where = self.mailer.send(message, webhook_id)
            except mail.MailError as exc:
                return DeliveryOutcome("retry" if exc.retry else "dead", error=str(exc))
            return DeliveryOutcome("delivered", body=f"e-mail to {where}")
        channel = self.telegram if how == TELEGRAM else self.twilio
        if not channel.configured:
            return DeliveryOutcome("retry", error=f"{how} is not configured here (its token or account is unset)")
        to = sender if how == TELEGRAM else sender if sender.startswith("whatsapp:") else f"whatsapp:{sender}"
        try:
            sent: Sent = channel.send(to, update.body)
        except httpx.HTTPError as exc:
            return DeliveryOutcome("retry", error=type(exc).__name__)
        if sent.ok:
            return DeliveryOutcome("delivered", sent.status_code, body=f"{how} message")
        return DeliveryOutcome("retry" if sent.retry else "dead", sent.status_code, error=f"{how}: {sent.detail}")

