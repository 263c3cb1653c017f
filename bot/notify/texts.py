"""The words of a status update: the status sentence from domain.yml (the same the chat says) inside a
translated template (bot/notify/templates/*.{nl,en}.txt) that greets, says why the resident gets it and
how to stop it. B1 Dutch; plain text, so every mail program and screen reader shows it as written."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.conversation.responses import render
from bot.structuring.municipality import current

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class Update:
    subject: str
    body: str


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False, undefined=StrictUndefined,
                       keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def status_sentence(status: str, reference: str, language: str) -> str:
    return render(f"utter_status_{status}", language, reference=reference)


def compose(kind: str, status: str, reference: str, language: str | None, note: str | None, stop_url: str) -> Update:
    """The update for one resident: `kind` is "mail" or "chat" (Telegram, WhatsApp: short, no greeting line)."""
    language = language if language in LANGUAGES else "nl"
    values = {**current().variables(language), "reference": reference, "note": (note or "").strip(),
              "status_text": status_sentence(status, reference, language), "stop_url": stop_url}
    text = _env().get_template(f"{kind}.{language}.txt").render(**values)
    subject, _, body = text.partition("\n")
    return Update(subject.removeprefix("Subject:").strip(), body.strip() + "\n")
