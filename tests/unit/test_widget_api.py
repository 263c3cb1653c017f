"""The widget's chat API in-process (TestClient) on real databases (SQLite and PostgreSQL).

Rasa is either unreachable (an unused port) or a small real HTTP server on a free port that records what it got.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, insert
from starlette.testclient import TestClient

from bot.config import Settings
from bot.privacy.attempts import hash_key
from bot.storage.db import get_engine, session_factory
from bot.web.app import create_app
from bot.web.widget import TOKEN_HEADER, TOKEN_SALT
from tests.e2e.conftest import free_port

SECRET = "unit-test-secret-for-the-widget-api-0123456789"


class FakeRasa:
    """Answers like Rasa's REST webhook and remembers every request body."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.received.append({"path": self.path, **body})
                reply = json.dumps([{"recipient_id": body["sender"], "text": f"echo: {body['message']}",
                                     "buttons": [{"title": "Ja", "payload": "/affirm"}]}]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    server = FakeRasa()
    yield server
    server.close()


def make_client(database_url: str, rasa_url: str) -> TestClient:
    settings = Settings(database_url=database_url, rasa_url=rasa_url, action_port=0, rasa_port=0, web_port=0,
                        web_host="127.0.0.1")
    return TestClient(create_app(settings), base_url="http://testserver")


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_SECRET_KEY", SECRET)
    monkeypatch.delenv("WIDGET_ORIGINS", raising=False)
    monkeypatch.delenv("MATCHING_BACKEND_URL", raising=False)


@pytest.fixture
def client(database_url: str, rasa: FakeRasa) -> Iterator[TestClient]:
    with make_client(database_url, rasa.url) as c:
        yield c


def new_token(client: TestClient) -> str:
    r = client.post("/chat/session")
    assert r.status_code == 200, r.text
    return r.json()["token"]


def conversation_of(token: str) -> str:
    return URLSafeTimedSerializer(SECRET, salt=TOKEN_SALT).loads(token)


def test_a_session_is_a_signed_random_conversation_id(client: TestClient) -> None:
    tokens = {new_token(client) for _ in range(5)}
    assert len(tokens) == 5
    ids = {conversation_of(t) for t in tokens}
    assert len(ids) == 5 and all(len(i) == 32 for i in ids)  # secrets.token_urlsafe(24)
    assert "Set-Cookie" not in client.post("/chat/session").headers  # the widget needs no cookie
    assert client.get("/chat/session").status_code == 405


def test_messages_go_to_rasa_under_the_id_inside_the_token_only(client: TestClient, rasa: FakeRasa) -> None:
    token = new_token(client)
    r = client.post("/chat/messages", json={"message": "hallo", "sender": "somebody-else"},
                    headers={TOKEN_HEADER: token})
    assert r.status_code == 200, r.text
    assert r.json()[0]["text"] == "echo: hallo" and r.json()[0]["buttons"] == [{"title": "Ja", "payload": "/affirm"}]
    # the client's address reaches Rasa only as a keyed hash (for the status lookup's limit per address)
    assert rasa.received == [{"path": "/webhooks/rest/webhook", "sender": conversation_of(token), "message": "hallo",
                              "metadata": {"client": hash_key("client", "testclient")}}]
    assert "testclient" not in str(rasa.received)
    too_long = client.post("/chat/messages", json={"message": "x" * 2_001}, headers={TOKEN_HEADER: token})
    assert too_long.status_code == 413 and len(rasa.received) == 1  # never forwarded


@pytest.mark.parametrize("bad", ["missing", "empty", "garbage", "forged", "tampered", "expired", "other-salt"])
def test_invalid_tokens_are_refused(client: TestClient, rasa: FakeRasa, bad: str) -> None:
    good = new_token(client)

    class Past(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 24 * 3600 - 60

    token = {
        "missing": None,
        "empty": "",
        "garbage": "not-a-token",
        "forged": URLSafeTimedSerializer("another key", salt=TOKEN_SALT).dumps("chosen-id"),
        "tampered": URLSafeTimedSerializer("x", salt=TOKEN_SALT).dumps("chosen-id").split(".", 1)[0]
        + "." + good.split(".", 1)[1],
        "expired": URLSafeTimedSerializer(SECRET, salt=TOKEN_SALT, signer=Past).dumps("old-id"),
        "other-salt": URLSafeTimedSerializer(SECRET, salt="something-else").dumps("chosen-id"),
    }[bad]
    headers = {} if token is None else {TOKEN_HEADER: token}
    r = client.get("/chat/history", headers=headers)
    assert r.status_code == 401 and r.json() == {"error": "invalid_token"}
    if token is not None:  # without the header, same-origin requests use the session cookie (the older page)
        r = client.post("/chat/messages", json={"message": "hallo"}, headers=headers)
        assert r.status_code == 401 and r.json() == {"error": "invalid_token"}
    # a cross-origin page without a token is refused as well (no cookie fallback)
    r = client.post("/chat/messages", json={"message": "hallo"}, headers={**headers, "Origin": "https://evil.example"})
    assert r.status_code == 401
    assert rasa.received == []
    assert client.get("/chat/history", headers={TOKEN_HEADER: good}).status_code == 200


def test_bodies_over_16_kib_and_bad_json_are_refused(client: TestClient, rasa: FakeRasa) -> None:
    token = new_token(client)
    headers = {TOKEN_HEADER: token, "Content-Type": "application/json"}
    big = json.dumps({"message": "x" * 17_000})
    assert client.post("/chat/messages", content=big, headers=headers).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: still cut off at 16 KiB
        for _ in range(20):
            yield b"x" * 1024

    assert client.post("/chat/messages", content=chunks(), headers=headers).status_code == 413
    for body in [b"{not json", b"[1, 2]", b'{"message": 5}', b'"hallo"']:
        r = client.post("/chat/messages", content=body, headers=headers)
        assert r.status_code == 400 and r.json() == {"error": "bad_request"}, body
    assert rasa.received == []
    ok = json.dumps({"message": "y" * 2_000, "note": "z" * 14_000})  # just under the body limit
    assert client.post("/chat/messages", content=ok, headers=headers).status_code == 200


def test_rasa_unreachable_gives_503(database_url: str) -> None:
    with make_client(database_url, f"http://127.0.0.1:{free_port()}") as client:
        token = new_token(client)
        r = client.post("/chat/messages", json={"message": "hallo"}, headers={TOKEN_HEADER: token})
        assert r.status_code == 503 and r.json() == {"error": "assistant_unavailable"}
        r = client.post("/chat/messages", json={"message": "hallo"})  # cookie fallback too
        assert r.status_code == 503


def test_cookie_fallback_keeps_one_server_issued_conversation(client: TestClient, rasa: FakeRasa) -> None:
    assert client.post("/chat/messages", json={"message": "een"}).status_code == 200
    assert client.cookies.get("stadsvraag_session")
    assert client.post("/chat/messages", json={"message": "twee"}).status_code == 200
    senders = {m["sender"] for m in rasa.received}
    assert len(senders) == 1 and len(senders.pop()) == 32


EVENTS = MetaData()
Table("events", EVENTS, Column("id", Integer, primary_key=True, autoincrement=True),
      Column("sender_id", String(255), nullable=False), Column("type_name", String(255), nullable=False),
      Column("timestamp", Float), Column("intent_name", String(255)), Column("action_name", String(255)),
      Column("data", Text))


def rasa_events(sender: str, turns: list[tuple[str, str, list[dict] | None]]) -> list[dict]:
    """Rows like Rasa's SQL tracker store writes them (with the action rows between the messages)."""
    rows = [{"sender_id": sender, "type_name": "action", "timestamp": time.time(), "intent_name": None,
             "action_name": "action_session_start", "data": json.dumps({"event": "action"})}]
    for who, said, buttons in turns:
        if who == "user":
            data = {"event": "user", "text": said, "parse_data": {"intent": {"name": "x"}}, "input_channel": "rest"}
        else:
            data = {"event": "bot", "text": said, "data": {"buttons": buttons, "elements": None, "custom": None}}
        rows.append({"sender_id": sender, "type_name": who, "timestamp": time.time(), "intent_name": None,
                     "action_name": None, "data": json.dumps(data)})
    return rows


def test_history_reads_the_tracker_store_of_this_conversation_only(client: TestClient, database_url: str) -> None:
    mine, theirs = new_token(client), new_token(client)
    assert client.get("/chat/history", headers={TOKEN_HEADER: mine}).json() == []  # no events table yet
    EVENTS.create_all(get_engine(database_url))
    roles = [{"title": "Ik ben bewoner", "payload": '/choose{"asker_role":"resident"}'},
             {"title": "Anders", "payload": '/choose{"asker_role":"other"}'}]
    with session_factory(database_url).begin() as s:
        s.execute(insert(EVENTS.tables["events"]), rasa_events(conversation_of(theirs), [
            ("user", "geheim van iemand anders", None), ("bot", "Dat is privé", None)]))
        s.execute(insert(EVENTS.tables["events"]), rasa_events(conversation_of(mine), [
            ("user", "hallo", None),
            ("bot", "Hallo! Ik ben Stadsvraag.", []),
            ("bot", "Wie stelt de vraag?", roles),
            ("user", '/choose{"asker_role":"resident"}', None),
            ("user", "/affirm", None),  # a payload nobody offered: left out
            ("bot", "Klopt <b>dit</b>?", [{"title": "Ja, versturen", "payload": "/affirm"}]),
        ]))
    r = client.get("/chat/history", headers={TOKEN_HEADER: mine})
    assert r.status_code == 200
    assert r.json() == [
        {"who": "user", "text": "hallo", "buttons": []},
        {"who": "bot", "text": "Hallo! Ik ben Stadsvraag.", "buttons": []},
        {"who": "bot", "text": "Wie stelt de vraag?", "buttons": roles},
        {"who": "user", "text": "Ik ben bewoner", "buttons": []},
        {"who": "bot", "text": "Klopt <b>dit</b>?", "buttons": [{"title": "Ja, versturen", "payload": "/affirm"}]},
    ]
    other = client.get("/chat/history", headers={TOKEN_HEADER: theirs}).json()
    assert [t["text"] for t in other] == ["geheim van iemand anders", "Dat is privé"]
    assert "geheim" not in r.text
    assert client.get("/chat/history", headers={TOKEN_HEADER: new_token(client)}).json() == []


def test_cors_only_for_the_listed_origins(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    preflight = {"Origin": "https://www.leiden.nl", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,x-stadsvraag-token"}
    # nothing listed: no CORS headers at all
    r = client.options("/chat/messages", headers=preflight)
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    r = client.post("/chat/session", headers={"Origin": "https://www.leiden.nl"})
    assert "access-control-allow-origin" not in r.headers

    monkeypatch.setenv("WIDGET_ORIGINS", "https://www.leiden.nl, https://example.org/")
    for path in ["/chat/session", "/chat/messages", "/chat/history"]:
        r = client.options(path, headers=preflight)
        assert r.status_code == 204, path
        assert r.headers["access-control-allow-origin"] == "https://www.leiden.nl"
        assert "x-stadsvraag-token" in r.headers["access-control-allow-headers"].lower()
        assert "POST" in r.headers["access-control-allow-methods"]
        assert r.headers["vary"] == "Origin"
    r = client.post("/chat/session", headers={"Origin": "https://example.org"})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://example.org"
    token = r.json()["token"]
    r = client.get("/chat/history", headers={"Origin": "https://www.leiden.nl", TOKEN_HEADER: token})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://www.leiden.nl"
    r = client.post("/chat/messages", json={"message": "hi"}, headers={"Origin": "https://www.leiden.nl"})
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == "https://www.leiden.nl"

    for origin in ["https://evil.example", "https://www.leiden.nl.evil.example", "null", "http://www.leiden.nl"]:
        r = client.options("/chat/messages", headers={**preflight, "Origin": origin})
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers, origin
        r = client.post("/chat/session", headers={"Origin": origin})
        assert "access-control-allow-origin" not in r.headers, origin


def test_the_demo_page_embeds_the_widget_with_one_script_tag(client: TestClient) -> None:
    import re

    for query, words in [("", "Leren met de Stad"), ("?lang=en", "Learning with the City")]:
        r = client.get("/" + query)
        assert r.status_code == 200 and words in r.text
        assert "script-src 'self'" in r.headers["content-security-policy"]
        scripts = re.findall(r"<script\b[^>]*>", r.text)
        assert scripts[-1] == '<script src="http://testserver/static/widget.js" defer>'
        assert all('type="application/json"' in s or "src=" in s for s in scripts)  # nothing inline runs
        assert " style=" not in r.text and "<style" not in r.text
        config = json.loads(re.search(r'id="stadsvraag-config">(.*?)</script>', r.text).group(1))
        assert config["lang"] == ("en" if query else "nl")
    js = client.get("/static/widget.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "innerHTML" not in js.text.replace("no innerHTML", "")
    assert client.get("/static/widget.css").status_code == 200


def test_messages_over_2000_characters_get_a_friendly_413(client: TestClient, rasa: FakeRasa) -> None:
    token = new_token(client)
    r = client.post("/chat/messages", json={"message": "x" * 2001}, headers={"X-Stadsvraag-Token": token})
    assert r.status_code == 413 and r.json()["error"] == "message_too_long"
    ok = client.post("/chat/messages", json={"message": "x" * 2000}, headers={"X-Stadsvraag-Token": token})
    assert ok.status_code == 200


def test_rate_limits_per_conversation_and_per_address(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.web.ratelimit import ChatLimits

    monkeypatch.setenv("CHAT_LIMIT_PER_CONVERSATION", "3")
    monkeypatch.setenv("CHAT_LIMIT_PER_IP", "7")
    client.app.state.chat_limits = ChatLimits()
    first, second = new_token(client), new_token(client)
    codes = [client.post("/chat/messages", json={"message": "hoi"}, headers={"X-Stadsvraag-Token": first}).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.post("/chat/messages", json={"message": "hoi"}, headers={"X-Stadsvraag-Token": first})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    codes = [client.post("/chat/messages", json={"message": "hoi"}, headers={"X-Stadsvraag-Token": second}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]  # the address's limit of 7 (limited requests count too) is reached
