"""Rasa's channel credentials with only the channels whose settings are all present.

credentials.yml holds every channel with `${VAR}` placeholders. Rasa refuses to start
when a placeholder is unset, so `stadsvraag run` writes a runtime copy that keeps a
channel only when all of its required variables are set (`${VAR:-}` marks an optional
one), substituting nothing itself: Rasa reads the `${VAR}` values from the environment.

A few variables guard a channel rather than configure it (GUARDS): a channel whose other
settings are all present but whose guard is missing or weak stops the start-up with a
message naming the fix, instead of being switched off silently or, worse, running open.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.config import ConfigError

_VAR = re.compile(r"\$\{([A-Z0-9_]+)(:-[^}]*)?\}")

# Telegram's setWebhook allows 1-256 characters of A-Z a-z 0-9 _ -; we ask for 32+ so it cannot be guessed.
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{32,256}")
TELEGRAM_SECRET_HINT = ("Fix: set TELEGRAM_SECRET_TOKEN to 32-256 characters from A-Z a-z 0-9 _ -, e.g. "
                        "python -c \"import secrets;print(secrets.token_urlsafe(32))\" (docs/channels.md).")


def check_telegram_secret_token(value: str | None) -> str:
    """The webhook secret token, or ConfigError: without it anyone who knows the webhook URL can post updates
    as any chat id and file intakes in a neighbourhood worker's name."""
    if not value:
        raise ConfigError("Telegram is configured without TELEGRAM_SECRET_TOKEN, so its webhook would accept "
                          "forged updates. " + TELEGRAM_SECRET_HINT)
    if not _TELEGRAM_SECRET.fullmatch(value):
        raise ConfigError("TELEGRAM_SECRET_TOKEN is too short or has characters Telegram does not allow. "
                          + TELEGRAM_SECRET_HINT)
    return value


GUARDS = {"TELEGRAM_SECRET_TOKEN": check_telegram_secret_token}


def required_variables(section: Any) -> set[str]:
    text = yaml.safe_dump(section) if section is not None else ""
    return {m.group(1) for m in _VAR.finditer(text) if m.group(2) is None}


def _check_guards(section: Any, env: Mapping[str, str]) -> None:
    """ConfigError when a channel is configured (all its other variables set) but a guard is missing or weak."""
    required = required_variables(section)
    guards = required & GUARDS.keys()
    if guards and all(env.get(var) for var in required - guards):
        for var in sorted(guards):
            GUARDS[var](env.get(var))


def active_channels(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        channels = yaml.safe_load(f) or {}
    for section in channels.values():
        _check_guards(section, env)
    return {name: section for name, section in channels.items()
            if all(env.get(var) for var in required_variables(section))}


def _resolve_optional(section: Any, env: Mapping[str, str]) -> Any:
    """Rasa only knows ${VAR}: give optional ${VAR:-default} their value here."""
    if isinstance(section, dict):
        return {k: _resolve_optional(v, env) for k, v in section.items()}
    if isinstance(section, str):
        return _VAR.sub(lambda m: env.get(m.group(1), (m.group(2) or ":-")[2:]) if m.group(2) is not None
                        else m.group(0), section)
    return section


def write_runtime_credentials(source: Path, target: Path, env: Mapping[str, str]) -> list[str]:
    channels = {name: _resolve_optional(section, env) for name, section in active_channels(source, env).items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8") as f:
        f.write("# Written by stadsvraag run from credentials.yml; do not edit.\n")
        yaml.safe_dump(channels, f, sort_keys=False)
    return list(channels)
