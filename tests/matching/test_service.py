"""The embedded matching service speaks the handoff contract: signed deliveries, idempotent by webhook id, its own
tables, erasure, and signed callbacks from its own outbox (through the real ASGI app)."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.config import MatchingSettings
from bot.handoff.signing import sign_headers, verify
from bot.matching.app import create_app
from bot.matching.callbacks import CallbackSender
from bot.matching.service import change_status
from bot.matching.store import Callback, Question, QuestionEvent

DELIVERY = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
CALLBACK = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
INTAKE = {"schema_version": "1", "event": "intake.ready", "id": "0b6f2a4e-0000-4000-8000-000000000001",
          "reference": "LS-2026-000042", "language": "nl", "description": "Zwerfafval bij het winkelcentrum, mail a@b.nl",
          "theme": {"id": "public_space"}, "neighbourhood": {"name": "Stevenshof"}, "urgency": "normal",
          "consent": {"store": True, "share_with_partners": True, "contact": True, "share_contact": True},
          "contact": {"name": "Sanne", "email": "a@b.nl", "phone": None}}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[TestClient]:
    settings = MatchingSettings(port=0, database_url=f"sqlite:///{tmp_path / 'matching.db'}", secret=DELIVERY,
                                callback_secret=CALLBACK, callback_url="http://127.0.0.1:9/api/intakes")
    with TestClient(create_app(settings, send_callbacks=False)) as client:
        yield client


def deliver(client: TestClient, body: dict, webhook_id: str, secret: str = DELIVERY):  # type: ignore[no-untyped-def]
    raw = json.dumps(body)
    return client.post("/webhooks/intake", content=raw.encode(), headers=sign_headers(secret, webhook_id, raw))


def test_a_delivery_is_kept_once_and_answered_with_a_match_id(service: TestClient) -> None:
    first = deliver(service, INTAKE, "msg_1")
    assert first.status_code == 200 and first.json()["match_id"].startswith("m_")
    again = deliver(service, INTAKE, "msg_1")  # the dispatcher retried: nothing new
    assert again.status_code == 200 and again.json()["match_id"] == first.json()["match_id"]
    assert deliver(service, INTAKE, "msg_2", secret=CALLBACK).status_code == 401  # not our delivery key
    with service.app.state.sessions() as s:  # type: ignore[attr-defined]
        (question,) = s.scalars(select(Question)).all()
        assert (question.reference, question.theme, question.status) == ("LS-2026-000042", "public_space", "received")
        (callback,) = s.scalars(select(Callback)).all()
        body = json.loads(callback.body)
        assert body == {"id": INTAKE["id"], "status": "received", "match_id": question.match_id, "note": None,
                        "public_note": None}


def test_erasure_removes_what_was_sent_of_the_person(service: TestClient) -> None:
    deliver(service, INTAKE, "msg_1")
    erased = {"schema_version": "1", "event": "intake.erased", "id": INTAKE["id"], "reference": "LS-2026-000042",
              "erased_at": "2026-12-05T10:00:00+00:00", "reason": "resident_request"}
    assert deliver(service, erased, "msg_2").json()["result"] == "erased"
    with service.app.state.sessions() as s:  # type: ignore[attr-defined]
        question = s.scalars(select(Question)).one()
        assert question.erased_at is not None and question.payload is None and question.description is None
        assert "a@b.nl" not in json.dumps([e.note for e in s.scalars(select(QuestionEvent))])


def test_steps_follow_the_transition_table_and_callbacks_are_signed_for_the_assistant(service: TestClient) -> None:
    deliver(service, INTAKE, "msg_1")
    sessions = service.app.state.sessions  # type: ignore[attr-defined]
    with sessions.begin() as s:
        question = s.scalars(select(Question)).one()
        change_status(s, question, "matched", "broker:bea", "Minor Stadslab, februari")
        with pytest.raises(ValueError):
            change_status(s, question, "done", "broker:bea")
    # the assistant is not reachable (port 9): the callbacks stay, to be retried
    sender = CallbackSender(sessions, service.app.state.settings)  # type: ignore[attr-defined]
    assert sender.send_due() == 2
    with sessions() as s:
        rows = s.scalars(select(Callback).order_by(Callback.id)).all()
        assert [(c.status, c.attempts) for c in rows] == [("pending", 1), ("pending", 1)]
        assert json.loads(rows[1].body)["status"] == "matched"
        signed = sign_headers(CALLBACK, rows[1].webhook_id, rows[1].body)
        assert verify(CALLBACK, rows[1].body.encode(), signed)["note"] == "Minor Stadslab, februari"
    sender.close()
