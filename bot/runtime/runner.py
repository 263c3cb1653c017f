"""Start the whole product: Rasa server, action server and web app, and stop them cleanly.

Used by `stadsvraag run` (and `make run`) and by the end-to-end tests, so the
tests start the product exactly the way a user does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.channels.credentials import write_runtime_credentials
from bot.config import ROOT, VAR_DIR, Settings

PYTHON = sys.executable
LOGGING_CONFIG = Path(__file__).resolve().parent / "rasa_logging.yml"
# Rasa and the action server listen on this machine only: Rasa's REST channel accepts any sender id and the
# action server runs actions for any tracker, so only the web app (and Rasa) may reach them. The public channel
# webhooks go through a reverse proxy that forwards exact paths (docs/deploy.md, What a proxy may expose).
LOOPBACK = "127.0.0.1"


@dataclass
class Service:
    name: str
    cmd: list[str]
    health_url: str | None
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)  # on top of the stack's environment


# Request body limits of the Sanic servers (Sanic's default is 100 MB). The Rasa server takes the public
# webhooks (REST, Telegram, Twilio): a message is at most a few KiB. The action server (localhost only)
# receives whole conversation trackers from Rasa, which grow with long conversations.
RASA_MAX_BODY = 256 * 1024
ACTION_MAX_BODY = 64 * 1024 * 1024


@dataclass
class Stack:
    """The three processes of Stadsvraag on the given ports and database."""

    settings: Settings
    model: Path
    log_dir: Path = VAR_DIR / "log"
    extra_env: dict[str, str] = field(default_factory=dict)
    prod: bool = False
    replicas: int = 1
    services: list[Service] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Rasa reports usage to Rasa Technologies unless told not to: nothing about residents leaves the city
        # (an operator may still opt in by setting it to true).
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        # glibc gives every thread that allocates its own memory arena; TensorFlow's thread pools then hold on to
        # memory they no longer use. Two arenas keep a Rasa process's RSS down (docs/performance.md).
        env.setdefault("MALLOC_ARENA_MAX", "2")
        env.update({
            "DATABASE_URL": self.settings.database_url,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.settings.action_port}/webhook",
            "RASA_URL": f"http://127.0.0.1:{self.settings.rasa_port}",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
            "SANIC_HOST": LOOPBACK,  # rasa_sdk's bind address (its default is 0.0.0.0)
        })
        if self.prod:
            env.update(redis_env(self.settings.redis_url))
        env["RASA_URLS"] = ",".join(f"http://127.0.0.1:{p}" for p in self.rasa_ports)
        env.update(self.extra_env)
        if self.embedded_matching:
            env.setdefault("MATCHING_PORT", str(self.matching_port))
            env.setdefault("MATCHING_DATABASE_URL", self.matching_database_url)
        env.update(embedded_matching_env(env, self.settings.web_port))
        return env

    @property
    def embedded_matching(self) -> bool:
        return not os.environ.get("MATCHING_BACKEND_URL") and not self.extra_env.get("MATCHING_BACKEND_URL")

    @property
    def rasa_ports(self) -> list[int]:
        return [self.settings.rasa_port + i for i in range(self.replicas)]

    @property
    def matching_port(self) -> int:
        """MATCHING_PORT, else ten above the web app's port (8010 beside 8000), so stacks side by side differ."""
        return int(self.extra_env.get("MATCHING_PORT") or os.environ.get("MATCHING_PORT") or self.settings.web_port + 10)

    @property
    def matching_database_url(self) -> str:
        """MATCHING_DATABASE_URL, else a SQLite file beside the assistant's (var/stadsvraag-matching.db on `make run`)."""
        given = self.extra_env.get("MATCHING_DATABASE_URL") or os.environ.get("MATCHING_DATABASE_URL")
        if given:
            return given
        if self.settings.database_url.startswith("sqlite:///"):
            return self.settings.database_url.removesuffix(".db") + "-matching.db"
        return f"sqlite:///{VAR_DIR / 'matching.db'}"

    @property
    def credentials_path(self) -> Path:
        return self.log_dir / f"credentials.runtime-{self.settings.rasa_port}.yml"

    def build(self) -> list[Service]:
        s = self.settings
        return [
            Service("action server", [PYTHON, "-m", "rasa_sdk", "--actions", "actions", "-p", str(s.action_port),
                                      "--logging-config_file", str(LOGGING_CONFIG)],
                    f"http://127.0.0.1:{s.action_port}/health",
                    env={"SANIC_REQUEST_MAX_SIZE": str(ACTION_MAX_BODY)}),
            *[Service(f"rasa-{port}", [PYTHON, "-m", "bot.runtime.rasa_entry", "run", "--model", str(self.model), "--endpoints",
                                      "endpoints.prod.yml" if self.prod else "endpoints.yml", "--credentials",
                                      str(self.credentials_path), "--port", str(port), "--interface", LOOPBACK,
                                      "--logging-config-file", str(LOGGING_CONFIG),
                                      "--cors", f"http://{s.web_host}:{s.web_port}"],
                      f"http://127.0.0.1:{port}/", env={"SANIC_REQUEST_MAX_SIZE": str(RASA_MAX_BODY)})
              for port in self.rasa_ports],
            Service("web", [PYTHON, "-m", "uvicorn", "bot.web.app:create_app", "--factory", "--host", s.web_host,
                            "--port", str(s.web_port), "--log-level", "warning", "--ws", "none"],
                    f"http://127.0.0.1:{s.web_port}/healthz"),
            *([Service("matching", [PYTHON, "-m", "bot.cli", "matching", "run"],
                       f"http://127.0.0.1:{self.matching_port}/healthz")] if self.embedded_matching else []),
            Service("dispatcher", [PYTHON, "-m", "bot.cli", "handoff", "run"], None),
            Service("notifier", [PYTHON, "-m", "bot.cli", "notify", "run"], None),
            Service("retention", [PYTHON, "-m", "bot.cli", "purge", "--daily"], None),
        ]

    def start(self, timeout: float = 240.0) -> None:
        from bot.storage.db import upgrade

        upgrade(self.settings.database_url)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = self.env()
        self.channels = write_runtime_credentials(ROOT / "credentials.yml", self.credentials_path, env)
        self.services = self.build()
        for svc in self.services:
            svc.log_path = self.log_dir / f"{svc.name.replace(' ', '_')}-{self.settings.rasa_port}.log"
            log = open(svc.log_path, "w")
            svc.process = subprocess.Popen(svc.cmd, cwd=ROOT, env={**env, **svc.env}, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        for svc in self.services:
            while True:
                if svc.process and svc.process.poll() is not None:
                    self.stop()
                    tail = svc.log_path.read_text()[-3000:] if svc.log_path else ""
                    raise RuntimeError(f"{svc.name} exited during start-up:\n{tail}")
                if svc.health_url is None:
                    break
                try:
                    if httpx.get(svc.health_url, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{svc.name} did not answer on {svc.health_url} within {timeout:.0f}s")
                time.sleep(0.5)

    def stop(self) -> None:
        for svc in reversed(self.services):
            if svc.process and svc.process.poll() is None:
                try:
                    os.killpg(svc.process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for svc in self.services:
            if svc.process:
                try:
                    svc.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(svc.process.pid, signal.SIGKILL)
                    svc.process.wait()

    def service(self, name: str) -> Service:
        return next(svc for svc in self.services if svc.name == name)

    def alive(self) -> bool:
        return all(svc.process is not None and svc.process.poll() is None for svc in self.services)


MATCHING_KEYS = VAR_DIR / "matching_keys.json"


def embedded_matching_env(env: dict[str, str], web_port: int) -> dict[str, str]:
    """With MATCHING_BACKEND_URL unset: the matching service of this repository (bot/matching/) on MATCHING_PORT,
    with a key pair made once and kept in var/ (readable by this user only) unless the keys are set."""
    if env.get("MATCHING_BACKEND_URL"):
        return {}
    import base64
    import json
    import secrets

    if not MATCHING_KEYS.exists():
        MATCHING_KEYS.parent.mkdir(parents=True, exist_ok=True)
        made = {name: "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode() for name in ("delivery", "callback")}
        MATCHING_KEYS.write_text(json.dumps(made))
        MATCHING_KEYS.chmod(0o600)
    keys = json.loads(MATCHING_KEYS.read_text())
    port = env.get("MATCHING_PORT") or "8010"
    return {"MATCHING_BACKEND_URL": f"http://127.0.0.1:{port}/webhooks/intake", "MATCHING_PORT": port,
            "MATCHING_BACKEND_SECRET": env.get("MATCHING_BACKEND_SECRET") or keys["delivery"],
            "MATCHING_CALLBACK_SECRET": env.get("MATCHING_CALLBACK_SECRET") or keys["callback"],
            "MATCHING_CALLBACK_URL": env.get("MATCHING_CALLBACK_URL") or f"http://127.0.0.1:{web_port}/api/intakes"}


def redis_env(url: str | None) -> dict[str, str]:
    """REDIS_URL (redis://[:password@]host:port/db) as the variables endpoints.prod.yml reads."""
    parsed = httpx.URL(url or "redis://127.0.0.1:6379/0")
    return {"REDIS_HOST": parsed.host or "127.0.0.1", "REDIS_PORT": str(parsed.port or 6379),
            "REDIS_DB": (parsed.path.strip("/") or "0")}


def check_prod(settings: Settings) -> None:
    from bot.config import ConfigError

    if not settings.database_url.startswith("postgresql"):
        raise ConfigError("production mode needs PostgreSQL. Fix: set DATABASE_URL=postgresql://user@host:5432/db")
    if not settings.redis_url:
        raise ConfigError("production mode needs Redis for the lock store. Fix: set REDIS_URL=redis://127.0.0.1:6379/0")


def run(settings: Settings, prod: bool = False) -> int:
    from bot.runtime.training import train_if_stale

    settings.check()
    if prod:
        check_prod(settings)
    model = train_if_stale()
    stack = Stack(settings, model, prod=prod, replicas=2 if prod else 1)
    print("==> starting Stadsvraag (this takes about a minute: the model loads)")
    stack.start()
    print(f"""
Stadsvraag is running on {settings.database_url.split('://')[0]}{" with Redis, production mode" if prod else ""}:
  chat page        http://localhost:{settings.web_port}/
  broker dashboard http://localhost:{settings.web_port}/broker/  (account: stadsvraag broker add-user NAME)
  Rasa REST        {", ".join(f"http://localhost:{p}/webhooks/rest/webhook" for p in stack.rasa_ports)}
  action server    http://localhost:{settings.action_port}/health
  channels         {", ".join(stack.channels)}
  handoff          {settings.handoff.url or f"the embedded matching service on http://localhost:{stack.matching_port}/ (MATCHING_BACKEND_URL unset)"}
  status e-mails   {"SMTP " + settings.notify.smtp_url.split("@")[-1] if settings.notify.smtp_url else f"written to {settings.notify.mail_dir} (SMTP_URL unset)"}
  logs             {stack.log_dir}
Press Ctrl-C to stop.""", flush=True)
    stopping = False

    def _stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            if not stack.alive():
                print("A service stopped unexpectedly; see the logs. Stopping.", file=sys.stderr)
                stack.stop()
                return 1
            time.sleep(1)
    finally:
        print("\n==> stopping", flush=True)
        stack.stop()
    print("==> stopped")
    return 0
