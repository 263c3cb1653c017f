"""Chat rate limits: shared between web replicas through the real Redis, bounded in memory, and keyed on the
client address that a trusted proxy reports (never on what a client claims itself)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from starlette.testclient import TestClient

from bot.config import ConfigError, Settings
from bot.storage.db import upgrade
from bot.web.app import create_app
from bot.web.ratelimit import KEY_PREFIX, ChatLimits, MemoryWindow, client_address, trusted_proxies
from bot.web.widget import TOKEN_HEADER
from tests.e2e.conftest import free_port
from tests.unit.test_widget_api import FakeRasa

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own: nothing else of ours uses 13


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    server = FakeRasa()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # a fresh key per test: the limiter hashes its keys with it, so runs never share a window in Redis
    monkeypatch.setenv("WEB_SECRET_KEY", secrets.token_hex(24))
    for name in ["WIDGET_ORIGINS", "MATCHING_BACKEND_URL", "WEB_TRUSTED_PROXIES"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CHAT_LIMIT_PER_CONVERSATION", "3")
    monkeypatch.setenv("CHAT_LIMIT_PER_IP", "7")
    monkeypatch.setenv("CHAT_LIMIT_SESSIONS_PER_IP", "4")


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'web.db'}"
    upgrade(url)
    return url


def app_client(database: str, rasa_url: str, redis_url: str | None,
               peer: tuple[str, int] = ("203.0.113.9", 50000)) -> TestClient:
    settings = Settings(database_url=database, rasa_url=rasa_url, action_port=0, rasa_port=0, web_port=0,
                        web_host="127.0.0.1", redis_url=redis_url)
    return TestClient(create_app(settings), client=peer)


def send(client: TestClient, token: str, headers: dict[str, str] | None = None) -> int:
    return client.post("/chat/messages", json={"message": "hoi"}, headers={TOKEN_HEADER: token, **(headers or {})}
                       ).status_code


def test_two_web_replicas_share_the_limits_through_redis(database: str, rasa: FakeRasa) -> None:
    with app_client(database, rasa.url, REDIS_URL) as one, app_client(database, rasa.url, REDIS_URL) as two:
        token = one.post("/chat/session").json()["token"]
        assert [send(one, token), send(two, token), send(one, token)] == [200, 200, 200]
        limited = two.post("/chat/messages", json={"message": "hoi"}, headers={TOKEN_HEADER: token})
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.json()["error"] == "rate_limited"
        # sessions per address: 4 a minute over both replicas together (one was taken above)
        codes = [c.post("/chat/session").status_code for c in (two, one, two, one)]
        assert codes == [200, 200, 200, 429]
        assert two.options("/chat/session").status_code == 204  # a preflight is not a new session
    keys = redis.Redis.from_url(REDIS_URL).keys(KEY_PREFIX + "*")
    assert keys and all(b"203.0.113.9" not in k and token.encode() not in k for k in keys)  # hashed keys only
    assert all(0 < redis.Redis.from_url(REDIS_URL).pttl(k) <= 60_000 for k in keys)  # they expire


def test_memory_limits_are_per_process_and_count_fresh_tokens_per_address(database: str, rasa: FakeRasa) -> None:
    with app_client(database, rasa.url, None) as one, app_client(database, rasa.url, None) as two:
        tokens = [one.post("/chat/session").json()["token"] for _ in range(4)]
        assert one.app.state.chat_limits.storage == "memory"
        assert one.post("/chat/session").status_code == 429
        assert two.post("/chat/session").status_code == 200  # another process keeps its own count
        # fresh tokens do not reset the address's limit of 7 messages
        codes = [send(one, token) for token in tokens for _ in range(2)]
        assert codes == [200] * 7 + [429]


def test_memory_windows_stay_bounded_under_fresh_keys() -> None:
    window = MemoryWindow(limit=3, seconds=60, max_keys=1000)
    for i in range(20_000):
        assert window.check(f"token-{i}", now=1.0 + i / 1000) == 0
    assert len(window.hits) == 1000
    assert all(len(hits) <= 3 for hits in window.hits.values())
    for _ in range(3):  # a key in use stays counted while others come and go
        window.check("busy", now=30.0)
    assert window.check("busy", now=31.0) == pytest.approx(59.0)


def test_redis_unreachable_allows_the_request() -> None:
    limits = ChatLimits(f"redis://127.0.0.1:{free_port()}/0")
    assert limits.storage == "redis"
    assert limits.check("conversation", "198.51.100.1") == 0 and limits.check_session("198.51.100.1") == 0


def test_forwarded_for_counts_only_from_a_trusted_proxy(database: str, rasa: FakeRasa,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # a client that is not a trusted proxy cannot pick fresh keys with a made-up X-Forwarded-For
    with app_client(database, rasa.url, None) as direct:
        codes = [direct.post("/chat/session", headers={"X-Forwarded-For": f"192.0.2.{i}"}).status_code
                 for i in range(5)]
        assert codes == [200, 200, 200, 200, 429]
    monkeypatch.setenv("WEB_TRUSTED_PROXIES", "10.0.0.0/24, 10.0.1.7")
    with app_client(database, rasa.url, None, peer=("10.0.0.5", 40000)) as proxied:
        for client in ["192.0.2.1", "192.0.2.2"]:  # two clients behind the proxy: a limit each
            codes = [proxied.post("/chat/session", headers={"X-Forwarded-For": f"6.6.6.6, {client}, 10.0.1.7"}
                                  ).status_code for _ in range(5)]
            assert codes == [200, 200, 200, 200, 429], client


def test_client_address_rules() -> None:
    proxies = trusted_proxies("10.0.0.5, 2001:db8::/32")
    assert client_address("192.0.2.1", "6.6.6.6", proxies) == "192.0.2.1"  # untrusted peer: header ignored
    assert client_address("10.0.0.5", "6.6.6.6, 192.0.2.1", proxies) == "192.0.2.1"  # right-most untrusted hop
    assert client_address("10.0.0.5", "192.0.2.1, 2001:db8::1", proxies) == "192.0.2.1"
    assert client_address("10.0.0.5", "not-an-address", proxies) == "10.0.0.5"
    assert client_address("10.0.0.5", None, proxies) == "10.0.0.5"
    assert client_address(None, "6.6.6.6", proxies) == "unknown"
    with pytest.raises(ConfigError, match="WEB_TRUSTED_PROXIES"):
        trusted_proxies("10.0.0.5, proxy.example")
