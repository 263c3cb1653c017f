"""`python -m bot.rasa_entry run ...`: Rasa's own command line, without message text in its warnings,
and without re-checking a fixed JSON schema on every action-server response.

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


def main() -> None:
    warnings.showwarning = show_without_text
    validate_action_responses_with_one_validator()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
