"""Telegram and WhatsApp (Twilio) for neighbourhood workers, against the real Rasa server.

Updates are shaped exactly like the providers' documented webhook payloads; the connectors' outgoing API
calls go to a local recorder (the only thing mocked: the third-party SaaS at its network seam).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.config import Settings
from bot.db import session_factory
from bot.models import Contact, Intake
from bot.runner import Stack
from bot.training import train_if_stale
from tests.e2e.conftest import free_port
from tests.e2e.provider_recorder import BOT_USERNAME, ProviderRecorder

pytestmark = pytest.mark.e2e
TWILIO_TOKEN = "twilio-test-auth-token"
TWILIO_HOOK = "https://stadsvraag.example/webhooks/twilio/webhook"


@pytest.fixture(scope="module")
def channels() -> Iterator[tuple[Stack, ProviderRecorder]]:
    recorder = ProviderRecorder().start()
    tmp = Path(tempfile.mkdtemp())
    settings = Settings(database_url=f"sqlite:///{tmp / 'channels.db'}", rasa_url="", action_port=free_port(),
                        rasa_port=free_port(), web_port=free_port(), web_host="127.0.0.1")
    stack = Stack(settings, train_if_stale(), log_dir=tmp / "log", extra_env={
        "TELEGRAM_TOKEN": "123456:TEST-token", "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
        "TELEGRAM_WEBHOOK_URL": "https://stadsvraag.example/webhooks/telegram/webhook",
        "TELEGRAM_API_URL": recorder.url, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_NUMBER": "whatsapp:+14155238886", "TWILIO_WEBHOOK_URL": TWILIO_HOOK, "TWILIO_API_URL": recorder.url})
    stack.start()
    try:
        yield stack, recorder
    finally:
        stack.stop()
        recorder.stop()


def telegram(stack: Stack, update_id: int, text: str | None = None, callback: str | None = None) -> None:
    chat = {"id": 555001, "first_name": "Fatima", "type": "private"}
    sender = {"id": 555001, "is_bot": False, "first_name": "Fatima", "language_code": "nl"}
    if callback is None:
        update = {"update_id": update_id, "message": {"message_id": update_id, "from": sender, "chat": chat,
                                                      "date": int(time.time()), "text": text}}
    else:
        update = {"update_id": update_id, "callback_query": {
            "id": str(update_id), "from": sender, "chat_instance": "1", "data": callback,
            "message": {"message_id": update_id - 1, "from": {"id": 42, "is_bot": True, "first_name": "Stadsvraag"},
                        "chat": chat, "date": int(time.time()), "text": "..."}}}
    r = httpx.post(f"http://127.0.0.1:{stack.settings.rasa_port}/webhooks/telegram/webhook", json=update, timeout=60)
    assert r.status_code == 200 and r.text == "success", r.text


def whatsapp(stack: Stack, text: str, sign: bool = True) -> httpx.Response:
    params = {"MessageSid": "SM" + "2" * 32, "AccountSid": "AC" + "1" * 32, "From": "whatsapp:+31612345678",
              "To": "whatsapp:+14155238886", "Body": text, "NumMedia": "0", "ProfileName": "Joost"}
    headers = {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(TWILIO_HOOK, params)} if sign else {}
    return httpx.post(f"http://127.0.0.1:{stack.settings.rasa_port}/webhooks/twilio/webhook", data=params,
                      headers=headers, timeout=60)


def test_a_worker_logs_two_questions_on_telegram(channels) -> None:  # type: ignore[no-untyped-def]
    stack, recorder = channels
    assert recorder.sent("/setWebhook"), "the connector registers its webhook at start-up"
    telegram(stack, 1, "ik ben buurtwerker en wil een vraag doorgeven")
    telegram(stack, 2, "Buurt: Stevenshof. Thema: jongeren. Urgentie: hoog. Vraag: Jongeren hangen 's avonds "
                       "rond bij het winkelcentrum en bewoners voelen zich onveilig.")
    telegram(stack, 3, "Buurtteam Stevenshof")
    telegram(stack, 4, callback='/choose{"consent_store":true,"consent_share":true}')
    telegram(stack, 5, "Fatima el Amrani, fatima@example.nl")
    telegram(stack, 9, callback="/affirm")
    # a second question in the same conversation: no questions about the worker again
    before = len(recorder.sent("/sendMessage"))
    telegram(stack, 10, "Buurt: de Kooi. Thema: armoede. Urgentie: normaal. Vraag: Veel gezinnen in de flats kunnen "
                       "de energierekening niet betalen en kinderen stoppen met sport.")
    summary = [m["text"] for m in recorder.sent("/sendMessage")[before:]]
    assert any("De Kooi" in t for t in summary) and any("Fatima el Amrani" in t for t in summary), summary
    telegram(stack, 11, callback="/affirm")

    texts = [m.get("text", "") for m in recorder.sent("/sendMessage")]
    assert any(t.startswith("Fijn dat je als buurtwerker") for t in texts)
    assert sum("Je nummer is LS-" in t for t in texts) == 2
    assert all(m["chat_id"] == "555001" for m in recorder.sent("/sendMessage"))
    with session_factory(stack.settings.database_url)() as s:
        intakes = s.scalars(select(Intake).where(Intake.sender_id == "555001").order_by(Intake.id)).all()
        assert [(i.channel, i.asker_role, i.organisation) for i in intakes] == [
            ("telegram", "neighbourhood_worker", "Buurtteam Stevenshof")] * 2
        assert [i.neighbourhood_code for i in intakes] == ["WK054609", "BU05460302"]
        assert [i.urgency for i in intakes] == ["high", "normal"]
        assert intakes[1].theme == "poverty_livelihood"
        contacts = s.scalars(select(Contact).where(Contact.intake_id.in_([i.id for i in intakes]))).all()
        assert [(c.name, c.email) for c in contacts] == [("Fatima el Amrani", "fatima@example.nl")] * 2
        # the worker answered the consent questions once; both questions carry those answers
        for intake in intakes:
            assert {c.kind: c.given for c in intake.consents} == {"store": True, "share": True, "contact": True}
        assert {c.kind: c.answered_at for c in intakes[0].consents} == {c.kind: c.answered_at
                                                                         for c in intakes[1].consents}


def test_a_worker_logs_a_question_on_whatsapp(channels) -> None:  # type: ignore[no-untyped-def]
    stack, recorder = channels
    assert whatsapp(stack, "hello", sign=False).status_code == 403  # unsigned: refused, nothing recorded
    for text in ["I'm a community worker logging a question for residents",
                 "Neighbourhood: de Kooi. Theme: poverty. Urgency: no rush. Question: Many families in the flats "
                 "cannot pay the energy bill and their children stop doing sports.",
                 "Neighbourhood team North", "yes", "no", "yes"]:
        assert whatsapp(stack, text).status_code == 204
    replies = recorder.sent("/Messages.json")
    assert all(r["To"] == "whatsapp:+31612345678" and r["From"] == "whatsapp:+14155238886" for r in replies)
    assert any("Your reference number is LS-" in r["Body"] for r in replies), [r["Body"] for r in replies]
    with session_factory(stack.settings.database_url)() as s:
        intake = s.scalars(select(Intake).where(Intake.sender_id == "whatsapp:+31612345678")).one()
        assert (intake.channel, intake.asker_role, intake.language) == ("whatsapp", "neighbourhood_worker", "en")
        assert (intake.neighbourhood_code, intake.urgency, intake.consent_contact) == ("BU05460302", "low", False)
