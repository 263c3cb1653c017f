"""Rasa's action-response check with one kept validator (bot/rasa_entry.py) still rejects what Rasa rejects."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_entry


@pytest.fixture
def action() -> Iterator[RemoteAction]:
    original = RemoteAction._validate_action_result
    rasa_entry.validate_action_responses_with_one_validator()
    yield RemoteAction("action_ask_description", EndpointConfig("http://127.0.0.1:1/webhook"))
    RemoteAction._validate_action_result = original  # type: ignore[method-assign]


def test_a_valid_response_passes(action: RemoteAction) -> None:
    good = {"events": [{"event": "slot", "name": "description", "value": None}],
            "responses": [{"response": "utter_ask_description", "buttons": []}]}
    assert action._validate_action_result(good) is True
    assert action._validate_action_result({"events": [], "responses": []}) is True


@pytest.mark.parametrize("bad", [
    {"events": "not a list", "responses": []},
    {"events": [{"name": "no event key"}], "responses": []},
    {"events": [], "responses": "not a list"},
])
def test_a_malformed_response_is_still_rejected_with_rasas_message(action: RemoteAction, bad: dict) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(bad)


class Receiver:
    """A real HTTP/1.1 server on a free port that counts the TCP connections it accepts."""

    def __init__(self, close_after_each: bool = False) -> None:
        self.connections = 0
        self.requests = 0
        self.close_after_each = close_after_each

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                self.requests += 1
                body = b'{"events": [], "responses": []}'
                keep = b"close" if self.close_after_each else b"keep-alive"
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: " + keep
                             + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
                if self.close_after_each:
                    break
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass
        writer.close()


async def _post_three(receiver: Receiver) -> list:
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    try:
        return [await endpoint.request(json={"next_action": "x", "n": n}) for n in range(3)]
    finally:
        await rasa_entry.close_kept_sessions()
        server.close()
        await server.wait_closed()


@pytest.fixture
def kept_sessions() -> Iterator[None]:
    original = EndpointConfig.session
    rasa_entry.keep_endpoint_sessions()
    yield
    EndpointConfig.session = original  # type: ignore[method-assign]


def test_stock_rasa_opens_a_connection_per_action_call() -> None:
    receiver = Receiver()
    answers = asyncio.run(_post_three(receiver))
    assert answers == [{"events": [], "responses": []}] * 3
    assert (receiver.requests, receiver.connections) == (3, 3)


def test_kept_sessions_reuse_one_connection(kept_sessions: None) -> None:
    receiver = Receiver()
    answers = asyncio.run(_post_three(receiver))
    assert answers == [{"events": [], "responses": []}] * 3
    assert (receiver.requests, receiver.connections) == (3, 1)
    assert rasa_entry._kept == {}  # closed and forgotten


def test_kept_sessions_survive_a_server_that_closes_connections(kept_sessions: None) -> None:
    receiver = Receiver(close_after_each=True)
    answers = asyncio.run(_post_three(receiver))
    assert answers == [{"events": [], "responses": []}] * 3
    assert (receiver.requests, receiver.connections) == (3, 3)
