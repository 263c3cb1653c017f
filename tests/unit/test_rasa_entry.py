"""bot/runtime/rasa_entry.py: Rasa's action-response check, made cheap, accepts and rejects exactly what Rasa's does; kept
HTTP sessions to the action server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.runtime import rasa_entry


@pytest.fixture
def action() -> Iterator[RemoteAction]:
    original = RemoteAction._validate_action_result
    rasa_entry.validate_action_responses_by_event_type()
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



def _events() -> list[dict]:
    """One event of every type Rasa knows, as the action server sends them."""
    from rasa.shared.core import events as ev

    made = [ev.UserUttered("hallo", {"name": "greet", "confidence": 0.9}, [{"entity": "wijk", "value": "Noord"}]),
            ev.ActionExecuted("utter_greet"), ev.SlotSet("description", "te warm"), ev.EntitiesAdded([]),
            ev.DefinePrevUserUtteredFeaturization(False), ev.ReminderCancelled("r"), ev.ActionExecutionRejected("a"),
            ev.LoopInterrupted(True), ev.ActiveLoop("intake_form"), ev.AllSlotsReset(), ev.ConversationResumed(),
            ev.ConversationPaused(), ev.FollowupAction("action_listen"), ev.StoryExported(), ev.Restarted(),
            ev.UserUtteranceReverted(), ev.ActionReverted(), ev.BotUttered("dag", {"buttons": []}),
            ev.SessionStarted(), ev.AgentUttered("x")]
    return [event.as_dict() for event in made]


def _mutations(event: dict) -> list[dict]:
    out = []
    for key, value in event.items():
        for bad in (None, 3, "tekst", [], {}, True, 1.5):
            if bad != value:
                out.append({**event, key: bad})
        out.append({k: v for k, v in event.items() if k != key})
    return out


def test_the_cheap_check_agrees_with_jsonschema_on_every_event_type_and_its_mutations() -> None:
    from jsonschema import validators

    spec = RemoteAction.action_response_format_spec()
    full = validators.validator_for(spec)(spec)
    cheap = rasa_entry.by_event_type(spec, validators.validator_for(spec))
    assert cheap is not None
    cases = [{"events": [event], "responses": []} for event in _events()]
    cases += [{"events": [bad], "responses": []} for event in _events() for bad in _mutations(event)]
    cases += [{"events": _events(), "responses": [{"text": "x"}]}, {}, {"events": None}, {"responses": [1]},
              {"events": [1]}, {"events": [{"event": ["user"]}]}, {"events": [{"event": "unknown"}]}, []]
    accepted = [case for case in cases if full.is_valid(case)]
    assert len(accepted) > 20 and len(cases) - len(accepted) > 100  # both kinds are there
    assert [cheap(case) for case in cases] == [full.is_valid(case) for case in cases]


def test_a_spec_of_another_shape_falls_back_to_the_whole_spec() -> None:
    from jsonschema import validators

    spec = {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object"}}}}
    assert rasa_entry.by_event_type(spec, validators.validator_for(spec)) is None

class Receiver:
    """A real HTTP/1.1 server on a free port that counts the TCP connections it accepts."""

    def __init__(self, close_after_each: bool = False) -> None:
        self.connections = 0
        self.requests = 0
        self.bodies: list[bytes] = []
        self.close_after_each = close_after_each

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                self.bodies.append(await reader.readexactly(length))
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


def test_bodies_sent_through_kept_sessions_decode_to_what_rasa_sent(kept_sessions: None) -> None:
    payload = {"next_action": "action_submit_intake", "sender_id": "a/b",
               "tracker": {"slots": {"description": "Hittestress in de Kooi — 40°C, ‘stenen’ straat 🌡️",
                                     "confidence": 0.1 + 0.2, "big": 2**53 + 1, "none": None, "yes": True},
                           "events": [{"event": "user", "text": "\u00e9\n\"quoted\" </script>", "timestamp": 1.7e9}]},
               "odd": float("nan")}

    async def post() -> Receiver:
        receiver = Receiver()
        server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
        endpoint = EndpointConfig(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/webhook")
        try:
            await endpoint.request(json={k: v for k, v in payload.items() if k != "odd"})
            await endpoint.request(json=payload)  # NaN: ujson refuses it, the standard encoder takes over
        finally:
            await rasa_entry.close_kept_sessions()
            server.close()
            await server.wait_closed()
        return receiver

    receiver = asyncio.run(post())
    first, second = (json.loads(body) for body in receiver.bodies)
    assert first == {k: v for k, v in payload.items() if k != "odd"}
    assert second["tracker"] == payload["tracker"] and second["odd"] != second["odd"]  # NaN came through


def test_event_classes_from_the_table_are_rasas_own() -> None:
    from rasa.shared.core.events import Event, SlotSet, UserUttered
    from rasa.shared.utils.common import all_subclasses

    names = sorted({cls.type_name for cls in all_subclasses(Event) if isinstance(cls.type_name, str)})
    search = Event.resolve_by_type
    expected = {name: search(name) for name in names}
    try:
        rasa_entry.resolve_events_from_a_table()
        for _ in range(2):  # the second round comes from the table
            assert {name: Event.resolve_by_type(name) for name in names} == expected
        assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet  # Rasa's default, not kept
        assert Event.resolve_by_type("no_such_event", UserUttered) is UserUttered
        assert Event.resolve_by_type("topic") is None
        with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
            Event.resolve_by_type("no_such_event")
        assert Event.from_parameters({"event": "slot", "name": "wijk", "value": "Noord"}) == SlotSet("wijk", "Noord")
    finally:
        Event.resolve_by_type = staticmethod(search)  # type: ignore[method-assign,assignment]
