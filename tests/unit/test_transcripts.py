"""bot/storage/transcripts.py reads and deletes what Rasa's own SQL tracker store wrote.

The events are written by the real tracker store (Rasa's SQLTrackerStore under ours) on real SQLite and
PostgreSQL, so a change in Rasa's table would show here.
"""

from __future__ import annotations

import asyncio
import json

from rasa.shared.core.trackers import DialogueStateTracker

from bot.storage import transcripts
from bot.storage.db import session_factory
from tests.unit.test_tracker_store import DOMAIN, start, store, turn


def test_no_table_no_transcript(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        assert not transcripts.available(session)
        assert transcripts.conversation(session, "a") == []
        assert transcripts.delete_conversation(session, "a") == 0
        assert transcripts.delete_before(session, 2e9) == 0 and transcripts.delete_unfinished(session, 2e9) == 0


def test_reads_in_order_the_last_ones_and_deletes_one_conversation(database_url: str) -> None:
    s = store(database_url)
    for sender in ("a", "b"):
        tracker = DialogueStateTracker.from_events(sender, start() + turn(1) + turn(2) + turn(3), DOMAIN.slots)
        asyncio.run(s.save(tracker))
    with session_factory(database_url).begin() as session:
        said = transcripts.conversation(session, "a")
        assert [(e.type_name, json.loads(e.data)["text"]) for e in said] == [
            ("user", "bericht 1"), ("bot", "vraag 1"), ("user", "bericht 2"), ("bot", "vraag 2"),
            ("user", "bericht 3"), ("bot", "vraag 3")]
        assert [json.loads(e.data)["text"] for e in transcripts.conversation(session, "a", last=2)] == [
            "bericht 3", "vraag 3"]
        actions = transcripts.conversation(session, "a", ("action",))
        assert actions and {e.action_name for e in actions} >= {"action_listen"}
        assert transcripts.delete_conversation(session, "a") > len(said)
        assert transcripts.conversation(session, "a") == [] and len(transcripts.conversation(session, "b")) == 6
