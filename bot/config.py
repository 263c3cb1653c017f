"""Configuration from the environment, validated once and failing fast.

Every setting has a safe embedded default so `make run` needs nothing; a wrong
value stops the program with a message that names the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
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


def municipality_id() -> str:
    """MUNICIPALITY: the data folder under data/reference/municipalities/ this deployment serves."""
    return (os.environ.get("MUNICIPALITY") or "leiden").strip().lower()


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

    # The sections below read the same environment when asked for, so a test or a command that changes one
    # variable sees it; `check` reads them all at start-up, so a wrong value stops the program there.
    @property
    def handoff(self) -> HandoffSettings:
        return HandoffSettings.from_env()

    @property
    def retention(self) -> RetentionSettings:
        return RetentionSettings.from_env()

    @property
    def web(self) -> WebSettings:
        return WebSettings.from_env()

    @property
    def keys(self) -> Keys:
        return Keys.from_env()

    @property
    def notify(self) -> NotifySettings:
        return NotifySettings.from_env()

    @property
    def matching(self) -> MatchingSettings:
        return MatchingSettings.from_env()

    def check(self) -> Settings:
        """Every section read once, so a malformed value stops start-up with a message naming the fix."""
        for section in (HandoffSettings, RetentionSettings, WebSettings, Keys, NotifySettings, MatchingSettings):
            section.from_env()
        from bot.structuring.municipality import current

        current()  # a wrong MUNICIPALITY stops start-up listing the ids that exist
        return self

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


def _int(name: str, default: int, what: str = "a port number") -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number. Fix: set {name} to {what}, "
                          "or leave it unset for the default.") from None


# ---------------------------------------------------------------- handoff to the matching backend

AFTER_APPROVAL, AFTER_CONFIRMATION = "approval", "confirmation"
SECRET_HINT = ("Fix: set MATCHING_BACKEND_SECRET to 'whsec_' followed by base64 of at least 24 random bytes, e.g. "
               "python -c \"import base64,secrets;print('whsec_'+base64.b64encode(secrets.token_bytes(32)).decode())\"")
CALLBACK_SECRET_HINT = SECRET_HINT.replace("MATCHING_BACKEND_SECRET", "MATCHING_CALLBACK_SECRET")


@dataclass(frozen=True)
class HandoffSettings:
    url: str | None
    secret: str | None = field(repr=False)  # signs our deliveries to the matching backend; never in a repr
    after: str
    dashboard_url: str
    # Verifies the backend's callbacks. A key of its own, so a leak on either side (our outbox, their callback
    # sender) cannot be used to forge the other direction; no fallback to `secret`: callbacks answer 503 without it.
    callback_secret: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    backoff_base: float = 2.0
    backoff_cap: float = 3600.0
    retry_window: float = 48 * 3600.0  # keep retrying for at least 24 hours
    lease: float = 60.0
    poll: float = 1.0
    batch: int = 20

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HandoffSettings:
        env = os.environ if env is None else env
        url = env.get("MATCHING_BACKEND_URL") or None
        secret = env.get("MATCHING_BACKEND_SECRET") or None
        if url and not url.startswith(("https://", "http://")):
            raise ConfigError(f"MATCHING_BACKEND_URL {url!r} is not an http(s) URL. Fix: use https://host/path")
        if url and url.startswith("http://") and not _is_local(url) and env.get("MATCHING_ALLOW_HTTP") != "1":
            raise ConfigError("MATCHING_BACKEND_URL must use https outside localhost. Fix: use https://")
        if url and not secret:
            raise ConfigError("MATCHING_BACKEND_URL is set but MATCHING_BACKEND_SECRET is not. " + SECRET_HINT)
        if secret:
            webhook_key(secret)  # fails fast on a malformed secret
        callback_secret = env.get("MATCHING_CALLBACK_SECRET") or None
        if callback_secret:
            webhook_key(callback_secret, "MATCHING_CALLBACK_SECRET")
            if callback_secret == secret:
                raise ConfigError("MATCHING_CALLBACK_SECRET equals MATCHING_BACKEND_SECRET: use a separate key for "
                                  "callbacks. " + CALLBACK_SECRET_HINT)
        after = env.get("HANDOFF_AFTER", AFTER_APPROVAL)
        if after not in (AFTER_APPROVAL, AFTER_CONFIRMATION):
            raise ConfigError(f"HANDOFF_AFTER={after!r}. Fix: use 'approval' (default) or 'confirmation'.")

        def num(name: str, default: float) -> float:
            try:
                return float(env.get(name, default))
            except ValueError:
                raise ConfigError(f"{name}={env.get(name)!r} is not a number. Fix: set {name} to a number of "
                                  "seconds, or leave it unset for the default.") from None

        return cls(url=url, secret=secret, after=after, callback_secret=callback_secret,
                   dashboard_url=env.get("DASHBOARD_URL", "http://localhost:8000/broker").rstrip("/"),
                   timeout=num("HANDOFF_TIMEOUT", 10.0), backoff_base=num("HANDOFF_BACKOFF_BASE", 2.0),
                   backoff_cap=num("HANDOFF_BACKOFF_CAP", 3600.0),
                   retry_window=num("HANDOFF_RETRY_WINDOW", 48 * 3600.0), lease=num("HANDOFF_LEASE", 60.0),
                   poll=num("HANDOFF_POLL", 1.0), batch=int(num("HANDOFF_BATCH", 20)))


def _is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "")
    return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")



def webhook_key(secret: str, name: str = "MATCHING_BACKEND_SECRET") -> Any:
    """The signing key of a Standard Webhooks secret; a malformed secret stops the program naming the fix."""
    from standardwebhooks import Webhook

    hint = SECRET_HINT.replace("MATCHING_BACKEND_SECRET", name)
    if not secret.startswith("whsec_"):
        raise ConfigError(f"{name} does not start with 'whsec_'. " + hint)
    try:
        wh = Webhook(secret)
    except Exception:
        raise ConfigError(f"{name} is not valid base64 after 'whsec_'. " + hint) from None
    if len(wh._whsecret) < 24:
        raise ConfigError(f"{name} is too short. " + hint)
    return wh



# ---------------------------------------------------------------- retention (bot/privacy/retention.py)

@dataclass(frozen=True)
class RetentionSettings:
    transcript_days: int = 28
    contact_days: int = 365
    unfinished_hours: int = 48
    open_days: int = 730

    @classmethod
    def from_env(cls) -> RetentionSettings:
        hint = "a whole number of {}"
        return cls(transcript_days=_int("RETENTION_TRANSCRIPT_DAYS", 28, hint.format("days")),
                   contact_days=_int("RETENTION_CONTACT_DAYS", 365, hint.format("days")),
                   unfinished_hours=_int("RETENTION_UNFINISHED_HOURS", 48, hint.format("hours")),
                   open_days=_int("RETENTION_OPEN_DAYS", 730, hint.format("days")))


# ---------------------------------------------------------------- web app, widget and keys

@dataclass(frozen=True)
class WebSettings:
    secret_key: str | None = field(default=None, repr=False)  # signs the dashboard's cookies and chat tokens
    widget_origins: frozenset[str] = frozenset()  # sites that may embed the chat widget (CORS)
    trusted_proxies: str = ""  # parsed by bot/web/ratelimit.trusted_proxies
    chat_sessions_per_ip: int = 20
    chat_messages_per_ip: int = 120
    chat_messages_per_conversation: int = 20
    chat_memory_keys: int = 50_000

    @classmethod
    def from_env(cls) -> WebSettings:
        per = "a whole number of requests per minute"
        return cls(secret_key=os.environ.get("WEB_SECRET_KEY") or None,
                   widget_origins=frozenset(o.strip().rstrip("/") for o in os.environ.get("WIDGET_ORIGINS", "").split(",")
                                            if o.strip()),
                   trusted_proxies=os.environ.get("WEB_TRUSTED_PROXIES", ""),
                   chat_sessions_per_ip=_int("CHAT_LIMIT_SESSIONS_PER_IP", 20, per),
                   chat_messages_per_ip=_int("CHAT_LIMIT_PER_IP", 120, per),
                   chat_messages_per_conversation=_int("CHAT_LIMIT_PER_CONVERSATION", 20, per),
                   chat_memory_keys=_int("CHAT_LIMIT_MEMORY_KEYS", 50_000, "a whole number of keys"))


@dataclass(frozen=True)
class Keys:
    """Keys for hashing personal data in tables and logs; unset, a built-in or per-process key is used."""
    attempts: bytes = field(default=b"", repr=False)  # failed sign-in and erasure attempts (bot/privacy/attempts.py)
    log_hash: bytes = field(default=b"", repr=False)  # conversation ids in log lines (bot/privacy/logscrub.py)

    @classmethod
    def from_env(cls) -> Keys:
        return cls(attempts=os.environ.get("ATTEMPTS_KEY", "").encode(),
                   log_hash=(os.environ.get("LOG_HASH_KEY") or os.environ.get("WEB_SECRET_KEY") or "").encode())


# ---------------------------------------------------------------- the loop back to the resident (bot/notify/)

@dataclass(frozen=True)
class NotifySettings:
    """Where status updates for residents go: e-mail over SMTP (or files under var/mail/ without SMTP_URL) and
    the messaging channels' APIs (the same variables as credentials.yml)."""

    smtp_url: str | None = field(default=None, repr=False)  # smtp://user:password@host:587 (may hold a password)
    mail_from: str = "Stadsvraag <noreply@localhost>"
    public_url: str = "http://localhost:8000"  # the web app as residents reach it: links in mails
    mail_dir: Path = VAR_DIR / "mail"
    telegram_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_number: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    timeout: float = 10.0

    @classmethod
    def from_env(cls) -> NotifySettings:
        smtp_url = os.environ.get("SMTP_URL") or None
        if smtp_url and urlsplit(smtp_url).scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise ConfigError("SMTP_URL must start with smtp:// (plain or STARTTLS when offered), smtp+starttls:// "
                              "(STARTTLS required) or smtps:// (TLS). Fix: e.g. SMTP_URL=smtp+starttls://user:password"
                              "@mail.example.nl:587")
        mail_from = os.environ.get("MAIL_FROM") or cls.mail_from
        if "@" not in mail_from:
            raise ConfigError(f"MAIL_FROM={mail_from!r} has no e-mail address. Fix: e.g. "
                              "MAIL_FROM='Leren met de Stad <stadsvraag@leiden.nl>'")
        port = _int("WEB_PORT", 8000)
        public_url = (os.environ.get("PUBLIC_URL") or f"http://localhost:{port}").rstrip("/")
        if not public_url.startswith(("https://", "http://")):
            raise ConfigError(f"PUBLIC_URL {public_url!r} is not an http(s) URL. Fix: e.g. PUBLIC_URL=https://stadsvraag.leiden.nl")
        return cls(smtp_url=smtp_url, mail_from=mail_from, public_url=public_url,
                   mail_dir=Path(os.environ.get("MAIL_DIR") or VAR_DIR / "mail"),
                   telegram_token=os.environ.get("TELEGRAM_TOKEN") or None,
                   telegram_api_url=(os.environ.get("TELEGRAM_API_URL") or cls.telegram_api_url).rstrip("/"),
                   twilio_account_sid=os.environ.get("TWILIO_ACCOUNT_SID") or None,
                   twilio_auth_token=os.environ.get("TWILIO_AUTH_TOKEN") or None,
                   twilio_number=os.environ.get("TWILIO_NUMBER") or None,
                   twilio_api_url=(os.environ.get("TWILIO_API_URL") or cls.twilio_api_url).rstrip("/"))


# ---------------------------------------------------------------- the embedded matching service (bot/matching/)

@dataclass(frozen=True)
class MatchingSettings:
    """The matching service of this repository: `make run` starts it and points the handoff at it unless
    MATCHING_BACKEND_URL names another platform. It keeps its own database."""

    port: int = 8010
    database_url: str = f"sqlite:///{VAR_DIR / 'matching.db'}"
    secret: str | None = field(default=None, repr=False)  # verifies our deliveries (= MATCHING_BACKEND_SECRET)
    callback_secret: str | None = field(default=None, repr=False)  # signs its callbacks (= MATCHING_CALLBACK_SECRET)
    callback_url: str = "http://127.0.0.1:8000/api/intakes"  # + /{id}/status
    poll: float = 1.0

    @classmethod
    def from_env(cls) -> MatchingSettings:
        url = os.environ.get("MATCHING_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'matching.db'}"
        if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg2:")):
            raise ConfigError(f"MATCHING_DATABASE_URL {url.split(':')[0]!r} is not supported. "
                              "Fix: use sqlite:///path/to/matching.db or postgresql://user@host:5432/matching")
        web_port = _int("WEB_PORT", 8000)
        return cls(port=_int("MATCHING_PORT", 8010), database_url=url,
                   secret=os.environ.get("MATCHING_BACKEND_SECRET") or None,
                   callback_secret=os.environ.get("MATCHING_CALLBACK_SECRET") or None,
                   callback_url=(os.environ.get("MATCHING_CALLBACK_URL")
                                 or f"http://127.0.0.1:{web_port}/api/intakes").rstrip("/"))
