"""Rate limits for the public chat API: sessions per client address, messages per conversation and per address.

Sliding windows (a log of hit times per key, so no burst at a window edge). With `REDIS_URL` set the windows
live in Redis, so every web replica counts the same hits; without it they live in this process's memory,
bounded to CHAT_LIMIT_MEMORY_KEYS keys (the least recently used key is forgotten first). A limited request
gets 429 with Retry-After, and the widget tells the user, in their language, to slow down.

Why not the `limits` package (what slowapi and flask-limiter use): every release from 2.0 on needs
packaging>=21, and Rasa 3.6 pins packaging<21, so it cannot be installed next to Rasa; 1.6, the last release
that can, is unmaintained since 2021 and its in-memory moving window never forgets a key. redis-py (pinned by
Rasa) and one Lua script do the same job.

Keys are hashed before they are stored: the Redis database holds no client addresses or conversation ids.
When Redis cannot be reached the request is allowed (and a warning logged, at most once a minute): a broken
limiter must not take the chat down.

The client address is the socket peer, or, when the peer is one of WEB_TRUSTED_PROXIES (comma-separated
addresses or networks, e.g. `10.0.0.5, 172.18.0.0/16`), the right-most address in X-Forwarded-For that is not
a trusted proxy itself. X-Forwarded-For from anyone else is ignored: otherwise a client picks its own key.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
import threading
import time
from collections import OrderedDict, deque
from typing import Protocol

from bot.config import ConfigError, WebSettings

logger = logging.getLogger(__name__)

WINDOW = 60.0  # seconds, for every limit
KEY_PREFIX = "stadsvraag:ratelimit:"

# KEYS[1] the window; ARGV: limit, window in ms, a unique member. Redis's own clock, so replicas whose clocks
# differ still agree. Returns 0 when the hit is counted, else the milliseconds until the oldest hit leaves.
_SLIDING_WINDOW = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - ms)
end
redis.call('ZADD', KEYS[1], ms, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""


class Window(Protocol):
    def check(self, key: str) -> float:
        """0 when allowed (and counted); else the seconds to wait."""


class MemoryWindow:
    """A sliding window per key in this process, holding at most `max_keys` keys."""

    def __init__(self, limit: int, seconds: float = WINDOW, max_keys: int = 50_000) -> None:
        self.limit, self.seconds, self.max_keys = limit, seconds, max_keys
        self.hits: OrderedDict[str, deque[float]] = OrderedDict()  # least recently used first
        self.lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self.lock:
            hits = self.hits.pop(key, None) or deque(maxlen=self.limit)
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            wait = 0.0
            if len(hits) >= self.limit:
                wait = max(0.1, hits[0] + self.seconds - now)
            else:
                hits.append(now)
            self.hits[key] = hits
            while len(self.hits) > self.max_keys:  # forget the key used longest ago
                self.hits.popitem(last=False)
            return wait


class RedisWindow:
    """A sliding window per key in Redis (a sorted set of hit times that expires with the window)."""

    def __init__(self, client, name: str, limit: int, seconds: float = WINDOW) -> None:
        self.client, self.name, self.limit, self.window_ms = client, name, limit, int(seconds * 1000)
        self.script = client.register_script(_SLIDING_WINDOW)
        self.warned_at = -WINDOW

    def check(self, key: str) -> float:
        import redis

        try:
            waited = self.script(keys=[f"{KEY_PREFIX}{self.name}:{key}"],
                                 args=[self.limit, self.window_ms, secrets.token_hex(8)])
        except redis.RedisError as exc:
            if time.monotonic() - self.warned_at > WINDOW:
                self.warned_at = time.monotonic()
                logger.warning("rate limits: Redis unavailable (%s); allowing requests", type(exc).__name__)
            return 0.0
        return int(waited) / 1000


class ChatLimits:
    """The chat API's limits; settings from the environment, storage Redis when a URL is given."""

    def __init__(self, redis_url: str | None = None) -> None:
        web = WebSettings.from_env()
        self.salt = hashlib.sha256((web.secret_key or "stadsvraag").encode()).digest()
        limits = {"session": web.chat_sessions_per_ip, "ip": web.chat_messages_per_ip,
                  "conversation": web.chat_messages_per_conversation}
        self.windows: dict[str, Window]
        if redis_url:
            import redis

            client = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            self.windows = {name: RedisWindow(client, name, limit) for name, limit in limits.items()}
        else:
            max_keys = web.chat_memory_keys
            self.windows = {name: MemoryWindow(limit, max_keys=max_keys) for name, limit in limits.items()}
        self.storage = "redis" if redis_url else "memory"

    def _key(self, value: str) -> str:
        return hashlib.blake2b(value.encode(), key=self.salt, digest_size=16).hexdigest()

    def check(self, conversation_id: str, client_ip: str) -> float:
        """A message: counted against the address and the conversation (a limited message counts too)."""
        return max(self.windows["ip"].check(self._key(client_ip)),
                   self.windows["conversation"].check(self._key(conversation_id)))

    def check_session(self, client_ip: str) -> float:
        """A new conversation (POST /chat/session) from this address."""
        return self.windows["session"].check(self._key(client_ip))


def trusted_proxies(raw: str | None = None) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """WEB_TRUSTED_PROXIES as networks (a single address is a /32 or /128); a malformed entry stops start-up."""
    raw = WebSettings.from_env().trusted_proxies if raw is None else raw
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"WEB_TRUSTED_PROXIES: {item!r} is not an address or network. "
                              "Fix: a comma-separated list like 10.0.0.5, 172.18.0.0/16") from None
    return networks


def _trusted(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, forwarded_for: str | None, networks: list) -> str:
    """The address a request came from: the peer, unless a trusted proxy says who it forwarded (see above)."""
    peer = peer or "unknown"
    if not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):  # the right-most hops were added by our own proxies
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage where an address should be: count it as the proxy's own
    return hops[0] if hops else peer
