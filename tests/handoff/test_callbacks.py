"""Callbacks from the matching backend: their own key, and a signed status applies only to the intake it names.

Against the real web app (Starlette, in-process) and a real database of each kind.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.config import ConfigError, HandoffSettings, Settings
from bot.handoff.signing import sign_headers
from bot.review.workflow import change_status
from bot.storage.db import session_factory
from bot.storage.models import Intake
from tests.handoff.conftest import fast_settings
from tests.handoff.test_handoff import make_intakes

STATUS_SCHEMA = json.loads(Path("schemas/intake-status.v1.json").read_text())


def handed_off_intakes(database_url: str, secret: str, n: int) -> list[str]:
    sessions = session_factory(database_url)
    make_intakes(sessions, fast_settings(None, secret), n)
    with sessions.begin() as s:
        intakes = s.scalars(select(Intake).order_by(Intake.id)).all()
        for intake in intakes:
            change_status(s, intake, "handed_off", "handoff")
        return [i.uuid for i in intakes]


def web_app(database_url: str) -> TestClient:
    from bot.web.app import create_app

    return TestClient(create_app(Settings(database_url=database_url, rasa_url="http://127.0.0.1:9", action_port=0,
                                          rasa_port=0, web_port=0, web_host="127.0.0.1")))


def post_status(client: TestClient, url_id: str, body: dict, key: str, webhook_id: str):  # type: ignore[no-untyped-def]
    content = json.dumps(body)
    return client.post(f"/api/intakes/{url_id}/status", content=content,
                       headers=sign_headers(key, webhook_id, content))


def state(database_url: str, intake_id: str) -> tuple[str, str | None, str | None]:
    with session_factory(database_url)() as s:
        intake = s.scalars(select(Intake).where(Intake.uuid == intake_id)).one()
        return intake.status, intake.matching_status, intake.match_id


def test_callbacks_are_refused_without_their_own_secret(database_url: str, secret: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Only the delivery key is set: callbacks are not configured (503), even when signed with that key."""
    monkeypatch.setenv("MATCHING_BACKEND_SECRET", secret)
    monkeypatch.delenv("MATCHING_CALLBACK_SECRET", raising=False)
    monkeypatch.delenv("MATCHING_BACKEND_URL", raising=False)
    [intake_id] = handed_off_intakes(database_url, secret, 1)
    r = post_status(web_app(database_url), intake_id, {"id": intake_id, "status": "matched"}, secret, "cb_1")
    assert r.status_code == 503 and r.json() == {"error": "callbacks are not configured"}
    assert state(database_url, intake_id) == ("handed_off", None, None)


def test_a_callback_signed_with_the_delivery_key_is_refused(database_url: str, secret: str, callback_secret: str,  # type: ignore[no-untyped-def]
                                                             monkeypatch) -> None:
    monkeypatch.setenv("MATCHING_BACKEND_SECRET", secret)
    monkeypatch.setenv("MATCHING_CALLBACK_SECRET", callback_secret)
    monkeypatch.delenv("MATCHING_BACKEND_URL", raising=False)
    [intake_id] = handed_off_intakes(database_url, secret, 1)
    client = web_app(database_url)
    body = {"id": intake_id, "status": "matched", "match_id": "course-7"}
    assert post_status(client, intake_id, body, secret, "cb_1").status_code == 401  # whoever holds our key
    assert state(database_url, intake_id) == ("handed_off", None, None)
    assert post_status(client, intake_id, body, callback_secret, "cb_2").status_code == 200
    assert state(database_url, intake_id) == ("matched", "matched", "course-7")


def test_a_signed_status_cannot_be_replayed_onto_another_intake(database_url: str, secret: str,  # type: ignore[no-untyped-def]
                                                               callback_secret: str, monkeypatch) -> None:
    monkeypatch.setenv("MATCHING_BACKEND_SECRET", secret)
    monkeypatch.setenv("MATCHING_CALLBACK_SECRET", callback_secret)
    monkeypatch.delenv("MATCHING_BACKEND_URL", raising=False)
    a, b = handed_off_intakes(database_url, secret, 2)
    client = web_app(database_url)
    for_a = {"id": a, "status": "declined", "note": "geen partner gevonden"}
    jsonschema.validate(for_a, STATUS_SCHEMA)
    content = json.dumps(for_a)
    headers = sign_headers(callback_secret, "cb_a", content)  # captured on its way to intake A
    r = client.post(f"/api/intakes/{b}/status", content=content, headers=headers)
    assert r.status_code == 422 and "id in the body" in r.json()["result"]
    assert state(database_url, b) == ("handed_off", None, None)
    without_id = {"status": "matched"}
    assert post_status(client, b, without_id, callback_secret, "cb_b").status_code == 422
    assert state(database_url, b) == ("handed_off", None, None)
    # the refused replay did not use up A's webhook-id: A's own callback still applies
    assert client.post(f"/api/intakes/{a}/status", content=content, headers=headers).status_code == 200
    assert state(database_url, a) == ("in_review", "declined", None)


@pytest.mark.parametrize("value, message", [
    ("same", "equals MATCHING_BACKEND_SECRET"),
    ("whsec_tooshort", "MATCHING_CALLBACK_SECRET is"),
    ("not-a-webhook-secret", "MATCHING_CALLBACK_SECRET does not start with 'whsec_'"),
])
def test_a_callback_secret_that_is_the_delivery_key_or_malformed_stops_the_start(  # type: ignore[no-untyped-def]
        secret: str, monkeypatch, value: str, message: str) -> None:
    monkeypatch.setenv("MATCHING_BACKEND_SECRET", secret)
    monkeypatch.setenv("MATCHING_CALLBACK_SECRET", secret if value == "same" else value)
    monkeypatch.delenv("MATCHING_BACKEND_URL", raising=False)
    with pytest.raises(ConfigError, match=message) as err:
        HandoffSettings.from_env()
    assert "Fix: set MATCHING_CALLBACK_SECRET" in str(err.value)
