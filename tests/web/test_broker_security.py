"""Issue 14: sessions kept on the server, sign-in throttled in the database, HTTPS by default, no caching of
dashboard pages, and the body cap for chunked requests. In-process over HTTP, plus one real socket."""

from __future__ import annotations

import asyncio
import re
import select as io_select
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
import uvicorn
from sqlalchemy import select, update
from starlette.testclient import TestClient

from bot.config import ConfigError, Settings, parse_bool
from bot.review.users import SESSION_IDLE, set_role
from bot.storage.db import session_factory
from bot.storage.models import BrokerUser, Intake, WebSession, utcnow
from bot.web.app import create_app
from tests.web.conftest import PASSWORD, csrf_of, sign_in

COOKIE = "stadsvraag_session"


def user_id(database_url: str, username: str) -> int:
    with session_factory(database_url)() as s:
        return s.scalars(select(BrokerUser.id).where(BrokerUser.username == username)).one()


def signed_out(client: TestClient) -> bool:
    r = client.get("/broker/", follow_redirects=False)
    return r.status_code == 303 and r.headers["location"].startswith("/broker/login")


def error_text(html: str) -> str:
    m = re.search(r'<p class="error" role="alert">(.*?)</p>', html)
    return m.group(1) if m else ""


def client_at(app, address: str) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, client=(address, 50000))


# ------------------------------------------------------------------ 1. sessions on the server


def test_deactivating_an_account_ends_its_open_sessions(broker_client, admin_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert broker_client.get("/broker/").status_code == 200
    token = csrf_of(admin_client.get("/broker/users").text)
    r = admin_client.post(f"/broker/users/{user_id(database_url, 'bea')}/deactivate", data={"csrf": token},
                          follow_redirects=False)
    assert r.status_code == 303
    assert signed_out(broker_client)  # at once, not at the end of the cookie's 8 hours
    assert broker_client.post("/broker/logout", data={"csrf": "x"}).status_code == 403
    assert broker_client.get("/broker/export.csv", follow_redirects=False).status_code == 303
    with session_factory(database_url)() as s:
        rows = s.scalars(select(WebSession).where(WebSession.user_id == user_id(database_url, "bea"))).all()
        assert [r.end_reason for r in rows] == ["deactivated"]
    assert sign_in(broker_client, "bea").status_code == 401


def test_a_role_change_ends_the_session_and_is_seen_on_the_next_request(admin_client, app, database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert admin_client.get("/broker/users").status_code == 200
    with session_factory(database_url).begin() as s:  # e.g. changed in the database by an operator
        s.execute(update(BrokerUser).where(BrokerUser.username == "ada").values(role="broker"))
    assert admin_client.get("/broker/users", follow_redirects=False).status_code == 303
    assert signed_out(admin_client)
    with TestClient(app) as bea:
        assert sign_in(bea, "bea").status_code == 303
        with session_factory(database_url).begin() as s:
            set_role(s, s.get(BrokerUser, user_id(database_url, "bea")), "admin")
        assert signed_out(bea)  # signing in again gives the new role
        assert sign_in(bea, "bea").status_code == 303 and bea.get("/broker/users").status_code == 200


def test_sign_out_ends_the_session_on_the_server(broker_client, app) -> None:  # type: ignore[no-untyped-def]
    stolen = broker_client.cookies.get(COOKIE)
    token = csrf_of(broker_client.get("/broker/").text)
    assert broker_client.post("/broker/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    with TestClient(app, cookies={COOKIE: stolen}) as replay:  # the cookie from before sign-out, replayed
        assert signed_out(replay)


def test_sessions_have_an_absolute_lifetime_and_an_idle_timeout(app, database_url: str) -> None:  # type: ignore[no-untyped-def]
    sessions = session_factory(database_url)
    with TestClient(app) as c:
        assert sign_in(c, "bea").status_code == 303
        with sessions.begin() as s:  # busy all day: still ends 8 hours after sign-in
            s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        assert signed_out(c)
        assert sign_in(c, "bea").status_code == 303
        with sessions.begin() as s:
            s.execute(update(WebSession).where(WebSession.ended_at.is_(None))
                      .values(last_seen_at=utcnow() - SESSION_IDLE + timedelta(minutes=5)))
        assert c.get("/broker/").status_code == 200  # within the idle timeout, and the clock moves on
        with sessions() as s:
            seen = s.scalars(select(WebSession.last_seen_at).where(WebSession.ended_at.is_(None))).one()
            assert seen.replace(tzinfo=None) > (utcnow() - timedelta(minutes=1)).replace(tzinfo=None)
        with sessions.begin() as s:
            s.execute(update(WebSession).where(WebSession.ended_at.is_(None))
                      .values(last_seen_at=utcnow() - SESSION_IDLE - timedelta(seconds=1)))
        assert signed_out(c)
        with sessions() as s:
            assert sorted(r.end_reason for r in s.scalars(select(WebSession))) == ["expired", "idle"]


def test_the_cookie_carries_a_token_not_the_account(broker_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    import base64
    import json

    payload = broker_client.cookies.get(COOKIE).split(".")[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert "user" not in data and "role" not in json.dumps(data) and set(data) <= {"sid", "csrf", "lang"}
    with session_factory(database_url)() as s:  # only the token's hash is stored
        assert s.scalars(select(WebSession.token_hash)).one() != data["sid"]


# ------------------------------------------------------------------ 2. sign-in throttled in the database


def test_failed_sign_ins_are_throttled_per_address(app) -> None:  # type: ignore[no-untyped-def]
    with client_at(app, "203.0.113.7") as c:
        answers = [sign_in(c, f"guess{i}", "wrong password!!") for i in range(15)]
        assert [r.status_code for r in answers] == [401] * 10 + [429] * 5
        assert "Te veel mislukte pogingen" in error_text(answers[-1].text)
        assert 1 <= int(answers[-1].headers["retry-after"]) <= 15 * 60
        assert sign_in(c, "bea").status_code == 429  # the password is not even checked
        c.get("/broker/login?lang=en")
        r = sign_in(c, "guess99", "wrong password!!")
        assert r.status_code == 429 and "Too many failed sign-in attempts" in error_text(r.text)
    with client_at(app, "198.51.100.1") as other:  # another address is not affected
        assert sign_in(other, "bea").status_code == 303


def test_failed_sign_ins_are_counted_per_account_across_addresses_and_replicas(app) -> None:  # type: ignore[no-untyped-def]
    replicas = [app, create_app(app.state.settings)]  # two web processes on one database
    for i in range(5):
        with client_at(replicas[i % 2], f"192.0.2.{i}") as c:
            assert sign_in(c, "bea", "wrong password!!").status_code == 401
    with client_at(replicas[1], "192.0.2.99") as c:
        assert sign_in(c, "bea").status_code == 429  # right password, new address, other replica
        assert sign_in(c, "ada").status_code == 303  # other accounts are not affected


def test_unknown_wrong_deactivated_and_locked_get_the_same_answer(app, database_url: str) -> None:  # type: ignore[no-untyped-def]
    with session_factory(database_url).begin() as s:
        s.execute(update(BrokerUser).where(BrokerUser.username == "ada").values(active=False))
    answers = {}
    for n, (name, password) in enumerate([("nobody", "whatever at all"), ("bea", "wrong password!!"),
                                          ("ada", PASSWORD)]):
        with client_at(app, f"192.0.2.{n}") as c:
            r = sign_in(c, name, password)
            answers[name] = (r.status_code, error_text(r.text))
    assert len(set(answers.values())) == 1 and answers["bea"][0] == 401
    # past the limit an existing and an unknown account look the same, too
    for name in ("bea", "nobody"):
        for i in range(4):
            with client_at(app, f"198.51.100.{i}") as c:
                sign_in(c, name, "wrong password!!")
    seen = set()
    for name in ("bea", "nobody"):
        with client_at(app, "198.51.100.200") as c:
            r = sign_in(c, name, "wrong password!!")
            seen.add((r.status_code, error_text(r.text).split(" over ")[0]))
    assert seen == {(429, "Te veel mislukte pogingen om in te loggen. Probeer het")}


# ------------------------------------------------------------------ 3. HTTPS by default, no caching


def test_yes_no_settings_are_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, value in [("true", True), ("1", True), ("YES", True), (" True ", True), ("false", False), ("0", False),
                       ("No", False)]:
        assert parse_bool("WEB_HTTPS_ONLY", raw) is value
    for raw in ["ture", "on", "2", "y", "enabled"]:
        with pytest.raises(ConfigError, match=r"WEB_HTTPS_ONLY=.*Fix: set WEB_HTTPS_ONLY to true or false"):
            parse_bool("WEB_HTTPS_ONLY", raw)
    monkeypatch.setenv("WEB_HTTPS_ONLY", "ture")
    with pytest.raises(ConfigError, match="WEB_HTTPS_ONLY"):
        Settings.from_env()


@pytest.mark.parametrize("host,flag,expected", [
    ("127.0.0.1", None, False), ("localhost", None, False), ("::1", None, False),  # local development
    ("0.0.0.0", None, True), ("10.1.2.3", None, True), ("stadsvraag.example.nl", None, True),
    ("0.0.0.0", "false", False), ("127.0.0.1", "1", True), ("127.0.0.1", "", False)])
def test_https_only_unless_local_or_turned_off(monkeypatch: pytest.MonkeyPatch, host: str, flag: str | None,
                                               expected: bool) -> None:
    monkeypatch.setenv("WEB_HOST", host)
    if flag is None:
        monkeypatch.delenv("WEB_HTTPS_ONLY", raising=False)
    else:
        monkeypatch.setenv("WEB_HTTPS_ONLY", flag)
    assert Settings.from_env().https_only is expected


def test_outside_local_development_the_cookie_is_secure_and_hsts_is_sent(app) -> None:  # type: ignore[no-untyped-def]
    public = create_app(Settings(**{**app.state.settings.__dict__, "web_host": "0.0.0.0"}))
    with TestClient(public, base_url="https://testserver") as c:
        r = sign_in(c, "bea")
        assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()
        assert r.headers["strict-transport-security"] == "max-age=31536000"
        assert c.get("/").headers["strict-transport-security"] == "max-age=31536000"
        assert c.get("/broker/").status_code == 200
    with TestClient(app) as local:  # http://localhost in development: no Secure flag, no HSTS
        r = sign_in(local, "bea")
        assert "secure" not in r.headers["set-cookie"].lower() and "strict-transport-security" not in r.headers


def test_dashboard_pages_and_the_export_are_never_cached(broker_client, anonymous, database_url: str) -> None:  # type: ignore[no-untyped-def]
    with session_factory(database_url)() as s:
        uid = s.scalars(select(Intake.uuid).limit(1)).one()
    for client, path in [(broker_client, "/broker/"), (broker_client, "/broker/overview"),
                         (broker_client, "/broker/export.csv"), (broker_client, f"/broker/intakes/{uid}"),
                         (anonymous, "/broker/login")]:
        r = client.get(path)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store", path
    r = broker_client.get("/broker/intakes/not-a-uuid")
    assert r.status_code == 404 and r.headers["cache-control"] == "no-store"


# ------------------------------------------------------------------ 7b. body cap for chunked requests


async def _chunks(total: int, size: int = 8192) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b"a" * part


def test_a_chunked_body_over_the_cap_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    async def post(total: int) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            return await c.post("/broker/login", content=_chunks(total),
                                headers={"content-type": "application/x-www-form-urlencoded"})

    r = asyncio.run(post(200_000))
    assert r.request.headers["transfer-encoding"] == "chunked" and "content-length" not in r.request.headers
    assert r.status_code == 413 and r.headers["x-content-type-options"] == "nosniff"
    assert asyncio.run(post(1_000)).status_code == 403  # under the cap: read, and refused for its missing CSRF


@pytest.fixture
def served(app) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """The app on a real socket (uvicorn), for requests that only a real HTTP parser sees."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(10)


def _raw_chunked_post(port: int, total: int) -> bytes:
    """The status line of a chunked POST; stops sending once the server has answered (it may close early)."""
    head = (f"POST /broker/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n").encode()
    chunk = b"a" * 4096
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head)
        for _ in range(total // len(chunk)):
            if io_select.select([conn], [], [], 0.005)[0]:
                break  # answered
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        else:
            conn.sendall(b"0\r\n\r\n")
        return conn.recv(65536).split(b"\r\n", 1)[0]


def test_a_real_chunked_request_over_the_cap_gets_413(served: int) -> None:
    assert _raw_chunked_post(served, 256 * 1024) == b"HTTP/1.1 413 Request Entity Too Large"
    assert _raw_chunked_post(served, 8 * 1024) == b"HTTP/1.1 403 Forbidden"
