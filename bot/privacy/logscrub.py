"""Keep personal data out of the logs: a filter for every handler, and a keyed hash for conversation ids.

`ScrubFilter` masks e-mail addresses, phone numbers and BSNs (bot.privacy.scrub.scrub) in the message, in the
formatted traceback and in the stack of every record it sees. A traceback matters as much as the message:
an exception's text often quotes the value that failed (a database error's DETAIL line, a validation error).
Install it on handlers, not loggers: a logger's filter does not see records that propagate from its
children. `bot/runtime/rasa_logging.yml` does that for the Rasa servers and the action server; `install()` does it
for processes whose logging is set up by code (the web app under uvicorn, the dispatcher).

`sender_ref` replaces a conversation id in a log line. On Twilio (SMS, WhatsApp) the id is the person's
phone number; a keyed hash (LOG_HASH_KEY, else WEB_SECRET_KEY, else a key per process) still lets an
operator follow one conversation through the logs without the logs holding the number.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from bot.config import Keys
from bot.privacy.scrub import scrub

_PROCESS_KEY = secrets.token_bytes(32)
# loggers that do not propagate to the root logger in our servers (uvicorn's, Sanic's) or that libraries
# give handlers of their own
_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "sanic.root", "sanic.error", "sanic.access")


def sender_ref(sender_id: str | None) -> str:
    """A short keyed hash of a conversation id, for log lines ('-' when there is none)."""
    if not sender_id:
        return "-"
    key = Keys.from_env().log_hash or _PROCESS_KEY
    return "c:" + hmac.new(key, str(sender_id).encode(), hashlib.sha256).hexdigest()[:12]


class ScrubFilter(logging.Filter):
    """Masks personal data in a record's message, traceback and stack (see the module text)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler, which reports it
            return True
        cleaned = scrub(message).text
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # formatters use exc_text when it is set, so the traceback is only ever written scrubbed
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text).text
        if record.stack_info:
            record.stack_info = scrub(record.stack_info).text
        return True


def install() -> None:
    """Add ScrubFilter to every handler of the root logger and of the servers' own loggers (idempotent)."""
    handlers = {id(h): h for name in _LOGGERS for h in logging.getLogger(name).handlers}
    if logging.lastResort is not None:  # what logs a record no handler takes
        handlers[id(logging.lastResort)] = logging.lastResort
    for handler in handlers.values():
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
