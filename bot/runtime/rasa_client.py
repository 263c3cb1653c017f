"""The one client for Rasa's REST channel, spreading messages over replicas by load, with failover.

In production mode several Rasa servers share the tracker store (PostgreSQL) and the lock
store (Redis), so any replica can answer any message of any conversation. Each message goes to
the replica with the fewest requests of this process still waiting for an answer (least
outstanding requests); among equally busy replicas the conversation id's hash decides, so a
quiet system keeps a conversation on one replica. When a replica cannot be reached, the next
one answers. One client lives as long as the web app and keeps its HTTP connections open.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

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
        self.in_flight = dict.fromkeys(self.urls, 0)
        self._http: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None

    def order_for(self, sender: str) -> list[str]:
        """The replicas to try, least busy first; ties keep the order the sender's hash gives."""
        start = int(hashlib.sha256(sender.encode()).hexdigest(), 16) % len(self.urls)
        ring = self.urls[start:] + self.urls[:start]
        return sorted(ring, key=lambda url: self.in_flight[url])  # sorted() is stable

    @contextmanager
    def busy(self, url: str) -> Iterator[None]:
        """Count a request to `url` as outstanding while it runs."""
        self.in_flight[url] += 1
        try:
            yield
        finally:
            self.in_flight[url] -= 1

    def http(self) -> httpx.AsyncClient:
        """One pooled HTTP client per event loop."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._http[0] is not loop or self._http[1].is_closed:
            self._http = (loop, httpx.AsyncClient(timeout=self.timeout))
        return self._http[1]

    async def close(self) -> None:
        if self._http is not None:
            _, client = self._http
            self._http = None
            await client.aclose()

    async def send(self, sender: str, message: str, metadata: dict | None = None) -> list[dict]:
        last: Exception | None = None
        client = self.http()
        for url in self.order_for(sender):
            try:
                with self.busy(url):
                    answer = await client.post(f"{url}/webhooks/rest/webhook",
                                               json={"sender": sender, "message": message,
                                                     **({"metadata": metadata} if metadata else {})})
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
