"""Standard Webhooks signatures, both ways: our deliveries to the matching backend and its callbacks to us."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bot.config import webhook_key


def sign_headers(secret: str, webhook_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    """Standard Webhooks headers for `body` (HMAC-SHA256 over id.timestamp.body)."""
    at = at or datetime.now(timezone.utc)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": webhook_key(secret).sign(webhook_id, at, body),
        "content-type": "application/json",
    }


def verify(secret: str, body: bytes, headers: dict[str, str]) -> Any:
    """The JSON of a correctly signed, fresh request; raises ValueError otherwise."""
    try:
        return webhook_key(secret).verify(body, headers)
    except Exception as exc:
        raise ValueError(f"signature rejected: {exc}") from None
