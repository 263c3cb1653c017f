"""Handoff against a real HTTP receiver: every intake delivered exactly once (de-duplicated) or dead-lettered."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.config import Settings
from bot.handoff.delivery import Dispatcher
from bot.handoff.outbox import DEAD, DELIVERED, PENDING, approve, retry_dead, submit_confirmed
from bot.handoff.signing import sign_headers
from bot.review.workflow import TransitionError
from bot.storage.db import session_factory
from bot.storage.intakes import IntakeDraft, submit_intake
from bot.storage.models import Intake, IntakeEvent, OutboxMessage
from bot.storage.outbox import MATCHING
from tests.handoff.conftest import fast_settings, free_port, record_fault
from tests.handoff.receiver import Receiver

SCHEMA = json.loads(Path("schemas/intake.v1.json").read_text())
STADSVRAAG = str(Path(sys.executable).parent / "stadsvraag")


def make_intakes(sessions, settings, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    refs = []
    with sessions.begin() as s:
        for i in range(n):
            intake = submit_intake(s, IntakeDraft(
                language="nl", description=f"Vraag {i}: er ligt veel zwerfafval rond het winkelcentrum",
                theme="sustainability_biodiversity", theme_confidence=0.61,
                theme_alternatives=["sustainability_biodiversity", "housing_living", "safety"],
                neighbourhood_kind="neighbourhood", neighbourhood_code="BU05460302", neighbourhood_name="De Kooi",
                district_code="WK054603", district_name="Leiden-Noord", urgency="normal", asker_role="resident",
                consent_contact=True, contact_name="Sanne", contact_email="sanne@example.nl"))
            approve(s, intake, "broker:test", settings)
            refs.append(intake.reference)
    return refs


def run_until_settled(dispatcher: Dispatcher, sessions, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    thread = threading.Thread(target=dispatcher.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with sessions() as s:
                open_ = s.scalar(select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.destination == MATCHING, OutboxMessage.status.notin_([DELIVERED, DEAD])))
            if open_ == 0:
                return
            time.sleep(0.1)
        raise AssertionError("outbox did not settle in time")
    finally:
        dispatcher.stop.set()
        thread.join(timeout=10)


def counts(sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        # the handoff's rows only: status updates for residents are tests/notify's
        return dict(s.execute(select(OutboxMessage.status, func.count()).where(OutboxMessage.destination == MATCHING)
                              .group_by(OutboxMessage.status)).all())


def kind(url: str) -> str:
    return url.split(":", 1)[0]


def test_payload_follows_the_schema_and_carries_no_contact_without_consent_to_share(
        database_url: str, secret: str, receiver: Receiver) -> None:
    sessions = session_factory(database_url)
    settings = fast_settings(receiver.url, secret)
    make_intakes(sessions, settings, 2)
    run_until_settled(Dispatcher(sessions, settings), sessions)
    assert len(receiver.processed) == 2 and receiver.bad_signatures == 0
    for payload in receiver.processed.values():
        jsonschema.validate(payload, SCHEMA, format_checker=jsonschema.FormatChecker())
        assert "contact" not in payload and "sanne" not in json.dumps(payload).lower()
        assert payload["theme"]["alternatives"] == ["sustainability_biodiversity", "housing_living", "safety"]
    with sessions() as s:
        intakes = s.scalars(select(Intake)).all()
        assert {i.status for i in intakes} == {"handed_off"}
        assert all(i.match_id and i.match_id.startswith("m-") for i in intakes)
        history = s.scalars(select(IntakeEvent.new_value).where(IntakeEvent.kind == "status")).all()
        assert history.count("ready_for_matching") == 2 and history.count("handed_off") == 2


def test_backend_down_then_up(database_url: str, secret: str) -> None:
    port = free_port()
    receiver = Receiver(secret, port=port)
    sessions = session_factory(database_url)
    settings = fast_settings(receiver.url, secret)
    make_intakes(sessions, settings, 5)
    dispatcher = Dispatcher(sessions, settings)
    thread = threading.Thread(target=dispatcher.run, daemon=True)
    thread.start()
    time.sleep(1.0)  # backend down: connection refused, retried
    with sessions() as s:
        assert s.scalar(select(func.max(OutboxMessage.attempts)).where(OutboxMessage.destination == MATCHING)) >= 1
        assert s.scalar(select(func.count()).where(OutboxMessage.status == DELIVERED)) == 0
    receiver.start()
    try:
        dispatcher.stop.set()
        thread.join(10)
        run_until_settled(Dispatcher(sessions, settings), sessions)
        assert len(receiver.processed) == 5 and counts(sessions) == {DELIVERED: 5}
        record_fault("backend down, then up", kind(database_url), 5, receiver, 0)
    finally:
        receiver.stop()


def test_slow_backend_beyond_the_timeout_is_retried_and_deduplicated(database_url: str, secret: str) -> None:
    receiver = Receiver(secret, behaviour=lambda wid, seen: (200, {}, 1.5 if seen == 0 else 0.0)).start()
    try:
        sessions = session_factory(database_url)
        settings = fast_settings(receiver.url, secret, timeout=0.5)
        make_intakes(sessions, settings, 3)
        run_until_settled(Dispatcher(sessions, settings), sessions)
        time.sleep(1.6)  # let the slow first requests finish on the receiver's side
        assert len(receiver.processed) == 3 and counts(sessions) == {DELIVERED: 3}
        assert all(n >= 2 for n in receiver.raw.values())  # the receiver saw retries with the same webhook-id
        record_fault("slow beyond the timeout", kind(database_url), 3, receiver, 0)
    finally:
        receiver.stop()


def test_server_errors_are_retried(database_url: str, secret: str) -> None:
    receiver = Receiver(secret, behaviour=lambda wid, seen: (500 if seen < 2 else 200, {}, 0.0)).start()
    try:
        sessions = session_factory(database_url)
        settings = fast_settings(receiver.url, secret)
        make_intakes(sessions, settings, 4)
        run_until_settled(Dispatcher(sessions, settings), sessions)
        assert len(receiver.processed) == 4 and set(receiver.raw.values()) == {3}
        with sessions() as s:
            assert set(s.scalars(select(OutboxMessage.attempts).where(OutboxMessage.destination == MATCHING)).all()) == {3}
        record_fault("HTTP 500 twice, then 200", kind(database_url), 4, receiver, 0)
    finally:
        receiver.stop()


def test_429_retry_after_is_honoured(database_url: str, secret: str) -> None:
    receiver = Receiver(secret, behaviour=lambda wid, seen: (429, {"Retry-After": "1"}, 0.0) if seen == 0
                        else (200, {}, 0.0)).start()
    try:
        sessions = session_factory(database_url)
        settings = fast_settings(receiver.url, secret)
        make_intakes(sessions, settings, 2)
        run_until_settled(Dispatcher(sessions, settings), sessions)
        assert len(receiver.processed) == 2
        for times in receiver.times.values():
            assert times[1] - times[0] >= 0.95  # waited as asked, not the 0.05 s backoff
        record_fault("HTTP 429 with Retry-After: 1", kind(database_url), 2, receiver, 0)
    finally:
        receiver.stop()


def test_400_goes_to_dead_letter_with_the_response_and_can_be_retried(database_url: str, secret: str) -> None:
    answers = {"code": 400}
    receiver = Receiver(secret, behaviour=lambda wid, seen: (answers["code"], {}, 0.0)).start()
    try:
        sessions = session_factory(database_url)
        settings = fast_settings(receiver.url, secret)
        make_intakes(sessions, settings, 2)
        run_until_settled(Dispatcher(sessions, settings), sessions)
        assert counts(sessions) == {DEAD: 2} and len(receiver.processed) == 0
        with sessions() as s:
            dead = s.scalars(select(OutboxMessage).where(OutboxMessage.destination == MATCHING)).all()
            assert all(m.attempts == 1 and m.last_status_code == 400 and '"error"' in m.response_body for m in dead)
            assert {i.status for i in s.scalars(select(Intake))} == {"ready_for_matching"}
        record_fault("HTTP 400 (dead letter)", kind(database_url), 2, receiver, 2)
        answers["code"] = 200  # the broker fixed the cause and retries
        with sessions.begin() as s:
            assert all(retry_dead(s, m.id) for m in dead)
        run_until_settled(Dispatcher(sessions, settings), sessions)
        assert counts(sessions) == {DELIVERED: 2} and len(receiver.processed) == 2
        record_fault("dead letter retried by the broker", kind(database_url), 2, receiver, 0)
    finally:
        receiver.stop()


def test_retry_window_ends_in_dead_letter(database_url: str, secret: str) -> None:
    receiver = Receiver(secret, behaviour=lambda wid, seen: (503, {}, 0.0)).start()
    try:
        sessions = session_factory(database_url)
        settings = fast_settings(receiver.url, secret, retry_window=0.5)
        make_intakes(sessions, settings, 1)
        run_until_settled(Dispatcher(sessions, settings), sessions)
        with sessions() as s:
            message = s.scalars(select(OutboxMessage).where(OutboxMessage.destination == MATCHING)).one()
            assert message.status == DEAD and message.attempts >= 2 and message.last_status_code == 503
    finally:
        receiver.stop()


def test_without_a_backend_intakes_wait_in_the_outbox(database_url: str, secret: str) -> None:
    sessions = session_factory(database_url)
    make_intakes(sessions, fast_settings(None, secret), 2)
    Dispatcher(sessions, fast_settings(None, secret)).run(once=True)
    assert counts(sessions) == {PENDING: 2}
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("MATCHING_BACKEND_URL", None)
    status = subprocess.run([STADSVRAAG, "handoff", "status"], env=env, capture_output=True, text=True, check=True)
    assert "waiting for the matching backend" in status.stdout and '"pending": 2' in status.stdout


def test_approval_and_outbox_are_one_transaction(database_url: str, secret: str) -> None:
    sessions = session_factory(database_url)
    settings = fast_settings(None, secret)
    make_intakes(sessions, settings, 1)
    with pytest.raises(TransitionError):
        with sessions.begin() as s:  # approving twice is not a valid transition: nothing is written
            approve(s, s.scalars(select(Intake)).one(), "broker:test", settings)
    assert counts(sessions) == {PENDING: 1}


def test_handoff_right_after_confirmation_when_configured(database_url: str, secret: str) -> None:
    sessions = session_factory(database_url)
    settings = fast_settings(None, secret, after="confirmation")
    with sessions.begin() as s:
        intake = submit_confirmed(s, IntakeDraft(language="en", description="Too much litter in the park"), settings)
        assert intake.status == "ready_for_matching"
    assert counts(sessions) == {PENDING: 1}


def _dispatcher_env(database_url: str, url: str, secret: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "MATCHING_BACKEND_URL": url,
            "MATCHING_BACKEND_SECRET": secret, "HANDOFF_POLL": "0.05", "HANDOFF_BACKOFF_BASE": "0.05",
            "HANDOFF_BACKOFF_CAP": "0.5", "HANDOFF_TIMEOUT": "5", **extra}


@pytest.mark.postgres
def test_dispatcher_killed_mid_delivery_loses_nothing(secret: str) -> None:
    from tests.conftest import _postgres_database

    for url in _postgres_database():
        from bot.storage.db import upgrade

        upgrade(url)
        receiver = Receiver(secret, behaviour=lambda wid, seen: (200, {}, 2.0 if seen == 0 else 0.0)).start()
        try:
            sessions = session_factory(url)
            make_intakes(sessions, fast_settings(receiver.url, secret), 6)
            env = _dispatcher_env(url, receiver.url, secret, HANDOFF_LEASE="1", HANDOFF_BATCH="3")
            first = subprocess.Popen([STADSVRAAG, "handoff", "run"], env=env, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while not receiver.raw and time.monotonic() < deadline:
                time.sleep(0.05)
            assert receiver.raw, "the first dispatcher never started delivering"
            os.kill(first.pid, signal.SIGKILL)  # mid-delivery: the receiver is still answering
            first.wait()
            second = subprocess.Popen([STADSVRAAG, "handoff", "run"], env=env, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 60
                while counts(sessions).get(DELIVERED, 0) < 6 and time.monotonic() < deadline:
                    time.sleep(0.2)
            finally:
                second.terminate()
                second.wait(10)
            time.sleep(2.1)
            assert counts(sessions) == {DELIVERED: 6}
            assert len(receiver.processed) == 6
            record_fault("dispatcher killed with SIGKILL mid-delivery", "postgresql", 6, receiver, 0)
        finally:
            receiver.stop()
            session_factory(url).kw["bind"].dispose()


@pytest.mark.postgres
def test_two_dispatchers_on_postgresql_share_the_work(secret: str) -> None:
    from tests.conftest import _postgres_database

    for url in _postgres_database():
        from bot.storage.db import upgrade

        upgrade(url)
        receiver = Receiver(secret, behaviour=lambda wid, seen: (200, {}, 0.02)).start()
        try:
            sessions = session_factory(url)
            make_intakes(sessions, fast_settings(receiver.url, secret), 40)
            env = _dispatcher_env(url, receiver.url, secret, HANDOFF_BATCH="2")
            procs = [subprocess.Popen([STADSVRAAG, "handoff", "run"], env=env, stderr=subprocess.DEVNULL)
                     for _ in range(2)]
            try:
                deadline = time.monotonic() + 60
                while counts(sessions).get(DELIVERED, 0) < 40 and time.monotonic() < deadline:
                    time.sleep(0.2)
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(10)
            assert counts(sessions) == {DELIVERED: 40}
            assert len(receiver.processed) == 40 and receiver.duplicates == 0  # SKIP LOCKED: no double claims
            record_fault("two dispatchers at once", "postgresql", 40, receiver, 0)
        finally:
            receiver.stop()
            session_factory(url).kw["bind"].dispose()


def test_callbacks_are_verified_idempotent_and_recorded(database_url: str, secret: str, callback_secret: str,  # type: ignore[no-untyped-def]
                                                       monkeypatch) -> None:
    from datetime import datetime, timedelta, timezone

    from bot.web.app import create_app

    monkeypatch.setenv("MATCHING_BACKEND_SECRET", secret)
    monkeypatch.setenv("MATCHING_CALLBACK_SECRET", callback_secret)
    monkeypatch.delenv("MATCHING_BACKEND_URL", raising=False)
    sessions = session_factory(database_url)
    settings = fast_settings(None, secret)
    make_intakes(sessions, settings, 1)
    with sessions.begin() as s:
        intake = s.scalars(select(Intake)).one()
        from bot.review.workflow import change_status

        change_status(s, intake, "handed_off", "handoff")
        intake_id = intake.uuid
    app = create_app(Settings(database_url=database_url, rasa_url="http://127.0.0.1:9", action_port=0,
                              rasa_port=0, web_port=0, web_host="127.0.0.1"))
    client = TestClient(app)
    path = f"/api/intakes/{intake_id}/status"
    body = json.dumps({"id": intake_id, "status": "matched", "match_id": "course-42", "note": "Minor Urban Studies"})

    def post(content: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
        return client.post(path, content=content, headers=headers)

    good = sign_headers(callback_secret, "cb_1", body)
    assert post(body, good).status_code == 200
    assert post(body, good).json() == {"result": "already processed"}  # idempotent
    tampered = body.replace("course-42", "course-66")
    assert post(tampered, good).status_code == 401
    stale = sign_headers(callback_secret, "cb_2", body, at=datetime.now(timezone.utc) - timedelta(minutes=10))
    assert post(body, stale).status_code == 401
    assert post(body, {"content-type": "application/json"}).status_code == 401
    other_secret = "whsec_" + "A" * 43
    assert post(body, sign_headers(other_secret, "cb_3", body)).status_code == 401
    bad_status = json.dumps({"id": intake_id, "status": "exploded"})
    assert post(bad_status, sign_headers(callback_secret, "cb_4", bad_status)).status_code == 422
    with sessions() as s:
        intake = s.scalars(select(Intake)).one()
        assert (intake.status, intake.match_id, intake.matching_status) == ("matched", "course-42", "matched")
        matching = s.scalars(select(IntakeEvent).where(IntakeEvent.kind == "matching")).all()
        assert len(matching) == 1 and matching[0].actor == "matching-backend"


ERASED_SCHEMA = json.loads(Path("schemas/intake-erased.v1.json").read_text())


def test_contact_travels_only_with_consent_to_share_and_erasure_is_announced_signed(
        database_url: str, secret: str, receiver: Receiver) -> None:
    from bot.privacy.erasure import BROKER, erase_intake

    sessions = session_factory(database_url)
    settings = fast_settings(receiver.url, secret)
    cases = {"share+contact": (True, True), "share only": (True, False), "contact only": (False, True)}
    refs: dict[str, str] = {}
    with sessions.begin() as s:
        for label, (share, contact) in cases.items():
            intake = submit_intake(s, IntakeDraft(
                language="nl", description=f"Vraag ({label}): te weinig groen in de straat van Sanne Jansen",
                theme="sustainability_biodiversity", asker_role="resident", consent_share=share,
                consent_contact=contact, contact_name="Sanne Jansen" if contact else None,
                contact_email="sanne@example.nl" if contact else None))
            approve(s, intake, "broker:test", settings)
            refs[label] = intake.reference
    run_until_settled(Dispatcher(sessions, settings), sessions)
    by_ref = {p["reference"]: p for p in receiver.processed.values()}
    for label, (share, contact) in cases.items():
        payload = by_ref[refs[label]]
        jsonschema.validate(payload, SCHEMA, format_checker=jsonschema.FormatChecker())
        assert payload["consent"] == {"store": True, "share_with_partners": share, "contact": contact,
                                      "share_contact": share and contact}
        assert ("contact" in payload) == (share and contact), label
    assert by_ref[refs["share+contact"]]["contact"]["email"] == "sanne@example.nl"

    with sessions.begin() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == refs["share+contact"])).one()
        erase_intake(s, intake, "ada", "verzoek per brief", BROKER, settings)
    run_until_settled(Dispatcher(sessions, settings), sessions)
    erased = [p for p in receiver.processed.values() if p.get("event") == "intake.erased"]
    assert len(erased) == 1 and receiver.bad_signatures == 0
    jsonschema.validate(erased[0], ERASED_SCHEMA, format_checker=jsonschema.FormatChecker())
    assert erased[0]["reference"] == refs["share+contact"] and erased[0]["reason"] == "broker"
    assert "sanne" not in json.dumps(erased[0]).lower()
    with sessions() as s:  # the outbox keeps no copy of the personal data either
        payloads = s.scalars(select(OutboxMessage.payload).join(Intake, Intake.id == OutboxMessage.intake_id)
                             .where(Intake.reference == refs["share+contact"])).all()
        assert len([p for p in payloads if '"event":"intake.' in p]) == 2 and not any("sanne" in p.lower() for p in payloads)
        intake = s.scalars(select(Intake).where(Intake.reference == refs["share+contact"])).one()
        assert intake.status == "handed_off"  # an erasure event does not change the workflow
