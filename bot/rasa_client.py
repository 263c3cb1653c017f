"""The one client for Rasa's REST channel, spreading conversations over replicas with failover.

In production mode several Rasa servers share the tracker store (PostgreSQL) and the lock
store (Redis), so any replica can answer any conversation. A conversation goes to the
replica its id hashes to; when that one cannot be reached, the next one answers.
"""

from __future__ import annotations

import hashlib
import logging

import httpx

logger = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """No replica could be reached."""


class RasaClient:
    def __init__(self, urls: list[str], timeout: float = 30.0) -> None:
        if not urls:
            raise ValueError("at least one Rasa URL is needed")
        self.urls = [u.rstrip("/") for u in urls]
        self.timeout = timeout

    def order_for(self, sender: str) -> list[str]:
        start = int(hashlib.sha256(sender.encode()).hexdigest(), 16) % len(self.urls)
        return self.urls[start:] + self.urls[:start]

    async def send(self, sender: str, message: str) -> list[dict]:
        last: Exception | None = None
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for url in self.order_for(sender):
                try:
                    answer = await client.post(f"{url}/webhooks/rest/webhook",
                                               json={"sender": sender, "message": message})
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                    logger.warning("rasa replica %s unreachable, trying the next one", url)
                    last = exc
                    continue
                if answer.status_code >= 500:
                    last = RuntimeError(f"{url} answered {answer.status_code}")
                    continue
                answer.raise_for_status()
                return answer.json()
        raise RasaUnavailable(str(last))
