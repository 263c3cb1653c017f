"""Retention on a real database: transcripts after 28 days, contacts and personal data a year after closing."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from bot.config import HandoffSettings, RetentionSettings
from bot.handoff.outbox import DELIVERED, approve
from bot.privacy.access import person_export
from bot.privacy.retention import purge
from bot.review.workflow import change_status
from bot.storage.intakes import IntakeDraft, submit_intake
from bot.storage.models import Contact, Intake, IntakeEvent, OutboxMessage, utcnow

STADSVRAAG = str(Path(sys.executable).parent / "stadsvraag")
SETTINGS = HandoffSettings(url=None, secret=None, after="approval", dashboard_url="http://localhost:8000/broker")


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
        assert purge(s, RetentionSettings(), handoff=SETTINGS) == {
            # 2 events: the 40-day-old one by age, and the rest of the anonymised intake's conversation with it
            "transcript_events": 2, "unfinished_conversation_events": 0, "contacts": 1, "intakes_anonymised": 1,
            "open_intakes_anonymised": 0, "outbox_contacts_removed": 0}
    with sessions.begin() as s:
        assert set(purge(s, RetentionSettings(), handoff=SETTINGS).values()) == {0}
    with sessions() as s:
        gone = s.get(Intake, old_id)
        assert gone.sender_id is None and gone.organisation is None and "0612345678" not in gone.description
        assert s.scalars(select(Contact).where(Contact.intake_id == old_id)).first() is None
        assert s.scalars(select(Contact).where(Contact.intake_id == recent_id)).one().name == "Piet"
        assert s.execute(text("SELECT sender_id FROM events")).scalars().all() == ["recent"]


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
        assert purge(s, RetentionSettings())["unfinished_conversation_events"] == 2
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


def _age(s, intake: Intake, days: int) -> None:  # type: ignore[no-untyped-def]
    """Move the intake and its whole history `days` into the past."""
    past = utcnow() - timedelta(days=days)
    s.execute(IntakeEvent.__table__.update().where(IntakeEvent.intake_id == intake.id).values(at=past))
    s.execute(Intake.__table__.update().where(Intake.id == intake.id).values(created_at=past))


def test_retention_anonymises_like_erasure_history_names_and_handoff_copies(sessions) -> None:  # type: ignore[no-untyped-def]
    """A year after closing nothing of the person is left: not in the notes, not in the stored handoff message."""
    with sessions.begin() as s:
        _events_table(s)
        old = submit_intake(s, IntakeDraft(
            language="nl", description="Sanne de Vries vraagt naar het afval in De Kooi", sender_id="conv-old",
            organisation="Buurtvereniging De Kooi", consent_contact=True, consent_share=True,
            contact_name="Sanne de Vries", contact_email="sanne@example.nl", contact_phone="+31612345678"))
        approve(s, old, "broker:bea", SETTINGS)
        s.add(IntakeEvent(intake_id=old.id, actor="bea", kind="note", note="Gebeld met Sanne op 06 12345678"))
        change_status(s, old, "rejected", "broker:bea", "beantwoord door de Vries zelf")
        s.flush()
        _age(s, old, 400)
        s.execute(text("INSERT INTO events (id, sender_id, type_name, timestamp, data) VALUES "
                       "(1, 'conv-old', 'user', :t, '{\"text\": \"hoi\"}')"), {"t": utcnow().timestamp()})
        old_id = old.id
    with sessions() as s:
        sent = s.scalars(select(OutboxMessage).where(OutboxMessage.intake_id == old_id,
                                                 OutboxMessage.destination == "matching")).one()
        assert json.loads(sent.payload)["contact"]["email"] == "sanne@example.nl"  # what was queued
    with sessions.begin() as s:
        counts = purge(s, RetentionSettings(), handoff=SETTINGS)
    assert counts["intakes_anonymised"] == 1 and counts["contacts"] == 1 and counts["transcript_events"] == 1
    with sessions() as s:
        intake = s.get(Intake, old_id)
        kept = [intake.description, *(f"{e.note} {e.old_value} {e.new_value}" for e in intake.events)]
        assert not any("sanne" in k.lower() or "vries" in k.lower() or "12345678" in k for k in kept), kept
        assert "[naam]" in intake.description and "afval in De Kooi" in intake.description
        assert intake.organisation is None and intake.sender_id is None and not intake.consent_contact
        payload = s.scalars(select(OutboxMessage).where(OutboxMessage.intake_id == old_id,
                                                    OutboxMessage.destination == "matching")).one().payload
        assert "contact" not in json.loads(payload) and "sanne" not in payload.lower() and "12345678" not in payload
        assert [e.kind for e in intake.events].count("retention") == 1


def test_delivered_handoff_messages_lose_their_contact_block(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        intake = submit_intake(s, IntakeDraft(language="nl", description="Vraag over groen", sender_id="c1",
                                              consent_contact=True, consent_share=True, contact_name="Piet",
                                              contact_email="piet@example.nl"))
        waiting = approve(s, intake, "broker:bea", SETTINGS)
        s.flush()
        delivered = OutboxMessage(webhook_id="msg_delivered", intake_id=intake.id, event_type="intake.ready",
                                  payload=waiting.payload, status=DELIVERED, attempts=1, next_attempt_at=utcnow(),
                                  delivered_at=utcnow())
        s.add(delivered)
        ids = (waiting.id, intake.id)
    with sessions.begin() as s:
        assert purge(s, RetentionSettings(), handoff=SETTINGS)["outbox_contacts_removed"] == 1
    with sessions.begin() as s:
        assert purge(s, RetentionSettings(), handoff=SETTINGS)["outbox_contacts_removed"] == 0
    with sessions() as s:
        kept = json.loads(s.scalars(select(OutboxMessage).where(OutboxMessage.webhook_id == "msg_delivered")).one()
                          .payload)
        assert "contact" not in kept and kept["consent"]["share_contact"] is True  # what was agreed stays on record
        assert kept["description"] == "Vraag over groen"
        pending = s.get(OutboxMessage, ids[0])
        assert json.loads(pending.payload)["contact"]["name"] == "Piet"  # still to be delivered: untouched
        assert s.scalars(select(Contact).where(Contact.intake_id == ids[1])).one().name == "Piet"


def test_open_intakes_have_a_maximum_age(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        forgotten = submit_intake(s, IntakeDraft(language="nl", description="Mail me: jan@example.nl", sender_id="o1",
                                                 consent_contact=True, contact_name="Jan", contact_email="jan@example.nl"))
        young = submit_intake(s, IntakeDraft(language="nl", description="Vraag over groen", sender_id="o2",
                                             consent_contact=True, contact_name="Piet", contact_email="piet@example.nl"))
        s.add(IntakeEvent(intake_id=forgotten.id, actor="bea", kind="note", note="Jan belt terug"))
        s.flush()
        _age(s, forgotten, 800)
        _age(s, young, 700)
        ids = (forgotten.id, young.id)
    with sessions.begin() as s:
        counts = purge(s, RetentionSettings(open_days=730), handoff=SETTINGS)
    assert counts["open_intakes_anonymised"] == 1 and counts["contacts"] == 1 and counts["intakes_anonymised"] == 0
    with sessions.begin() as s:
        assert purge(s, RetentionSettings(open_days=730), handoff=SETTINGS)["open_intakes_anonymised"] == 0
    with sessions() as s:
        gone, kept = s.get(Intake, ids[0]), s.get(Intake, ids[1])
        assert gone.status == "new" and gone.sender_id is None and "jan@" not in gone.description
        assert all("Jan" not in (e.note or "") for e in gone.events)
        assert s.scalars(select(Contact).where(Contact.intake_id == ids[0])).first() is None
        assert kept.sender_id == "o2" and s.scalars(select(Contact).where(Contact.intake_id == ids[1])).one()
    assert RetentionSettings.from_env().open_days == 730


def test_purge_keeps_running_when_asked(database_url: str) -> None:
    """`stadsvraag purge --every N` (the compose service runs `--daily`): a run now, then one every N seconds."""
    process = subprocess.Popen([STADSVRAAG, "purge", "--every", "1"], stdout=subprocess.PIPE, text=True,
                               env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"})
    try:
        lines = [json.loads(process.stdout.readline()) for _ in range(2)]  # type: ignore[union-attr]
        assert all(line["intakes_anonymised"] == 0 for line in lines)
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(10)
