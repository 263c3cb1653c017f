"""Erasure on request, on real SQLite and PostgreSQL, with Rasa's own SQL tracker store holding a transcript."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import jsonschema
import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.config import HandoffSettings
from bot.handoff.outbox import approve
from bot.privacy.erasure import (
    BROKER,
    RESIDENT,
    erase_intake,
    find_for_requester,
    mask_names,
    parse_reference,
)
from bot.storage.db import session_factory
from bot.storage.intakes import IntakeDraft, submit_intake
from bot.storage.models import Contact, Intake, IntakeEvent, OutboxMessage
from bot.storage.tracker_store import ResilientSQLTrackerStore

ERASED_SCHEMA = json.loads(Path("schemas/intake-erased.v1.json").read_text())
SETTINGS = HandoffSettings(url=None, secret=None, after="approval", dashboard_url="http://localhost:8000/broker")


def tracker_store(url: str) -> ResilientSQLTrackerStore:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return ResilientSQLTrackerStore(Domain.empty(), dialect="sqlite", db=u.database)
    return ResilientSQLTrackerStore(Domain.empty(), dialect="postgresql", host=u.host, port=u.port, db=u.database,
                                    username=u.username, password=u.password)


def save_conversation(store: ResilientSQLTrackerStore, sender: str, text_: str, forget: bool = False) -> None:
    events = [ActionExecuted("action_listen"), UserUttered(text_, {"name": "describe_problem"}),
              BotUttered("Dank je wel!"), ActionExecuted("action_listen")]
    if forget:
        events.append(SlotSet("forget_conversation", True))
    tracker = DialogueStateTracker.from_events(sender, events,
                                               slots=Domain.from_dict({"slots": {"forget_conversation": {
                                                   "type": "bool", "mappings": [{"type": "custom"}]}}}).slots)
    asyncio.run(store.save(tracker))


def count_events(sessions, sender: str) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return s.scalar(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender})


@pytest.fixture
def stored(database_url: str):  # type: ignore[no-untyped-def]
    sessions = session_factory(database_url)
    store = tracker_store(database_url)
    save_conversation(store, "conv-sanne", "Ik ben Sanne de Vries, mail sanne@example.nl, veel afval in De Kooi")
    save_conversation(store, "conv-other", "Een andere bewoner met een andere vraag over de Merenwijk")
    with sessions.begin() as s:
        intake = submit_intake(s, IntakeDraft(
            language="nl", sender_id="conv-sanne", channel="rest", consent_contact=True, consent_share=True,
            description="Sanne de Vries (sanne@example.nl, 06 12345678) ziet veel afval bij de Vriesestraat in De Kooi",
            contact_name="Sanne de Vries", contact_email="sanne@example.nl", theme="sustainability_biodiversity"))
        approve(s, intake, "broker:bea", SETTINGS)
        s.add(IntakeEvent(intake_id=intake.id, actor="bea", kind="note", note="Gebeld met Sanne, 06 12345678"))
        s.add(IntakeEvent(intake_id=intake.id, actor="bea", kind="status", new_value="ready_for_matching",
                          note="Sanne de Vries (sanne@example.nl) belde al"))
        intake.organisation, intake.timeframe = "Buurtvereniging van Sanne de Vries", "voor sanne@example.nl belt"
        anonymous = submit_intake(s, IntakeDraft(language="nl", description="Anonieme vraag over de Merenwijk"))
        refs = (intake.reference, anonymous.reference)
    yield sessions, store, refs
    store.engine.dispose()


def test_reference_in_any_spelling() -> None:
    assert parse_reference("mijn nummer is ls 2026 123") == "LS-2026-000123"
    assert parse_reference("LS-2026-000123") == "LS-2026-000123"
    assert parse_reference("nummer 123") is None


def test_names_are_masked_but_not_particles_or_longer_words() -> None:
    masked = mask_names("Sanne de Vries woont aan de Vriesestraat; sanne belt De Vries", ["Sanne de Vries"])
    assert masked == "[naam] woont aan de Vriesestraat; [naam] belt De [naam]"


def test_the_requester_must_give_the_reference_and_the_contact_they_gave(stored) -> None:  # type: ignore[no-untyped-def]
    sessions, _, (ref, anonymous_ref) = stored
    with sessions.begin() as s:
        assert find_for_requester(s, ref, "SANNE@example.nl") is not None
        assert find_for_requester(s, ref.lower().replace("-", " "), "mail: sanne@example.nl") is not None
        assert find_for_requester(s, ref, "iemand@example.nl") is None
        assert find_for_requester(s, ref, "06 12345678") is None  # not the contact they gave
        assert find_for_requester(s, anonymous_ref, "sanne@example.nl") is None  # no contact: cannot be proven


def test_erasure_removes_contact_transcript_and_personal_data_and_tells_the_backend(stored) -> None:  # type: ignore[no-untyped-def]
    sessions, _, (ref, _) = stored
    assert count_events(sessions, "conv-sanne") > 0
    with sessions.begin() as s:
        intake = find_for_requester(s, ref, "sanne@example.nl")
        result = erase_intake(s, intake, "resident (chat)", "verzoek in de chat", RESIDENT, SETTINGS)
    assert result.contact_deleted and result.transcript_events >= 4 and result.backend_told
    assert count_events(sessions, "conv-sanne") == 0
    assert count_events(sessions, "conv-other") > 0  # another conversation is untouched
    with sessions() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == ref)).one()
        assert s.scalar(select(func.count()).select_from(Contact)) == 0
        assert "sanne" not in intake.description.lower() and "12345678" not in intake.description
        assert "[naam]" in intake.description and "Vriesestraat" in intake.description  # the question stays
        assert intake.sender_id is None and intake.erased_at is not None and not intake.consent_contact
        kept = [e.note or "" for e in intake.events] + [intake.organisation, intake.timeframe]
        assert not any("sanne" in n.lower() or "12345678" in n for n in kept), kept
        erased = [e for e in intake.events if e.kind == "erased"]
        assert len(erased) == 1 and erased[0].actor == "resident (chat)" and erased[0].note == "verzoek in de chat"
        messages = s.scalars(select(OutboxMessage).where(OutboxMessage.destination == "matching").order_by(OutboxMessage.id)).all()
        assert [m.event_type for m in messages] == ["intake.ready", "intake.erased"]
        assert all("sanne" not in m.payload.lower() for m in messages)
        jsonschema.validate(json.loads(messages[1].payload), ERASED_SCHEMA, format_checker=jsonschema.FormatChecker())
    with sessions.begin() as s:  # twice changes nothing
        intake = s.scalars(select(Intake).where(Intake.reference == ref)).one()
        assert erase_intake(s, intake, "ada", "nogmaals", BROKER, SETTINGS).already
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.destination == "matching")) == 2
        assert s.scalar(select(func.count()).select_from(IntakeEvent).where(IntakeEvent.kind == "erased")) == 1


def test_the_tracker_store_forgets_a_conversation_when_asked(database_url: str) -> None:
    sessions = session_factory(database_url)
    store = tracker_store(database_url)
    try:
        save_conversation(store, "conv-keep", "Deze vraag mag bewaard worden, over de Stevenshof")
        save_conversation(store, "conv-forget", "Deze vraag niet bewaren, over de Stevenshof", forget=True)
        assert count_events(sessions, "conv-keep") > 0
        assert count_events(sessions, "conv-forget") == 0
        assert asyncio.run(store.retrieve("conv-forget")) is None
    finally:
        store.engine.dispose()


def test_erasure_from_the_command_line_for_a_request_by_letter(stored, database_url: str) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    sessions, _, (ref, _) = stored
    stadsvraag = str(Path(sys.executable).parent / "stadsvraag")
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    refused = subprocess.run([stadsvraag, "erase", ref, "--reason", " "], capture_output=True, text=True, env=env)
    assert refused.returncode == 2 and "--reason" in refused.stderr
    done = subprocess.run([stadsvraag, "erase", ref, "--reason", "brief van 1 december", "--actor", "privacy:jan"],
                          capture_output=True, text=True, env=env, check=True)
    assert json.loads(done.stdout)["contact_deleted"] is True
    with sessions() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == ref)).one()
        erased = [e for e in intake.events if e.kind == "erased"]
        assert intake.erased_at and (erased[0].actor, erased[0].note) == ("privacy:jan", "brief van 1 december")
    again = subprocess.run([stadsvraag, "erase", ref, "--reason", "nogmaals"], capture_output=True, text=True, env=env,
                           check=True)
    assert json.loads(again.stdout)["already"] is True
