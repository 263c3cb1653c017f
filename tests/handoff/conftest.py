from __future__ import annotations

import base64
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import HandoffSettings
from tests.handoff.receiver import Receiver

FAULT_ROWS: list[dict] = []


@pytest.fixture(scope="session")
def secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(scope="session")
def callback_secret() -> str:
    """The matching backend's key for its callbacks: a different one from ours for deliveries."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fast_settings(url: str | None, secret: str, **kw) -> HandoffSettings:  # type: ignore[no-untyped-def]
    values = dict(url=url, secret=secret, after="approval", dashboard_url="http://localhost:8000/broker",
                  timeout=1.0, backoff_base=0.05, backoff_cap=0.4, retry_window=60.0, lease=2.0, poll=0.05, batch=10)
    values.update(kw)
    return HandoffSettings(**values)


@pytest.fixture
def receiver(secret: str) -> Iterator[Receiver]:
    r = Receiver(secret).start()
    yield r
    r.stop()


def record_fault(scenario: str, database: str, sent: int, receiver: Receiver, dead: int) -> None:
    FAULT_ROWS.append({"scenario": scenario, "database": database, "sent": sent,
                       "delivered": len(receiver.processed), "duplicates_seen": receiver.duplicates,
                       "dead_lettered": dead})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not FAULT_ROWS:
        return
    out = Path("var/results/handoff_faults.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = ["| scenario | database | intakes sent | delivered (de-duplicated) | duplicates seen by receiver | dead-lettered |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r['scenario']} | {r['database']} | {r['sent']} | {r['delivered']} | {r['duplicates_seen']} | "
              f"{r['dead_lettered']} |" for r in FAULT_ROWS]
    out.write_text("\n".join(lines) + "\n")
