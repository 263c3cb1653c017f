"""Messaging channels for neighbourhood workers: Telegram and WhatsApp (via Twilio).

Thin subclasses of Rasa's own connectors. They add what a municipality needs:
- the provider's API base URL can be set (`api_url` in credentials.yml), which is
  also the seam the tests use to point outgoing calls at a local recorder;
- Twilio webhooks are checked against the `X-Twilio-Signature` header (Rasa's
  connector accepts any POST), so nobody can inject messages for another number.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint, response
from sanic.request import Request

logger = logging.getLogger(__name__)


class StadsvraagTelegramOutput(TelegramOutput):
    def __init__(self, access_token: str | None, api_url: str | None = None) -> None:
        from aiogram.bot.api import TELEGRAM_PRODUCTION, TelegramAPIServer

        server = TelegramAPIServer.from_base(api_url) if api_url else TELEGRAM_PRODUCTION
        super(TelegramOutput, self).__init__(access_token, server=server)  # aiogram's Bot.__init__


class StadsvraagTelegramInput(TelegramInput):
    """Telegram, with a configurable Bot API server."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> StadsvraagTelegramInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        channel = cls(credentials.get("access_token"), credentials.get("verify"), credentials.get("webhook_url"),
                      debug_mode=False)
        channel.api_url = credentials.get("api_url") or None
        return channel

    api_url: str | None = None

    def get_output_channel(self) -> TelegramOutput:
        import asyncio

        channel = StadsvraagTelegramOutput(self.access_token, self.api_url)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # at start-up: register our webhook with Telegram
            asyncio.run(channel.set_webhook(url=self.webhook_url))
            channel = StadsvraagTelegramOutput(self.access_token, self.api_url)  # fresh session for the server loop
        return channel


class StadsvraagTwilioOutput(TwilioOutput):
    def __init__(self, account_sid: str | None, auth_token: str | None, twilio_number: str | None,
                 api_url: str | None = None) -> None:
        super().__init__(account_sid, auth_token, twilio_number)
        if api_url:
            self.api.base_url = api_url.rstrip("/")


class StadsvraagTwilioInput(TwilioInput):
    """Twilio SMS / WhatsApp, with signature checking and a configurable API server."""

    api_url: str | None = None
    webhook_url: str | None = None

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> StadsvraagTwilioInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        channel = cls(credentials.get("account_sid"), credentials.get("auth_token"), credentials.get("twilio_number"),
                      debug_mode=False)
        channel.api_url = credentials.get("api_url") or None
        channel.webhook_url = credentials.get("webhook_url") or None
        return channel

    def get_output_channel(self) -> StadsvraagTwilioOutput:
        return StadsvraagTwilioOutput(self.account_sid, self.auth_token, self.twilio_number, self.api_url)

    def blueprint(self, on_new_message):  # type: ignore[no-untyped-def]
        webhook: Blueprint = super().blueprint(on_new_message)
        if not self.webhook_url:
            logger.warning("twilio: webhook_url is not set, so X-Twilio-Signature is not checked")
            return webhook
        from twilio.request_validator import RequestValidator

        validator = RequestValidator(self.auth_token)

        @webhook.middleware("request")
        async def check_signature(request: Request):  # type: ignore[no-untyped-def]
            if request.method != "POST" or not request.path.endswith("/webhook"):
                return None
            params = {k: v[0] if isinstance(v, list) else v for k, v in request.form.items()}
            if not validator.validate(self.webhook_url, params, request.headers.get("X-Twilio-Signature", "")):
                return response.text("invalid signature", status=403)
            return None

        return webhook
