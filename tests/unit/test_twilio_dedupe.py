"""MessageSid de-duplication for Twilio: shared between Rasa replicas through a real Redis, bounded in memory."""

from __future__ import annotations

import asyncio

from bot.channels.messaging import SeenMessages
from tests.services import PrivateRedis


def test_replicas_sharing_redis_handle_a_message_sid_once() -> None:
    redis = PrivateRedis()
    redis.start()
    try:
        url = f"redis://127.0.0.1:{redis.port}/0"

        async def scenario() -> list[bool]:
            replica_a, replica_b = SeenMessages(url), SeenMessages(url)  # two Rasa processes behind one proxy
            return [await replica_a.first_time("SM1"), await replica_b.first_time("SM1"),
                    await replica_a.first_time("SM1"), await replica_b.first_time("SM2")]

        assert asyncio.run(scenario()) == [True, False, False, True]

        async def ttl() -> int:
            return await SeenMessages(url).redis.ttl(SeenMessages.PREFIX + "SM1")  # type: ignore[union-attr]

        assert 0 < asyncio.run(ttl()) <= 7 * 24 * 3600  # Redis forgets old SIDs by itself
    finally:
        redis.stop()


def test_without_redis_or_when_it_is_down_memory_keeps_working() -> None:
    redis = PrivateRedis()  # never started: connection refused, as when Redis is down

    async def scenario() -> list[bool]:
        seen = SeenMessages(f"redis://127.0.0.1:{redis.port}/0")
        return [await seen.first_time("SM1"), await seen.first_time("SM1")]

    assert asyncio.run(scenario()) == [True, False]


def test_the_in_memory_set_is_bounded() -> None:
    async def scenario() -> tuple[bool, bool, int]:
        seen = SeenMessages(None, size=3)
        for sid in ["SM1", "SM2", "SM3", "SM4"]:
            assert await seen.first_time(sid)
        return await seen.first_time("SM4"), await seen.first_time("SM1"), len(seen.memory)

    assert asyncio.run(scenario()) == (False, True, 3)  # the oldest was forgotten, memory stays at 3
