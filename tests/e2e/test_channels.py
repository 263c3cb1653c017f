"""Telegram and WhatsApp (Twilio) for neighbourhood workers, against the real Rasa server.

Updates are shaped exactly like the providers' documented webhook payloads; the connectors' outgoing API
calls go to a local recorder (the only thing mocked: the third-party SaaS at its network seam).
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.config import Settings
from bot.runtime.runner import Stack
from bot.runtime.training import train_if_stale
from bot.storage.db import session_factory
from bot.storage.models import Contact, Intake
from tests.e2e.conftest import free_port
from tests.e2e.provider_recorder import BOT_USERNAME, ProviderRecorder

pytestmark = pytest.mark.e2e
TWILIO_TOKEN = "twilio-test-auth-token"
TWILIO_HOOK = "https://stadsvraag.example/webhooks/twilio/webhook"
TELEGRAM_SECRET = "tg-webhook-secret_" + "k" * 30


@pytest.fixture(scope="module")
def channels() -> Iterator[tuple[Stack, ProviderRecorder]]:
    recorder = ProviderRecorder().start()
    tmp = Path(tempfile.mkdtemp())
    settings = Settings(database_url=f"sqlite:///{tmp / 'channels.db'}", rasa_url="", action_port=free_port(),
                        rasa_port=free_port(), web_port=free_port(), web_host="127.0.0.1")
    stack = Stack(settings, train_if_stale(), log_dir=tmp / "log", extra_env={
        "TELEGRAM_TOKEN": "123456:TEST-token", "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
        "TELEGRAM_WEBHOOK_URL": "https://stadsvraag.example/webhooks/telegram/webhook",
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET, "TELEGRAM_API_URL": recorder.url, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_NUMBER": "whatsapp:+14155238886", "TWILIO_WEBHOOK_URL": TWILIO_HOOK, "TWILIO_API_URL": recorder.url})
    stack.start()
    try:
        yield stack, recorder
    finally:
        stack.stop()
        recorder.stop()


def telegram_update(update_id: int, text: str | None = None, callback: str | None = None,
                    chat_id: int = 555001) -> dict:
    chat = {"id": chat_id, "first_name": "Fatima", "type": "private"}
    sender = {"id": chat_id, "is_bot": False, "first_name": "Fatima", "language_code": "nl"}
    if callback is None:
        update = {"update_id": update_id, "message": {"message_id": update_id, "from": sender, "chat": chat,
                                                      "date": int(time.time()), "text": text}}
    else:
        update = {"update_id": update_id, "callback_query": {
            "id": str(update_id), "from": sender, "chat_instance": "1", "data": callback,
            "message": {"message_id": update_id - 1, "from": {"id": 42, "is_bot": True, "first_name": "Stadsvraag"},
                        "chat": chat, "date": int(time.time()), "text": "..."}}}
    return update


def telegram(stack: Stack, update_id: int, text: str | None = None, callback: str | None = None) -> None:
    """An update as Telegram sends it to the webhook we registered: with our secret token."""
    r = httpx.post(f"http://127.0.0.1:{stack.settings.rasa_port}/webhooks/telegram/webhook",
                   json=telegram_update(update_id, text, callback),
                   headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, timeout=60)
    assert r.status_code == 200 and r.text == "success", r.text


def whatsapp(stack: Stack, text: str, sign: bool = True, sid: str | None = None, sender: str = "whatsapp:+31612345678",
             path: str = "/webhooks/twilio/webhook") -> httpx.Response:
    """A message as Twilio posts it: a fresh MessageSid each time (unless given), signed over TWILIO_HOOK."""
    params = {"MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "1" * 32, "From": sender,
              "To": "whatsapp:+14155238886", "Body": text, "NumMedia": "0", "ProfileName": "Joost"}
    headers = {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(TWILIO_HOOK, params)} if sign else {}
    return httpx.post(f"http://127.0.0.1:{stack.settings.rasa_port}{path}", data=params, headers=headers, timeout=60)


def test_a_worker_logs_two_questions_on_telegram(channels) -> None:  # type: ignore[no-untyped-def]
    stack, recorder = channels
    registered = recorder.sent("/setWebhook")
    assert registered, "the connector registers its webhook at start-up"
    assert registered[0]["secret_token"] == TELEGRAM_SECRET, "Telegram must send our secret token with each update"
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


def test_telegram_updates_without_our_secret_token_are_refused(channels) -> None:  # type: ignore[no-untyped-def]
    """Anyone who knows the webhook URL could otherwise post as any chat id, in a worker's name."""
    stack, recorder = channels
    base = f"http://127.0.0.1:{stack.settings.rasa_port}/webhooks/telegram"
    forged = telegram_update(90001, "ik ben buurtwerker en wil een vraag doorgeven", chat_id=777001)
    for path, headers in [("/webhook", {}),
                          ("/webhook", {"X-Telegram-Bot-Api-Secret-Token": "guessed"}),
                          ("/webhook", {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET[:-1]}),
                          ("/webhook/", {}),
                          ("/set_webhook", {})]:
        r = httpx.post(base + path, json=forged, headers=headers, timeout=60)
        assert r.status_code == 403, (path, headers, r.status_code, r.text)
    assert httpx.get(base + "/", timeout=10).json() == {"status": "ok"}  # the health check stays open
    time.sleep(1.0)
    assert all(m["chat_id"] != "777001" for m in recorder.sent("/sendMessage"))
    with session_factory(stack.settings.database_url)() as s:
        assert s.scalars(select(Intake).where(Intake.sender_id == "777001")).all() == []


def test_twilio_signature_is_checked_whatever_the_path(channels) -> None:  # type: ignore[no-untyped-def]
    stack, recorder = channels
    before = len(recorder.sent("/Messages.json"))
    for path in ["/webhooks/twilio/webhook/", "/webhooks/twilio/webhook"]:
        r = whatsapp(stack, "ik ben buurtwerker", sign=False, sender="whatsapp:+31600000099", path=path)
        assert r.status_code == 403, (path, r.status_code)
    time.sleep(1.0)
    assert all(m["To"] != "whatsapp:+31600000099" for m in recorder.sent("/Messages.json")[before:])


def test_a_replayed_twilio_message_is_handled_once(channels) -> None:  # type: ignore[no-untyped-def]
    """Twilio's signature has no timestamp: the same signed request, replayed, must not count again."""
    stack, recorder = channels
    sender, sid = "whatsapp:+31600000042", "SM" + uuid.uuid4().hex
    assert whatsapp(stack, "hallo", sid=sid, sender=sender).status_code == 204
    first = [m for m in recorder.sent("/Messages.json") if m["To"] == sender]
    assert first, "the first delivery is answered"
    for _ in range(2):
        assert whatsapp(stack, "hallo", sid=sid, sender=sender).status_code == 204  # 2xx: Twilio stops retrying
        assert whatsapp(stack, "hallo", sid=sid, sender=sender, path="/webhooks/twilio/webhook/").status_code == 204
    time.sleep(1.0)
    assert [m for m in recorder.sent("/Messages.json") if m["To"] == sender] == first


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port`, from the kernel's tables (no traffic sent)."""
    import ipaddress

    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(address)
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))  # kernel order per 32-bit word
            found.add(str(ipaddress.ip_address(raw)))
    return found


def test_rasa_and_the_action_server_listen_on_this_machine_only(channels) -> None:  # type: ignore[no-untyped-def]
    """Rasa's REST channel takes any sender id and the action server runs actions for any tracker: only
    the web app and Rasa, on this machine, may reach them (docs/deploy.md, What a proxy may expose)."""
    stack, _ = channels
    for port in (*stack.rasa_ports, stack.settings.action_port):
        addresses = _listening_addresses(port)
        assert addresses and addresses <= {"127.0.0.1", "::1"}, (port, addresses)


def test_rasa_serves_the_channel_webhooks_and_not_its_http_api(channels) -> None:  # type: ignore[no-untyped-def]
    stack, _ = channels
    base = f"http://127.0.0.1:{stack.settings.rasa_port}"
    for method, path in [("GET", "/status"), ("GET", "/version"), ("POST", "/model/parse"), ("PUT", "/model"),
                         ("GET", "/conversations/555001/tracker"), ("POST", "/conversations/555001/messages"),
                         ("GET", "/domain")]:
        r = httpx.request(method, base + path, json={}, timeout=10)
        assert r.status_code == 404, (method, path, r.status_code)  # started without --enable-api
