"""Personal data stays out of the logs: messages and tracebacks scrubbed, SQL parameters hidden, conversation
ids hashed. The logging config is loaded in a real subprocess the way Rasa and rasa_sdk load it."""

from __future__ import annotations

import ast
import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.config import ROOT
from bot.privacy.logscrub import ScrubFilter, install, sender_ref
from bot.runtime.runner import LOGGING_CONFIG
from bot.storage.db import get_engine

EMAIL, PHONE = "sanne@example.nl", "0612345678"


def test_the_logging_config_scrubs_messages_tracebacks_and_the_servers_own_loggers() -> None:
    program = f"""
import logging
from rasa_sdk.utils import configure_logging_from_input_file, update_sanic_log_level
configure_logging_from_input_file({str(LOGGING_CONFIG)!r})  # as rasa_sdk does: errors ignored
update_sanic_log_level()  # what the action server does next: Sanic's loggers stop propagating
assert any(type(f).__name__ == "ScrubFilter" for h in logging.getLogger().handlers for f in h.filters), "not loaded"
try:
    raise ValueError("no contact {EMAIL} / {PHONE}")
except ValueError:
    logging.getLogger("actions.actions").exception("storing failed for %s", "{EMAIL}")
    logging.getLogger("sanic.error").exception("Exception occurred while handling uri")
    logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
print("done", flush=True)
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    log = done.stderr
    assert log.count("Traceback") == 3 and "storing failed for [e-mail]" in log
    assert "Exception occurred while handling uri" in log and "Exception in ASGI application" in log
    assert "ValueError: no contact [e-mail] / [telefoon]" in log
    assert EMAIL not in log and PHONE not in log


def test_sql_errors_do_not_quote_their_parameters(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE people (email TEXT UNIQUE)"))
        conn.execute(text("INSERT INTO people VALUES (:e)"), {"e": EMAIL})
    with pytest.raises(IntegrityError) as failed, engine.begin() as conn:
        conn.execute(text("INSERT INTO people VALUES (:e)"), {"e": EMAIL})
    assert EMAIL not in str(failed.value) and "parameters hidden" in str(failed.value)


def test_the_web_app_scrubs_what_uvicorn_logs(tmp_path: Path) -> None:
    from bot.config import Settings
    from bot.storage.db import upgrade
    from bot.web.app import create_app

    out = io.StringIO()
    handler = logging.StreamHandler(out)  # as uvicorn's own config puts one on its logger before the app exists
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.addHandler(handler)
    try:
        url = f"sqlite:///{tmp_path / 'w.db'}"
        upgrade(url)
        create_app(Settings(database_url=url, rasa_url="http://127.0.0.1:9", action_port=0, rasa_port=0,
                            web_port=0, web_host="127.0.0.1"))
        try:
            raise RuntimeError(f"bad value {EMAIL}")
        except RuntimeError:
            uvicorn_error.error("Exception in ASGI application", exc_info=True)
        install()  # idempotent: one filter per handler
        assert sum(isinstance(f, ScrubFilter) for f in handler.filters) == 1
    finally:
        uvicorn_error.removeHandler(handler)
    assert "RuntimeError: bad value [e-mail]" in out.getvalue() and EMAIL not in out.getvalue()


def test_sender_ref_is_a_short_keyed_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_HASH_KEY", "one key")
    first = sender_ref("whatsapp:+31612345678")
    assert first == sender_ref("whatsapp:+31612345678") and first.startswith("c:") and len(first) == 14
    assert "612345678" not in first and sender_ref("whatsapp:+31612345679") != first
    monkeypatch.setenv("LOG_HASH_KEY", "another key")
    assert sender_ref("whatsapp:+31612345678") != first  # keyed: no lookup table of phone numbers helps
    assert sender_ref(None) == "-"


def test_no_log_line_prints_a_conversation_id_in_clear() -> None:
    """Every logger call in actions/ and bot/ that mentions a sender id passes it through sender_ref."""
    offenders = []
    for path in sorted([*ROOT.joinpath("actions").glob("*.py"), *ROOT.joinpath("bot").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in ("logger", "logging", "log")):
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                wrapped = {id(n) for call in ast.walk(arg) if isinstance(call, ast.Call)
                           and getattr(call.func, "id", None) == "sender_ref" for n in ast.walk(call)}
                for n in ast.walk(arg):
                    name = n.attr if isinstance(n, ast.Attribute) else n.id if isinstance(n, ast.Name) else ""
                    if name in ("sender_id", "sender") and id(n) not in wrapped:
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
