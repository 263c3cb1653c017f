"""Status updates reach the resident who consented: e-mail through a real SMTP server, Telegram and WhatsApp
through the recorded provider APIs, files under var/mail/ without SMTP_URL; through the outbox, at most once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from starlette.testclient import TestClient

from bot.config import NotifySettings, Settings
from bot.handoff.delivery import Dispatcher
from bot.notify.sender import ResidentClient
from bot.privacy.erasure import BROKER, erase_intake
from bot.review.workflow import change_status
from bot.storage.db import session_factory
from bot.storage.intakes import IntakeDraft, submit_intake
from bot.storage.models import Intake, OutboxMessage, utcnow
from bot.storage.outbox import RESIDENT
from tests.handoff.conftest import fast_settings

SECRET = "whsec_" + "A" * 44


def notify_settings(tmp_path: Path, **kw) -> NotifySettings:  # type: ignore[no-untyped-def]
    values = dict(smtp_url=None, mail_from="Leren met de Stad <stadsvraag@leiden.example>",
                  public_url="https://stadsvraag.example", mail_dir=tmp_path / "mail", timeout=2.0)
    values.update(kw)
    return NotifySettings(**values)


def new_intake(sessions, **kw) -> str:  # type: ignore[no-untyped-def]
    values = dict(language="nl", description="Veel zwerfafval rond het winkelcentrum in de Stevenshof",
                  consent_contact=True, contact_email="sanne@example.nl", contact_name="Sanne")
    values.update(kw)
    with sessions.begin() as s:
        return str(submit_intake(s, IntakeDraft(**values)).uuid)


def move(sessions, uuid: str, status: str, note: str | None = None, public: str | None = None) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        intake = s.scalars(select(Intake).where(Intake.uuid == uuid)).one()
        change_status(s, intake, status, "broker:bea", note, public_note=public)


def send_all(sessions, settings: NotifySettings) -> int:  # type: ignore[no-untyped-def]
    dispatcher = Dispatcher(sessions, fast_settings(None, SECRET), destination=RESIDENT, at_most_once=True)
    client = ResidentClient(sessions, settings)
    try:
        return dispatcher.run_once(client)
    finally:
        client.close()


def resident_rows(sessions) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.destination == RESIDENT)
                              .order_by(OutboxMessage.id)))


def test_a_status_change_is_mailed_once_in_plain_dutch_with_a_way_to_stop(sessions, smtp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, inbox = smtp
    settings = notify_settings(tmp_path, smtp_url=url)
    uuid = new_intake(sessions)
    move(sessions, uuid, "in_review")
    move(sessions, uuid, "ready_for_matching")
    move(sessions, uuid, "handed_off")  # the resident hears "searching" once, not twice
    assert send_all(sessions, settings) == 2
    assert send_all(sessions, settings) == 0  # never twice
    assert len(inbox.messages) == 2
    first, second = inbox.messages
    assert inbox.envelopes[0][1] == ["sanne@example.nl"]
    with sessions() as s:
        reference = s.scalars(select(Intake.reference).where(Intake.uuid == uuid)).one()
    assert first["Subject"] == f"Nieuws over je vraag {reference}"
    body = first.get_content()
    assert "Een kennismakelaar bekijkt je vraag" in body and reference in body
    assert "zwerfafval" not in body  # the question's content stays out of mails
    token = next(s for s in body.split() if "/updates/stop/" in s)
    assert token.startswith("https://stadsvraag.example/updates/stop/")
    assert first["List-Unsubscribe"].strip() == f"<{token}>" and first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first["Auto-Submitted"] == "auto-generated" and first["Content-Language"] == "nl"
    assert "We zoeken een opleiding of onderzoeker" in second.get_content()
    assert first["Message-ID"] != second["Message-ID"]
    assert [m.status for m in resident_rows(sessions)] == ["delivered", "delivered"]


def test_english_asker_gets_english_and_the_brokers_public_reason_but_not_the_internal_note(sessions, smtp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, inbox = smtp
    uuid = new_intake(sessions, language="en", description="Too much litter near the shopping centre")
    move(sessions, uuid, "rejected", note="internal: asked three times already",
         public="The municipality is already cleaning up here; see the neighbourhood newsletter.")
    send_all(sessions, notify_settings(tmp_path, smtp_url=url))
    (mail,) = inbox.messages
    body = mail.get_content()
    assert mail["Subject"].startswith("News about your question LS-")
    assert "has been closed" in body and "The knowledge broker adds:" in body
    assert "already cleaning up here" in body and "internal" not in body
    assert "Don't want any more e-mails about this question?" in body


def test_without_smtp_url_each_mail_is_an_eml_file(sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = notify_settings(tmp_path)
    uuid = new_intake(sessions)
    move(sessions, uuid, "in_review")
    send_all(sessions, settings)
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    text = files[0].read_text()
    assert "To: sanne@example.nl" in text and "Subject: Nieuws over je vraag LS-" in text


def test_no_consent_no_address_or_erased_means_no_update(sessions, smtp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, inbox = smtp
    no_consent = new_intake(sessions, consent_contact=False, contact_email=None, contact_name=None)
    no_email = new_intake(sessions, contact_email=None, contact_phone="+31612345678")
    move(sessions, no_consent, "in_review")
    move(sessions, no_email, "in_review")
    assert resident_rows(sessions) == []
    erased = new_intake(sessions)
    move(sessions, erased, "in_review")  # queued ...
    with sessions.begin() as s:
        intake = s.scalars(select(Intake).where(Intake.uuid == erased)).one()
        erase_intake(s, intake, "broker:bea", "verzoek per telefoon", BROKER, fast_settings(None, SECRET))
    assert [m.status for m in resident_rows(sessions)] == ["cancelled"]  # at once, by the erasure itself
    send_all(sessions, notify_settings(tmp_path, smtp_url=url))
    assert inbox.messages == []  # ... but erased before it was sent
    assert [m.status for m in resident_rows(sessions)] == ["cancelled"]


def test_smtp_down_retries_and_never_blocks_the_status_change(sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.notify.conftest import free_port

    settings = notify_settings(tmp_path, smtp_url=f"smtp://127.0.0.1:{free_port()}")  # nothing listens
    uuid = new_intake(sessions)
    move(sessions, uuid, "in_review")
    with sessions() as s:
        assert s.scalars(select(Intake.status).where(Intake.uuid == uuid)).one() == "in_review"
    send_all(sessions, settings)
    (row,) = resident_rows(sessions)
    assert row.status == "pending" and row.attempts == 1 and "ConnectionRefusedError" in (row.last_error or "")


def test_a_sender_that_died_mid_send_is_not_sent_again(sessions, smtp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, inbox = smtp
    uuid = new_intake(sessions)
    move(sessions, uuid, "in_review")
    with sessions.begin() as s:  # as a sender killed after claiming it leaves the row
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.destination == RESIDENT)).one()
        row.status, row.locked_until = "delivering", utcnow() - timedelta(seconds=5)
    send_all(sessions, notify_settings(tmp_path, smtp_url=url))
    assert inbox.messages == []
    (row,) = resident_rows(sessions)
    assert row.status == "dead" and "never twice" in (row.last_error or "")


def test_telegram_and_whatsapp_askers_get_a_message_in_their_chat(sessions, provider, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = notify_settings(tmp_path, telegram_token="123:abc", telegram_api_url=provider.url,
                               twilio_account_sid="AC" + "1" * 32, twilio_auth_token="t" * 32,
                               twilio_number="+3197010000000", twilio_api_url=provider.url)
    telegram = new_intake(sessions, channel="telegram", sender_id="987654321", contact_email=None, contact_name=None)
    whatsapp = new_intake(sessions, channel="whatsapp", sender_id="whatsapp:+31612345678", contact_email=None,
                          contact_name=None, language="en")
    move(sessions, telegram, "in_review")
    move(sessions, whatsapp, "in_review")
    assert send_all(sessions, settings) == 2
    (tg,) = provider.sent("/sendMessage")
    assert tg["chat_id"] == "987654321" and "Een kennismakelaar bekijkt je vraag" in tg["text"]
    assert "/updates/stop/" in tg["text"]
    (wa,) = provider.sent("/Messages.json")
    assert wa["To"] == "whatsapp:+31612345678" and wa["From"] == "whatsapp:+3197010000000"
    assert "A knowledge broker is looking at your question" in wa["Body"]


def test_an_unconfigured_channel_keeps_the_update_waiting(sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    uuid = new_intake(sessions, channel="telegram", sender_id="987654321", contact_email=None)
    move(sessions, uuid, "in_review")
    send_all(sessions, notify_settings(tmp_path))
    (row,) = resident_rows(sessions)
    assert row.status == "pending" and "telegram is not configured" in (row.last_error or "")


def test_the_stop_link_asks_first_then_stops_every_later_update(database_url, smtp, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.web.app import create_app

    url, inbox = smtp
    sessions = session_factory(database_url)
    uuid = new_intake(sessions)
    move(sessions, uuid, "in_review")
    move(sessions, uuid, "ready_for_matching")  # queued before the stop: cancelled when its turn comes
    with sessions() as s:
        token = s.scalars(select(Intake.updates_token).where(Intake.uuid == uuid)).one()
    monkeypatch.setenv("WEB_SECRET_KEY", "x" * 40)
    settings = replace(Settings.from_env(), database_url=database_url)
    with TestClient(create_app(settings)) as web:
        page = web.get(f"/updates/stop/{token}")
        assert page.status_code == 200 and "Wil je geen berichten meer krijgen" in page.text
        with sessions() as s:  # a GET (a mail scanner) stops nothing
            assert s.scalars(select(Intake.updates_stopped_at).where(Intake.uuid == uuid)).one() is None
        done = web.post(f"/updates/stop/{token}", data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and "Je krijgt geen berichten meer" in done.text
        assert web.get("/updates/stop/not-a-real-token").status_code == 404
    move(sessions, uuid, "handed_off")
    move(sessions, uuid, "matched")
    send_all(sessions, notify_settings(tmp_path, smtp_url=url))
    assert inbox.messages == []
    assert {m.status for m in resident_rows(sessions)} == {"cancelled"}


def test_the_notifier_process_writes_mails_on_make_run_defaults(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`stadsvraag notify run --once` as `make run` starts it: no SMTP_URL, so the mail lands in MAIL_DIR."""
    import os
    import subprocess
    import sys

    from bot.config import ROOT

    sessions = session_factory(database_url)
    uuid = new_intake(sessions)
    move(sessions, uuid, "in_review")
    env = {**os.environ, "DATABASE_URL": database_url, "MAIL_DIR": str(tmp_path / "mail")}
    env.pop("SMTP_URL", None)
    done = subprocess.run([sys.executable, "-m", "bot.cli", "notify", "run", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    (eml,) = (tmp_path / "mail").glob("*.eml")
    assert "sanne@example.nl" in eml.read_text()
    assert "zwerfafval" not in done.stderr + done.stdout  # no message text in the logs


def test_the_matching_backends_match_reaches_the_resident(sessions, smtp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A signed callback "matched" (bot/handoff/callbacks.py) moves the intake, and the resident hears it."""
    from bot.handoff.callbacks import apply_callback

    url, inbox = smtp
    uuid = new_intake(sessions)
    for status in ("in_review", "ready_for_matching", "handed_off"):
        move(sessions, uuid, status)
    send_all(sessions, notify_settings(tmp_path, smtp_url=url))
    result = apply_callback(sessions, uuid, "wh_match_1", {"id": uuid, "status": "matched", "match_id": "m-7",
                                                           "note": "internal note of the backend"})
    assert result.code == 200
    send_all(sessions, notify_settings(tmp_path, smtp_url=url))
    last = inbox.messages[-1].get_content()
    assert "Goed nieuws" in last and "internal note" not in last
    assert len(inbox.messages) == 3  # reviewed, searching, matched


def test_each_step_of_the_matching_lifecycle_reaches_the_resident_once_with_its_words(sessions, smtp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.handoff.callbacks import apply_callback
    from bot.notify.status import lookup

    url, inbox = smtp
    uuid = new_intake(sessions)
    for status in ("in_review", "ready_for_matching", "handed_off"):
        move(sessions, uuid, status)
    steps = [("received", None), ("under_review", None),
             ("info_requested", "Mag een student langskomen om de plek te bekijken?"),
             ("under_review", None), ("matched", "Minor Stadslab, start februari"), ("in_progress", None),
             ("done", "Het verslag staat op de site van de Hogeschool.")]
    for n, (status, public) in enumerate(steps):
        body = {"id": uuid, "status": status, "note": "intern", "public_note": public}
        assert apply_callback(sessions, uuid, f"wh_{n}", body).code == 200
        if status == "info_requested":
            with sessions() as s:
                reference = s.scalars(select(Intake.reference).where(Intake.uuid == uuid)).one()
                found = lookup(s, reference)
            assert (found.status, found.note) == ("info_requested", public)
    send_all(sessions, notify_settings(tmp_path, smtp_url=url))
    bodies = [m.get_content() for m in inbox.messages]
    heard = [next(w for w in ("bekijkt je vraag", "We zoeken een opleiding", "meer weten", "Goed nieuws",
                              "werken nu aan", "is afgesloten") if w in b) for b in bodies]
    # reviewed, searching, more info, searching again, matched, working, closed: each once, in order
    assert heard == ["bekijkt je vraag", "We zoeken een opleiding", "meer weten", "We zoeken een opleiding",
                     "Goed nieuws", "werken nu aan", "is afgesloten"], heard
    assert "Mag een student langskomen" in bodies[2] and "intern" not in "".join(bodies)
    assert "Het verslag staat op de site" in bodies[-1]
    with sessions() as s:
        assert s.scalars(select(Intake.status).where(Intake.uuid == uuid)).one() == "closed"
