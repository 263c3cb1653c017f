"""Starts the real product (Rasa server, action server, web app) on free ports for the e2e tests."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.runtime.runner import Stack
from bot.runtime.training import train_if_stale
from bot.storage.db import session_factory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Chat:
    """One conversation over Rasa's REST channel."""

    base_url: str
    sender: str = field(default_factory=lambda: f"e2e-{uuid.uuid4().hex}")
    turns: int = 0

    def say(self, message: str) -> list[dict]:
        self.turns += 1
        r = httpx.post(f"{self.base_url}/webhooks/rest/webhook", json={"sender": self.sender, "message": message},
                       timeout=60)
        assert r.status_code == 200, r.text
        return r.json()


@dataclass
class Running:
    stack: Stack
    settings: Settings

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}"

    def chat(self) -> Chat:
        return Chat(self.rasa_url)

    def sessions(self):  # type: ignore[no-untyped-def]
        return session_factory(self.settings.database_url)


@pytest.fixture(scope="session")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp: Path = tmp_path_factory.mktemp("e2e")
    settings = Settings(database_url=f"sqlite:///{tmp / 'e2e.db'}", rasa_url="", action_port=free_port(),
                        rasa_port=free_port(), web_port=free_port(), web_host="127.0.0.1")
    settings = Settings(**{**settings.__dict__, "rasa_url": f"http://127.0.0.1:{settings.rasa_port}"})
    # status e-mails as `make run` writes them without SMTP_URL, in this test's folder (tests/e2e/test_loop_back.py)
    stack = Stack(settings, train_if_stale(), log_dir=tmp / "log", extra_env={"MAIL_DIR": str(tmp / "mail")})
    stack.start()
    try:
        yield Running(stack, settings)
    finally:
        stack.stop()
