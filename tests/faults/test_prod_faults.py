"""Production mode under faults: PostgreSQL + Redis lock store + two Rasa replicas + dispatcher.

Each scenario ends with a count of intakes started, stored and delivered (to a real signed-webhook
receiver). Nothing a user confirmed may be lost; what was not confirmed must be recoverable by the
user simply sending their message again.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.runtime.rasa_client import RasaClient, RasaUnavailable
from bot.runtime.training import train_if_stale
from bot.storage.db import session_factory, upgrade
from bot.storage.models import Intake, OutboxMessage
from tests.conftest import _postgres_database
from tests.e2e.conftest import free_port
from tests.faults.stack import FaultStack as Stack
from tests.handoff.receiver import Receiver
from tests.services import PrivateRedis

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
ROWS: list[dict] = []
SCRIPT = ["hallo", "Ik woon in de Merenwijk en maak me zorgen over eenzame ouderen, het is best dringend", "ja",
          '/choose{"asker_role":"resident"}', "ja", "ja", "nee", "ja"]


@pytest.fixture(scope="module")
def prod() -> Iterator[tuple[Stack, Receiver, PrivateRedis]]:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    receiver = Receiver(secret).start()
    redis = PrivateRedis()
    redis.start()
    tmp = Path(tempfile.mkdtemp())
    for url in _postgres_database():
        upgrade(url)
        settings = Settings(database_url=url, rasa_url="", action_port=free_port(), rasa_port=free_port(),
                            web_port=free_port(), web_host="127.0.0.1", redis_url=f"redis://127.0.0.1:{redis.port}/0")
        stack = Stack(settings, train_if_stale(), log_dir=tmp / "log", prod=True, replicas=2, extra_env={
            "MATCHING_BACKEND_URL": receiver.url, "MATCHING_BACKEND_SECRET": secret, "HANDOFF_AFTER": "confirmation",
            "HANDOFF_POLL": "0.1"})
        stack.start(timeout=300)
        try:
            yield stack, receiver, redis
        finally:
            stack.stop()
            redis.stop()
            receiver.stop()
            session_factory(url).kw["bind"].dispose()


def client(stack: Stack) -> RasaClient:
    return RasaClient([f"http://127.0.0.1:{p}" for p in stack.rasa_ports], timeout=60)


def say(stack: Stack, sender: str, message: str, retries: int = 20) -> list[dict]:
    """Send like a patient user: when the assistant does not answer, send the same message again."""
    for _ in range(retries):
        try:
            answer = asyncio.run(client(stack).send(sender, message))
            if answer:
                return answer
        except (RasaUnavailable, Exception):
            pass
        time.sleep(1.0)
    raise AssertionError(f"no answer to {message!r}")


def count(stack: Stack, receiver: Receiver, senders: list[str], scenario: str) -> dict:
    sessions = session_factory(stack.settings.database_url)
    deadline = time.monotonic() + 30
    while True:
        with sessions() as s:
            stored = s.scalar(select(func.count(Intake.id)).where(Intake.sender_id.in_(senders)))
            ids = [i for (i,) in s.execute(select(Intake.uuid).where(Intake.sender_id.in_(senders)))]
            pending = s.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status != "delivered"))
        delivered = sum(1 for payload in receiver.processed.values() if payload["id"] in ids)
        if delivered >= stored or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    row = {"scenario": scenario, "started": len(senders), "stored": stored, "delivered": delivered,
           "outbox_not_delivered": pending}
    ROWS.append(row)
    out = Path("var/results/prod_faults.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("| scenario | intakes started | stored | delivered |\n| --- | --- | --- | --- |\n" + "".join(
        f"| {r['scenario']} | {r['started']} | {r['stored']} | {r['delivered']} |\n" for r in ROWS))
    return row


def senders(n: int) -> list[str]:
    return [f"fault-{uuid.uuid4().hex[:12]}" for _ in range(n)]


def interrupted(stack: Stack, receiver: Receiver, people: int, at: int, fault, name: str) -> None:  # type: ignore[no-untyped-def]
    """`people` residents get `at` messages into their intake, then `fault()` happens, then they finish."""
    who = senders(people)
    for sender in who:
        for message in SCRIPT[:at]:
            say(stack, sender, message)
    fault()
    for sender in who:
        for message in SCRIPT[at:]:
            say(stack, sender, message)
    row = count(stack, receiver, who, name)
    assert row["stored"] == people and row["delivered"] == people


def test_one_replica_killed_mid_conversation(prod) -> None:  # type: ignore[no-untyped-def]
    stack, receiver, _ = prod
    first = f"rasa-{stack.rasa_ports[0]}"
    interrupted(stack, receiver, 4, 3, lambda: stack.kill(first), "one Rasa replica killed (SIGKILL) mid-conversation")
    stack.restart(first)


def test_action_server_restarted_mid_form(prod) -> None:  # type: ignore[no-untyped-def]
    stack, receiver, _ = prod

    def restart() -> None:
        stack.kill("action server", signal.SIGTERM)
        stack.restart("action server")

    interrupted(stack, receiver, 2, 2, restart, "action server restarted mid-form")


def test_postgresql_restarted_briefly(prod) -> None:  # type: ignore[no-untyped-def]
    stack, receiver, _ = prod
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    interrupted(stack, receiver, 2, 3, lambda: subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True),
        "PostgreSQL restarted mid-conversation")


def test_redis_restarted(prod) -> None:  # type: ignore[no-untyped-def]
    stack, receiver, redis = prod

    def restart() -> None:
        redis.stop()
        time.sleep(1)
        redis.start()

    interrupted(stack, receiver, 2, 3, restart, "Redis (lock store) restarted mid-conversation")


def test_the_same_message_twice_at_once(prod) -> None:  # type: ignore[no-untyped-def]
    stack, receiver, _ = prod
    (who,) = senders(1)
    say(stack, who, "hallo")
    c = client(stack)

    async def twice() -> list[list[dict]]:
        message = "Ik woon in de Merenwijk en maak me zorgen over eenzame ouderen, het is best dringend"
        return list(await asyncio.gather(c.send(who, message), c.send(who, message)))

    first, second = asyncio.run(twice())
    assert first and second  # both answered, one after the other (Redis lock)
    for message in ["/choose{\"theme\":\"health_wellbeing\"}", '/choose{"asker_role":"resident"}', "ja", "ja", "nee",
                    "ja"]:
        say(stack, who, message)
    row = count(stack, receiver, [who], "the same message sent twice at once")
    assert row["stored"] == 1 and row["delivered"] == 1
