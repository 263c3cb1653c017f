"""`python -m bot.rasa_entry run ...`: Rasa's own command line, without message text in its warnings.

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


def main() -> None:
    warnings.showwarning = show_without_text
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
