"""Messages we start ourselves in a messaging app (a status update), outside a conversation turn.

The one client per provider for that: the Telegram Bot API's sendMessage and Twilio's Messages resource,
with the same API base URLs as the channels (TELEGRAM_API_URL, TWILIO_API_URL: the seam the tests use to
point them at a recorder). A reply inside a conversation goes through Rasa's connectors (messaging.py).

WhatsApp allows a free-form message only within 24 hours of the resident's last message; later, Meta requires
an approved template (docs/channels.md, Status updates): Twilio then answers with an error that the outbox
records, and the broker sees the update as not delivered.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bot.config import NotifySettings


@dataclass
class Sent:
    ok: bool
    status_code: int | None
    detail: str
    retry: bool = False  # worth trying again later (timeouts, 5xx, 429)


def _outcome(response: httpx.Response) -> Sent:
    code = response.status_code
    if 200 <= code < 300:
        return Sent(True, code, "sent")
    return Sent(False, code, response.text[:300], retry=code == 429 or code >= 500)


class TelegramSender:
    def __init__(self, settings: NotifySettings, http: httpx.Client) -> None:
        self.token, self.base, self.http = settings.telegram_token, settings.telegram_api_url, http

    @property
    def configured(self) -> bool:
        return bool(self.token)

    def send(self, chat_id: str, text: str) -> Sent:
        response = self.http.post(f"{self.base}/bot{self.token}/sendMessage",
                                  json={"chat_id": chat_id, "text": text, "disable_web_page_preview": True})
        return _outcome(response)


class TwilioSender:
    def __init__(self, settings: NotifySettings, http: httpx.Client) -> None:
        self.sid, self.token = settings.twilio_account_sid, settings.twilio_auth_token
        self.number, self.base, self.http = settings.twilio_number, settings.twilio_api_url, http

    @property
    def configured(self) -> bool:
        return bool(self.sid and self.token and self.number)

    def send(self, to: str, text: str) -> Sent:
        sender = self.number or ""
        if to.startswith("whatsapp:") and not sender.startswith("whatsapp:"):
            sender = "whatsapp:" + sender
        response = self.http.post(f"{self.base}/2010-04-01/Accounts/{self.sid}/Messages.json",
                                  data={"From": sender, "To": to, "Body": text},
                                  auth=(self.sid or "", self.token or ""))
        return _outcome(response)
