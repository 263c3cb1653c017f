"""`python -m bot.runtime.rasa_entry run ...`: Rasa's own command line, without message text in its warnings,
checking action-server responses without re-checking Rasa's fixed JSON schema each time, resolving event
classes from a table, and with one kept HTTP connection pool per outside endpoint instead of a new session
(and TCP connection) per action call.

Rasa warns with the user's whole message when a message starting with "/" is not a valid command
("Failed to parse arguments in line '...'"). Python warnings bypass the logging filters that mask
personal data (bot/privacy/scrub.py), and Rasa resets warning filters at start-up, so the text is removed
where warnings are shown.
"""

from __future__ import annotations

import warnings
from typing import Any

PARSE_FAILURE = "Failed to parse arguments in line"
_show = warnings.showwarning


def show_without_text(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None,
                      line: str | None = None) -> None:
    if str(message).startswith(PARSE_FAILURE):
        message = f"{PARSE_FAILURE} a message starting with '/' (text not logged); it is handled as text"
    _show(message, category, filename, lineno, file, line)


def validate_action_responses_by_event_type() -> None:
    """Rasa checks each action-server response with `jsonschema.validate(result, spec)`. With jsonschema 4.17
    that call first validates the fixed spec against its metaschema (about 30 ms per action here), and then
    tries every event against all 23 branches of the spec's `oneOf` (one per event type), the largest cost of
    the Rasa process under load (issue 13's profiles). The branches differ by the constant of their `event`
    field, so an event matches the `oneOf` exactly when it matches the branch its own `event` names: each
    event is checked against that branch only, with validators compiled once. A response that fails goes
    through Rasa's own check, which rejects it with Rasa's message and exception, as before. Should a later
    spec not have this shape, every response is checked against the whole spec with one kept validator.
    """
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(spec)
    cls.check_schema(spec)
    original = RemoteAction._validate_action_result
    is_valid = by_event_type(spec, cls) or cls(spec).is_valid

    def validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        if is_valid(result):
            return True
        return original(self, result)  # Rasa's own path: its message and the same exception

    RemoteAction._validate_action_result = validate


def by_event_type(spec: dict[str, Any], cls: Any) -> Any:
    """A check equal to `cls(spec).is_valid` for Rasa's response spec, or None when the spec has another shape."""
    try:
        events = spec["properties"]["events"]
        item = events["items"]
        branches = item["oneOf"]
        names = [branch["properties"]["event"]["const"] for branch in branches]
    except (KeyError, TypeError):
        return None
    if len(set(names)) != len(names) or not all(isinstance(name, str) for name in names) \
            or set(events) != {"type", "items"}:
        return None
    common = {key: value for key, value in item.items() if key != "oneOf"}
    per_type = {name: cls({"allOf": [common, branch]}) for name, branch in zip(names, branches, strict=True)}
    outer = cls({**spec, "properties": {**spec["properties"], "events": {"type": events["type"]}}})

    def is_valid(result: Any) -> bool:
        if not outer.is_valid(result):
            return False
        for event in result.get("events") or []:
            name = event.get("event") if isinstance(event, dict) else None
            checker = per_type.get(name) if isinstance(name, str) else None
            if checker is None or not checker.is_valid(event):
                return False
        return True

    return is_valid


def resolve_events_from_a_table() -> None:
    """Rasa turns every event it reads (from the action server, the tracker store, the lock store) into its class
    with `Event.resolve_by_type`, which walks all subclasses of `Event` each time: 7 % of the Rasa process under
    load. The classes found are kept by type name; a name not seen yet (or unknown) goes to Rasa's own search,
    with its default and its error, as before."""
    from rasa.shared.core.events import Event

    search = Event.resolve_by_type
    found: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is None:
            cls = search(type_name, default)
            if cls is not None and getattr(cls, "type_name", None) == type_name:
                found[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)


# Below the action server's keep-alive (rasa_sdk runs Sanic: 5 s), so the pool never reuses a connection
# the server is about to close.
KEEP_ALIVE_SECONDS = 3.0
_kept: dict[tuple[Any, ...], Any] = {}


def json_dumps(value: Any) -> str:
    """JSON for request bodies: ujson (a Rasa dependency, several times faster than `json` on the tracker Rasa
    sends with every action call), and the standard library for anything ujson refuses (NaN, odd types)."""
    import json

    import ujson

    try:
        return str(ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False))
    except (OverflowError, TypeError, ValueError):
        return json.dumps(value)


class _KeptSession:
    """`async with` over a shared aiohttp session that leaves it open for the next request."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        return None


def keep_endpoint_sessions() -> None:
    """Rasa's `EndpointConfig.request` opens a new aiohttp session for every call: a new TCP connection to
    the action server for each action of each message. Sessions are kept per event loop and endpoint
    (URL, headers, credentials), with the same headers, auth and timeout Rasa gives them, a faster JSON encoder
    for the bodies, and closed when the server stops.
    """
    import asyncio

    import aiohttp
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
    from rasa.utils.endpoints import EndpointConfig

    def session(self: EndpointConfig) -> _KeptSession:
        loop = asyncio.get_running_loop()
        key = (id(loop), self.url, tuple(sorted((self.headers or {}).items())),
               tuple(sorted((self.basic_auth or {}).items())))
        kept_loop, kept = _kept.get(key, (None, None))
        if kept is None or kept.closed or kept_loop is not loop:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            kept = aiohttp.ClientSession(connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_SECONDS),
                                         headers=self.headers, auth=auth, json_serialize=json_dumps,
                                         timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT))
            _kept[key] = (loop, kept)
        return _KeptSession(kept)

    EndpointConfig.session = session


async def close_kept_sessions(*_: object) -> None:
    """Close the kept sessions of this event loop (Sanic `after_server_stop` listener; also for tests)."""
    import asyncio

    loop = asyncio.get_running_loop()
    for key, (kept_loop, kept) in list(_kept.items()):
        if kept_loop is loop:
            del _kept[key]
            await kept.close()


def close_sessions_when_the_server_stops() -> None:
    import rasa.core.run as rasa_run

    configure = rasa_run.configure_app

    def configure_app(*args: Any, **kwargs: Any) -> Any:
        app = configure(*args, **kwargs)
        app.register_listener(close_kept_sessions, "after_server_stop")
        return app

    rasa_run.configure_app = configure_app


def municipality_in_responses() -> None:
    """Responses name the city through variables ({city}, {programme}, {partners}, {city_phone} ...) filled from
    the municipality this deployment serves (MUNICIPALITY, bot/structuring/municipality.py), in the language of
    the conversation. They fill every response Rasa sends, also those a rule sends without the action server;
    a slot or an argument of the same name wins."""
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

    from bot.structuring.municipality import current

    original = TemplatedNaturalLanguageGenerator._response_variables

    def response_variables(filled_slots: dict[str, Any] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        values = original(filled_slots, kwargs)
        language = (filled_slots or {}).get("language") or "nl"
        return {**current().variables(language), **values}

    TemplatedNaturalLanguageGenerator._response_variables = staticmethod(response_variables)


def main() -> None:
    warnings.showwarning = show_without_text
    municipality_in_responses()
    validate_action_responses_by_event_type()
    resolve_events_from_a_table()
    keep_endpoint_sessions()
    close_sessions_when_the_server_stops()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
