"""RasaClient spreads messages over replicas by load, keeps its connections and fails over (real HTTP servers)."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.runtime.rasa_client import RasaClient, RasaUnavailable


class Replica:
    """A tiny real HTTP/1.1 server answering Rasa's REST webhook after `delay` seconds."""

    def __init__(self, name: str, delay: float) -> None:
        self.name, self.delay = name, delay
        self.senders: list[str] = []
        self.connections = 0
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                payload = json.loads(await reader.readexactly(length))
                await asyncio.sleep(self.delay)
                self.senders.append(payload["sender"])
                body = json.dumps([{"recipient_id": payload["sender"], "text": self.name}]).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass
        writer.close()


def test_ties_follow_the_conversation_hash_and_busy_replicas_go_last() -> None:
    client = RasaClient(["http://a", "http://b", "http://c"])
    quiet = client.order_for("gesprek-1")
    assert sorted(quiet) == ["http://a", "http://b", "http://c"]
    assert client.order_for("gesprek-1") == quiet  # a quiet system keeps a conversation on one replica
    with client.busy(quiet[0]):
        assert client.order_for("gesprek-1")[-1] == quiet[0]
        with client.busy(quiet[1]), client.busy(quiet[1]):
            assert client.order_for("gesprek-1") == [quiet[2], quiet[0], quiet[1]]
    assert client.in_flight == {"http://a": 0, "http://b": 0, "http://c": 0}


async def _closed_loop(slow_delay: float, users: int, messages: int) -> tuple[Replica, Replica]:
    slow, fast = Replica("slow", slow_delay), Replica("fast", 0.0)
    client = RasaClient([await slow.start(), await fast.start()])

    async def user(index: int) -> None:
        for n in range(messages):
            answer = await client.send(f"user-{index}", f"bericht {n}")
            assert answer[0]["recipient_id"] == f"user-{index}"

    try:
        await asyncio.gather(*(user(i) for i in range(users)))
    finally:
        await client.close()
        await slow.stop()
        await fast.stop()
    return slow, fast


def test_a_slow_replica_gets_fewer_messages_than_a_fast_one() -> None:
    slow, fast = asyncio.run(_closed_loop(slow_delay=0.2, users=6, messages=8))
    assert len(slow.senders) + len(fast.senders) == 48
    assert len(fast.senders) > 2 * len(slow.senders)
    assert fast.connections <= 6 and slow.connections <= 6  # connections kept, not one per message


def test_equal_replicas_share_the_load() -> None:
    async def run() -> tuple[Replica, Replica]:
        a, b = Replica("a", 0.05), Replica("b", 0.05)
        client = RasaClient([await a.start(), await b.start()])
        try:
            await asyncio.gather(*(client.send(f"user-{i}", "hallo") for i in range(40)))
        finally:
            await client.close()
            await a.stop()
            await b.stop()
        return a, b

    a, b = asyncio.run(run())
    assert (len(a.senders), len(b.senders)) == (20, 20)


def test_an_unreachable_replica_is_skipped_and_none_reachable_raises() -> None:
    async def run() -> list[dict]:
        up = Replica("up", 0.0)
        client = RasaClient(["http://127.0.0.1:1", await up.start()])
        try:
            return [await client.send(f"user-{i}", "hallo") for i in range(4)]
        finally:
            await client.close()
            await up.stop()

    assert [answer[0]["text"] for answer in asyncio.run(run())] == ["up"] * 4
    with pytest.raises(RasaUnavailable):
        asyncio.run(RasaClient(["http://127.0.0.1:1"]).send("user", "hallo"))
