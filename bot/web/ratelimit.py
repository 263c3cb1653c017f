"""Rate limits for the public chat API: per conversation and per client address.

A sliding window in memory, per web-app process (enough for one or two processes; behind a
load balancer with many, put the same limits in the proxy). A limited request gets 429 with
Retry-After, and the widget tells the user, in their language, to slow down.
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict, deque


class SlidingWindow:
    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.hits: dict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> float:
        """0 when allowed (and counted); else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self.lock:
            hits = self.hits[key]
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.1, hits[0] + self.seconds - now)
            hits.append(now)
            if len(self.hits) > 100_000:  # bound the memory: forget idle keys
                for idle in [k for k, v in self.hits.items() if not v][:50_000]:
                    del self.hits[idle]
            return 0.0


class ChatLimits:
    def __init__(self) -> None:
        self.per_conversation = SlidingWindow(int(os.environ.get("CHAT_LIMIT_PER_CONVERSATION", 20)), 60)
        self.per_ip = SlidingWindow(int(os.environ.get("CHAT_LIMIT_PER_IP", 120)), 60)

    def check(self, conversation_id: str, client_ip: str) -> float:
        return max(self.per_ip.check(f"ip:{client_ip}"), self.per_conversation.check(f"c:{conversation_id}"))
