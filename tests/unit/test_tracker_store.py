"""The tracker store keeps the tracker it saved, and never hands back one the database no longer matches.

Real SQLite and PostgreSQL (tests/conftest.py); two store objects on one database stand for two replicas.
"""

from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot.storage import tracker_store as module
from bot.storage.tracker_store import ResilientSQLTrackerStore

DOMAIN = Domain.from_dict({"slots": {"description": {"type": "text", "mappings": [{"type": "custom"}]},
                                     "forget_conversation": {"type": "bool", "mappings": [{"type": "custom"}]}}})


def store(url: str) -> ResilientSQLTrackerStore:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return ResilientSQLTrackerStore(DOMAIN, dialect="sqlite", db=u.database)
    return ResilientSQLTrackerStore(DOMAIN, dialect="postgresql", host=u.host, port=u.port, db=u.database,
                                    username=u.username, password=u.password)


def turn(n: int) -> list:
    return [UserUttered(f"bericht {n}", {"name": "inform"}), SlotSet("description", f"antwoord {n}"),
            BotUttered(f"vraag {n}"), ActionExecuted("action_listen")]


def start() -> list:
    """A session as Rasa reads it back: from its SessionStarted on."""
    return [SessionStarted(), ActionExecuted("action_listen")]


def stored_texts(s: ResilientSQLTrackerStore, sender: str) -> list[str]:
    with s.session_scope() as session:
        rows = session.query(s.SQLEvent).filter(s.SQLEvent.sender_id == sender).order_by(s.SQLEvent.id).all()
    return [f"{row.type_name}:{row.action_name or ''}" for row in rows]


def read_fresh(url: str, sender: str) -> DialogueStateTracker | None:
    return asyncio.run(store(url).retrieve(sender))


def test_a_saved_tracker_is_handed_back_and_equals_a_fresh_read(database_url: str) -> None:
    s = store(database_url)
    tracker = DialogueStateTracker.from_events("a", start() + turn(1), DOMAIN.slots)
    asyncio.run(s.save(tracker))
    again = asyncio.run(s.retrieve("a"))
    assert again is tracker  # kept: no decoding and replay of every event
    fresh = read_fresh(database_url, "a")
    assert fresh is not None and list(fresh.events) == list(again.events)
    assert fresh.current_slot_values() == again.current_slot_values()
    assert asyncio.run(s.retrieve("a")) is not tracker  # handed out once; the next read is the database's


def test_another_replicas_turn_is_read_from_the_database(database_url: str) -> None:
    one, two = store(database_url), store(database_url)
    tracker = DialogueStateTracker.from_events("b", start() + turn(1), DOMAIN.slots)
    asyncio.run(one.save(tracker))
    theirs = asyncio.run(two.retrieve("b"))
    for event in turn(2):
        theirs.update(event)
    asyncio.run(two.save(theirs))
    mine = asyncio.run(one.retrieve("b"))
    assert mine is not tracker and mine.get_slot("description") == "antwoord 2"
    for event in turn(3):
        mine.update(event)
    asyncio.run(one.save(mine))
    assert len(stored_texts(one, "b")) == 2 + 3 * 4  # every event once


def test_a_deleted_conversation_is_not_handed_back(database_url: str) -> None:
    one, two = store(database_url), store(database_url)
    asyncio.run(one.save(DialogueStateTracker.from_events("c", start() + turn(1), DOMAIN.slots)))
    assert asyncio.run(two.forget("c")) == 6  # erasure or retention in another process
    assert asyncio.run(one.retrieve("c")) is None


def test_a_tracker_changed_after_its_save_is_read_again(database_url: str) -> None:
    s = store(database_url)
    tracker = DialogueStateTracker.from_events("d", start() + turn(1), DOMAIN.slots)
    asyncio.run(s.save(tracker))
    tracker.update(UserUttered("niet opgeslagen", {"name": "inform"}))
    again = asyncio.run(s.retrieve("d"))
    assert again is not tracker and "niet opgeslagen" not in [getattr(e, "text", None) for e in again.events]


def test_a_tracker_with_events_before_its_session_is_kept_only_from_the_next_save(database_url: str) -> None:
    s = store(database_url)
    first = [ActionExecuted("action_session_start")] + start() + turn(1)  # a brand-new conversation
    tracker = DialogueStateTracker.from_events("e", first, DOMAIN.slots)
    asyncio.run(s.save(tracker))
    assert "e" not in s._kept  # a read gives the events from SessionStarted on, not this tracker
    tracker = asyncio.run(s.retrieve("e"))
    for event in turn(2):
        tracker.update(event)
    asyncio.run(s.save(tracker))
    assert asyncio.run(s.retrieve("e")) is tracker
    assert len(stored_texts(s, "e")) == len(first) + 4


def test_a_new_session_in_memory_is_not_kept_and_nothing_is_stored_twice(database_url: str) -> None:
    s = store(database_url)
    tracker = DialogueStateTracker.from_events("h", start() + turn(1), DOMAIN.slots)
    asyncio.run(s.save(tracker))
    tracker = asyncio.run(s.retrieve("h"))
    restart = [ActionExecuted("action_session_start")] + start() + turn(2)  # the session expired
    for event in restart:
        tracker.update(event)
    asyncio.run(s.save(tracker))
    assert "h" not in s._kept  # it holds two sessions; a read gives only the latest
    latest = asyncio.run(s.retrieve("h"))
    assert [type(e).__name__ for e in latest.events][0] == "SessionStarted"
    assert latest.get_slot("description") == "antwoord 2"
    for event in turn(3):
        latest.update(event)
    asyncio.run(s.save(latest))
    assert len(stored_texts(s, "h")) == 6 + len(restart) + 4  # every event once


def test_a_forgotten_conversation_is_not_kept(database_url: str) -> None:
    s = store(database_url)
    tracker = DialogueStateTracker.from_events("f", start() + turn(1) + [SlotSet("forget_conversation", True)],
                                               DOMAIN.slots)
    asyncio.run(s.save(tracker))
    assert "f" not in s._kept and stored_texts(s, "f") == []
    assert asyncio.run(s.retrieve("f")) is None


def test_memory_is_bounded_in_number_and_time(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    s = store(database_url)
    monkeypatch.setattr(module, "KEPT_CONVERSATIONS", 3)
    for n in range(5):
        asyncio.run(s.save(DialogueStateTracker.from_events(f"g{n}", start() + turn(n), DOMAIN.slots)))
    assert list(s._kept) == ["g2", "g3", "g4"]
    monkeypatch.setattr(module, "KEEP_SECONDS", 0.0)
    asyncio.run(s.retrieve("nobody"))
    assert s._kept == {}


def test_the_fingerprint_known_after_a_save_is_the_databases(database_url: str) -> None:
    s = store(database_url)
    tracker = DialogueStateTracker.from_events("i", start() + turn(1), DOMAIN.slots)
    asyncio.run(s.save(tracker))
    for n in range(2, 5):
        tracker = asyncio.run(s.retrieve("i"))
        for event in turn(n):
            tracker.update(event)
        asyncio.run(s.save(tracker))
        assert s._kept["i"][1] == s._stored("i") == (s._stored("i")[0], 2 + 4 * n)
    asyncio.run(s.save(asyncio.run(s.retrieve("i"))))  # nothing new: still kept, fingerprint asked of the database
    assert s._kept["i"][1] == s._stored("i")
