"""Configuration from the environment, validated once and failing fast.

Every setting has a safe embedded default so `make run` needs nothing; a wrong
value stops the program with a message that names the fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
VAR_DIR = Path(os.environ.get("STADSVRAAG_VAR_DIR", ROOT / "var"))


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says how to fix it."""


def parse_bool(name: str, raw: str) -> bool:
    """A yes/no setting, strictly: a typo such as "ture" stops the program instead of silently meaning off."""
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a yes/no value. Fix: set {name} to true or false "
                      "(also accepted: 1/0, yes/no), or leave it unset for the default.")


def env_bool(name: str, default: bool | None = None) -> bool | None:
    """`parse_bool` of the environment variable `name`; `default` when it is unset or empty."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return parse_bool(name, raw)


def hide_password(value: object) -> object:
    """A URL with its password replaced by *** (anything else unchanged)."""
    if not isinstance(value, str) or "://" not in value:
        return value
    parts = urlsplit(value)
    if not parts.password:
        return value
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def default_database_url() -> str:
    return f"sqlite:///{VAR_DIR / 'stadsvraag.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    rasa_url: str
    action_port: int
    rasa_port: int
    web_port: int
    web_host: str
    redis_url: str | None = None
    rasa_urls: tuple[str, ...] = ()
    web_https_only: bool | None = None  # None: decided by web_host (see `https_only`)

    def __repr__(self) -> str:
        """Like the dataclass's, with the passwords in the database and Redis URLs replaced by ***."""
        shown = ", ".join(f"{f.name}={hide_password(getattr(self, f.name))!r}" for f in fields(self))
        return f"Settings({shown})"

    @property
    def https_only(self) -> bool:
        """Whether the dashboard cookie is `Secure` and HSTS is sent: WEB_HTTPS_ONLY when set, else on unless
        the web app binds to this machine only (local development over plain http://localhost)."""
        if self.web_https_only is not None:
            return self.web_https_only
        return self.web_host.strip().strip("[]").lower() not in LOOPBACK_HOSTS

    @property
    def rasa_replicas(self) -> list[str]:
        """Every Rasa server the web app may talk to (production mode runs two)."""
        return list(self.rasa_urls) or [self.rasa_url]

    @classmethod
    def from_env(cls) -> Settings:
        url = os.environ.get("DATABASE_URL") or default_database_url()
        if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg2:", "postgres:")):
            raise ConfigError(
                f"DATABASE_URL {url.split(':')[0]!r} is not supported. "
                "Fix: use sqlite:///path/to.db or postgresql://user@host:5432/db"
            )
        if url.startswith("postgres:"):
            url = "postgresql:" + url[len("postgres:"):]
        return cls(
            database_url=url,
            rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            action_port=_int("ACTION_PORT", 5055),
            rasa_port=_int("RASA_PORT", 5005),
            web_port=_int("WEB_PORT", 8000),
            web_host=os.environ.get("WEB_HOST", "127.0.0.1"),
            redis_url=os.environ.get("REDIS_URL") or None,
            rasa_urls=tuple(u.strip().rstrip("/") for u in os.environ.get("RASA_URLS", "").split(",") if u.strip()),
            web_https_only=env_bool("WEB_HTTPS_ONLY"),
        )


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number. Fix: set {name} to a port number.") from None
