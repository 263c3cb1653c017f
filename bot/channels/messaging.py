"""Messaging channels for neighbourhood workers: Telegram and WhatsApp (via Twilio).

Thin subclasses of Rasa's own connectors. They add what a municipality needs:
- the provider's API base URL can be set (`api_url` in credentials.yml), which is
  also the seam the tests use to point outgoing calls at a local recorder;
- every request to a channel's webhook is authenticated, because the chat id or phone
  number in an update is what the intake is filed under: Telegram updates must carry
  the `X-Telegram-Bot-Api-Secret-Token` we registered with `setWebhook`, Twilio requests
  must carry a valid `X-Twilio-Signature` (Rasa's connectors accept any POST);
- Twilio requests are handled once per `MessageSid`: its signature has no timestamp, so
  a captured request would otherwise stay valid for ever (and Twilio may retry).
"""

from __future__ import annotations

import hmac
import logging
from collections import OrderedDict
from typing import Any

from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint, response
from sanic.request import Request

from bot.channels.credentials import check_telegram_secret_token
from bot.config import Settings

logger = logging.getLogger(__name__)

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _is_health_check(request: Request) -> bool:
    """The connectors' `GET /` answers {"status": "ok"} and reveals nothing; everything else is authenticated."""
    route = getattr(request, "route", None)
    return request.method in ("GET", "HEAD") and route is not None and route.name.endswith(".health")


class StadsvraagTelegramOutput(TelegramOutput):
    def __init__(self, access_token: str | None, api_url: str | None = None, secret_token: str | None = None) -> None:
        from aiogram.bot.api import TELEGRAM_PRODUCTION, TelegramAPIServer

        server = TelegramAPIServer.from_base(api_url) if api_url else TELEGRAM_PRODUCTION
        super(TelegramOutput, self).__init__(access_token, server=server)  # aiogram's Bot.__init__
        self.secret_token = secret_token

    async def set_webhook(self, url: str, *args: Any, **kwargs: Any) -> bool:
        """Register the webhook with our secret token. aiogram 2.15 predates Bot API 6.1's `secret_token`, so the
        method is called directly; Rasa's `/set_webhook` route comes here too and so never registers without it."""
        payload: dict[str, Any] = {"url": url}
        if self.secret_token:
            payload["secret_token"] = self.secret_token
        return await self.request("setWebhook", payload)


class StadsvraagTelegramInput(TelegramInput):
    """Telegram, with a configurable Bot API server and a webhook secret token."""

    api_url: str | None = None
    secret_token: str = ""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> StadsvraagTelegramInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        credentials = credentials or {}  # (the line above raised; this tells the type checker)
        # Fails the Rasa start-up (also with a hand-written credentials file) rather than accept forged updates.
        secret_token = check_telegram_secret_token(credentials.get("secret_token"))
        channel = cls(credentials.get("access_token"), credentials.get("verify"), credentials.get("webhook_url"),
                      debug_mode=False)
        channel.api_url = credentials.get("api_url") or None
        channel.secret_token = secret_token
        return channel

    def get_output_channel(self) -> TelegramOutput:
        import asyncio

        channel = StadsvraagTelegramOutput(self.access_token, self.api_url, self.secret_token)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # at start-up: register our webhook with Telegram
            asyncio.run(channel.set_webhook(url=self.webhook_url))
            channel = StadsvraagTelegramOutput(self.access_token, self.api_url, self.secret_token)  # fresh session
        return channel

    def blueprint(self, on_new_message):
        webhook: Blueprint = super().blueprint(on_new_message)
        expected = self.secret_token.encode()

        @webhook.middleware("request")
        async def check_secret_token(request: Request):
            if _is_health_check(request):
                return None
            given = request.headers.get(TELEGRAM_SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, expected):  # timing-safe: the token is the only credential
                return response.text("invalid secret token", status=403)
            return None

        return webhook


class StadsvraagTwilioOutput(TwilioOutput):
    def __init__(self, account_sid: str | None, auth_token: str | None, twilio_number: str | None,
                 api_url: str | None = None) -> None:
        super().__init__(account_sid, auth_token, twilio_number)
        if api_url:
            self.api.base_url = api_url.rstrip("/")


class SeenMessages:
    """The `MessageSid`s already handled, so a replayed or retried Twilio request changes nothing.

    With REDIS_URL (production: several Rasa replicas behind one proxy) the set is shared in Redis with a TTL
    (`SET NX EX`), so a replay to another replica is caught too. Without it (the embedded mode: one Rasa
    process) it is a bounded in-memory LRU: enough for one process, small (about 100 bytes a SID), and lost on
    restart, which only reopens the window for a replay of a request captured before the restart. A Redis that
    does not answer falls back to the in-memory set rather than drop workers' messages.
    """

    PREFIX = "stadsvraag:twilio:message-sid:"

    def __init__(self, redis_url: str | None, size: int = 10_000, ttl: int = 7 * 24 * 3600) -> None:
        self.size, self.ttl = size, ttl
        self.memory: OrderedDict[str, None] = OrderedDict()
        self.redis = None
        if redis_url:
            import redis.asyncio

            self.redis = redis.asyncio.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)

    async def first_time(self, sid: str) -> bool:
        if self.redis is not None:
            try:
                return bool(await self.redis.set(self.PREFIX + sid, "1", nx=True, ex=self.ttl))
            except Exception as exc:  # noqa: BLE001 - any Redis failure: keep working in memory
                logger.warning("twilio: Redis unavailable for MessageSid de-duplication (%s); using memory",
                               type(exc).__name__)
        if sid in self.memory:
            self.memory.move_to_end(sid)
            return False
        self.memory[sid] = None
        if len(self.memory) > self.size:
            self.memory.popitem(last=False)
        return True


class StadsvraagTwilioInput(TwilioInput):
    """Twilio SMS / WhatsApp, with signature checking, MessageSid de-duplication and a configurable API server."""

    api_url: str | None = None
    webhook_url: str = ""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> StadsvraagTwilioInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        credentials = credentials or {}  # (the line above raised; this tells the type checker)
        if not credentials.get("webhook_url"):
            raise ValueError("twilio: webhook_url is not set, so X-Twilio-Signature cannot be checked. "
                             "Fix: set TWILIO_WEBHOOK_URL to the URL configured in Twilio (docs/channels.md).")
        channel = cls(credentials.get("account_sid"), credentials.get("auth_token"), credentials.get("twilio_number"),
                      debug_mode=False)
        channel.api_url = credentials.get("api_url") or None
        channel.webhook_url = credentials["webhook_url"]
        return channel

    def get_output_channel(self) -> StadsvraagTwilioOutput:
        return StadsvraagTwilioOutput(self.account_sid, self.auth_token, self.twilio_number, self.api_url)

    def blueprint(self, on_new_message):
        from twilio.request_validator import RequestValidator

        webhook: Blueprint = super().blueprint(on_new_message)
        validator = RequestValidator(self.auth_token)
        seen = SeenMessages(Settings.from_env().redis_url)

        @webhook.middleware("request")
        async def check_signature(request: Request):
            # Every request but the health check, whatever its path looks like (Sanic also routes
            # `/webhook/` to the webhook): Twilio signs the configured URL, so that is what is checked.
            if _is_health_check(request):
                return None
            params = {k: v[0] if isinstance(v, list) else v for k, v in request.form.items()}
            if not validator.validate(self.webhook_url, params, request.headers.get("X-Twilio-Signature", "")):
                return response.text("invalid signature", status=403)
            sid = params.get("MessageSid") or params.get("SmsSid")
            if sid and not await seen.first_time(sid):
                logger.info("twilio: MessageSid seen before, ignored")
                return response.text("", status=204)  # 2xx: Twilio stops retrying
            return None

        return webhook
