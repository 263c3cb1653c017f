"""Retention on a real database: transcripts after 28 days, contacts and personal data a year after closing."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from bot.intakes import IntakeDraft, submit_intake
from bot.models import Contact, Intake, IntakeEvent, utcnow
from bot.retention import Retention, person_export, purge
from bot.workflow import change_status

STADSVRAAG = str(Path(sys.executable).parent / "stadsvraag")


def _events_table(session) -> None:  # type: ignore[no-untyped-def]
    session.execute(text("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                         "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
                         "action_name VARCHAR(255), data TEXT)"))


def test_purge_applies_the_periods_and_is_idempotent(sessions) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with sessions.begin() as s:
        _events_table(s)
        old = submit_intake(s, IntakeDraft(language="nl", description="Bel me op 0612345678 over afval", sender_id="old",
                                           organisation="Stichting X", consent_contact=True, contact_name="Sanne",
                                           contact_email="sanne@example.nl"))
        recent = submit_intake(s, IntakeDraft(language="nl", description="Vraag over groen", sender_id="recent",
                                              consent_contact=True, contact_name="Piet", contact_phone="+31612345678"))
        change_status(s, old, "rejected", "broker:test", "buiten de scope")
        s.flush()
        s.execute(IntakeEvent.__table__.update().where(IntakeEvent.intake_id == old.id)
                  .values(at=now - timedelta(days=400)))
        for i, (sender, age) in enumerate([("old", 40), ("old", 1), ("recent", 2)]):
            s.execute(text("INSERT INTO events (id, sender_id, type_name, timestamp, data) VALUES "
                           "(:i, :s, 'user', :t, '{\"text\": \"hoi\"}')"),
                      {"i": i + 1, "s": sender, "t": (now - timedelta(days=age)).timestamp()})
        old_id, recent_id = old.id, recent.id
    with sessions.begin() as s:
        assert purge(s, Retention()) == {"transcript_events": 1, "unfinished_conversation_events": 0, "contacts": 1,
                                         "intakes_anonymised": 1}
    with sessions.begin() as s:
        assert purge(s, Retention()) == {"transcript_events": 0, "unfinished_conversation_events": 0, "contacts": 0,
                                         "intakes_anonymised": 0}
    with sessions() as s:
        gone = s.get(Intake, old_id)
        assert gone.sender_id is None and gone.organisation is None and "0612345678" not in gone.description
        assert s.scalars(select(Contact).where(Contact.intake_id == old_id)).first() is None
        assert s.scalars(select(Contact).where(Contact.intake_id == recent_id)).one().name == "Piet"
        assert s.execute(text("SELECT count(*) FROM events")).scalar() == 2


def test_unfinished_conversations_are_deleted_after_two_days(sessions) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with sessions.begin() as s:
        _events_table(s)
        submit_intake(s, IntakeDraft(language="nl", description="Vraag over groen", sender_id="stored"))
        rows = [("stored", 5), ("idle", 5), ("idle", 3), ("active", 5), ("active", 0.5)]  # (sender, days ago)
        for i, (sender, age) in enumerate(rows):
            s.execute(text("INSERT INTO events (id, sender_id, type_name, timestamp, data) VALUES "
                           "(:i, :s, 'user', :t, '{\"text\": \"mijn vraag\"}')"),
                      {"i": i + 1, "s": sender, "t": (now - timedelta(days=age)).timestamp()})
    with sessions.begin() as s:
        assert purge(s, Retention())["unfinished_conversation_events"] == 2
    with sessions() as s:
        left = s.execute(text("SELECT sender_id, count(*) FROM events GROUP BY sender_id ORDER BY sender_id")).all()
        assert [tuple(r) for r in left] == [("active", 2), ("stored", 1)]


def test_request_for_access(sessions, database_url: str) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        _events_table(s)
        submit_intake(s, IntakeDraft(language="nl", description="Vraag over groen", sender_id="p1",
                                     consent_contact=True, contact_name="Sanne", contact_email="Sanne@Example.nl"))
        submit_intake(s, IntakeDraft(language="nl", description="Andere vraag", sender_id="p2",
                                     consent_contact=True, contact_name="Piet", contact_email="piet@example.nl"))
        s.execute(text("INSERT INTO events (id, sender_id, type_name, timestamp, data) VALUES "
                       "(1, 'p1', 'user', 1, '{\"text\": \"hoi\"}')"))
    with sessions() as s:
        found = person_export(s, "sanne@example.nl")
    assert [c["name"] for c in found["contacts"]] == ["Sanne"] and len(found["intakes"]) == 1
    assert list(found["transcripts"]) == ["p1"]
    done = subprocess.run([STADSVRAAG, "export", "--person", "piet@example.nl"], capture_output=True, text=True,
                          check=True, env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"})
    assert json.loads(done.stdout)["contacts"][0]["name"] == "Piet"
