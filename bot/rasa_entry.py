"""`python -m bot.rasa_entry run ...`: Rasa's own command line, without message text in its warnings,
without re-checking a fixed JSON schema on every action-server response, and with one kept HTTP
connection pool per outside endpoint instead of a new session (and TCP connection) per action call.

Rasa warns with the user's whole message when a message starting with "/" is not a valid command
("Failed to parse arguments in line '...'"). Python warnings bypass the logging filters that mask
personal data (bot/privacy.py), and Rasa resets warning filters at start-up, so the text is removed
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


def validate_action_responses_with_one_validator() -> None:
    """Rasa checks each action-server response with `jsonschema.validate(result, spec)`. With jsonschema 4.17
    that call first validates the fixed spec against its metaschema: about 30 ms per action here, the largest
    cost of the Rasa process under load (issue 13's profile). The spec is checked once, its validator is kept,
    and every response is still validated (best-matching error, same message) exactly as before.
    """
    from jsonschema import ValidationError, exceptions, validators
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(spec)
    cls.check_schema(spec)
    validator = cls(spec)
    original = RemoteAction._validate_action_result

    def validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = exceptions.best_match(validator.iter_errors(result))
        if error is None:
            return True
        try:
            raise error
        except ValidationError:
            return original(self, result)  # Rasa's own path: its message and the same exception

    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]


# Below the action server's keep-alive (rasa_sdk runs Sanic: 5 s), so the pool never reuses a connection
# the server is about to close.
KEEP_ALIVE_SECONDS = 3.0
_kept: dict[tuple[Any, ...], Any] = {}


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
    (URL, headers, credentials), with the same headers, auth and timeout Rasa gives them, and closed when
    the server stops.
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
                                         headers=self.headers, auth=auth,
                                         timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT))
            _kept[key] = (loop, kept)
        return _KeptSession(kept)

    EndpointConfig.session = session  # type: ignore[assignment]


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


def main() -> None:
    warnings.showwarning = show_without_text
    validate_action_responses_with_one_validator()
    keep_endpoint_sessions()
    close_sessions_when_the_server_stops()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
