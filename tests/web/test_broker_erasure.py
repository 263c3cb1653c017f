"""Erasing an intake's personal data from the dashboard (art. 17 AVG): admins only, with a reason and the
reference typed, in one transaction; the matching backend is told when the intake was ever queued for it."""

from __future__ import annotations

import json

import jsonschema
import pytest
from sqlalchemy import select, text

from bot.config import ROOT
from bot.handoff.outbox import EVENT_READY
from bot.privacy.erasure import BROKER, EVENT_ERASED
from bot.storage.db import session_factory
from bot.storage.intakes import IntakeDraft, submit_intake
from bot.storage.models import Contact, Intake, IntakeEvent, OutboxMessage
from tests.web.conftest import csrf_of

NAME, EMAIL = "Sanne de Vries", "sanne@example.nl"
REASON = "Verzoek van de inwoner per e-mail van 3 maart"
SENDER = "erase-me"
ERASED_SCHEMA = json.loads((ROOT / "schemas" / "intake-erased.v1.json").read_text(encoding="utf-8"))


@pytest.fixture
def person(app, database_url: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """An intake with a contact, a name and an e-mail address in its description, and a conversation."""
    with session_factory(database_url).begin() as s:
        intake = submit_intake(s, IntakeDraft(
            language="nl", theme="safety", sender_id=SENDER, consent_contact=True, consent_share=True,
            contact_name=NAME, contact_email=EMAIL,
            description=f"Mail {EMAIL}, {NAME} woont hier en wil weten hoe veilig de straat 's nachts is"))
        s.execute(text("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
                       "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
                       "action_name VARCHAR(255), data TEXT)"))
        s.execute(text("INSERT INTO events (id, sender_id, type_name, timestamp, intent_name, data) "
                       "VALUES (1, :s, 'user', 1700000000, 'inform', :d)"),
                  {"s": SENDER, "d": json.dumps({"text": f"Ik ben {NAME}, mail me op {EMAIL}"})})
        return intake.uuid, intake.reference


def load(database_url: str, uid: str):  # type: ignore[no-untyped-def]
    s = session_factory(database_url)()
    return s, s.scalars(select(Intake).where(Intake.uuid == uid)).one()


def erased_rows(database_url: str, uid: str) -> list[IntakeEvent]:
    s, intake = load(database_url, uid)
    with s:
        return list(s.scalars(select(IntakeEvent).where(IntakeEvent.intake_id == intake.id,
                                                        IntakeEvent.kind == "erased")))


def erase(client, uid: str, reason: str = REASON, confirm: str | None = None, reference: str = ""):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"/broker/intakes/{uid}").text)
    return client.post(f"/broker/intakes/{uid}/erase", data={
        "csrf": token, "reason": reason, "confirm_reference": reference if confirm is None else confirm},
        follow_redirects=False)


def test_admin_sees_the_form_and_a_broker_does_not(admin_client, broker_client, person) -> None:  # type: ignore[no-untyped-def]
    uid, _ = person
    html = admin_client.get(f"/broker/intakes/{uid}").text
    assert "Persoonsgegevens wissen" in html and f'action="/broker/intakes/{uid}/erase"' in html
    assert "De vraag zelf blijft bewaard" in html
    assert "Erase personal data" in admin_client.get(f"/broker/intakes/{uid}?lang=en").text
    html = broker_client.get(f"/broker/intakes/{uid}").text
    assert "Persoonsgegevens wissen" not in html and "/erase" not in html


def test_admin_erases_an_intake_with_a_contact(admin_client, person, database_url: str) -> None:  # type: ignore[no-untyped-def]
    uid, reference = person
    assert NAME in admin_client.get(f"/broker/intakes/{uid}").text  # contact and conversation shown before
    r = erase(admin_client, uid, reference=reference)
    assert r.status_code == 303 and r.headers["location"] == f"/broker/intakes/{uid}?msg=erased"
    s, intake = load(database_url, uid)
    with s:
        assert intake.erased_at is not None
        assert s.scalars(select(Contact).where(Contact.intake_id == intake.id)).all() == []
        assert EMAIL not in intake.description and "Sanne" not in intake.description and "Vries" not in intake.description
        assert "veilig de straat" in intake.description  # the question itself stays
        assert (intake.sender_id, intake.consent_contact, intake.consent_share) == (None, False, False)
        rows = s.scalars(select(IntakeEvent).where(IntakeEvent.intake_id == intake.id,
                                                   IntakeEvent.kind == "erased")).all()
        assert [(e.actor, e.new_value, e.note) for e in rows] == [("broker:ada", BROKER, REASON)]
        assert s.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": SENDER}).scalar() == 0
        # never forwarded: nothing to tell the matching backend
        assert s.scalars(select(OutboxMessage).where(OutboxMessage.intake_id == intake.id)).all() == []


def test_page_of_an_erased_intake(admin_client, broker_client, person, database_url: str) -> None:  # type: ignore[no-untyped-def]
    uid, reference = person
    erase(admin_client, uid, reference=reference)
    html = admin_client.get(f"/broker/intakes/{uid}?msg=erased").text
    assert "De persoonsgegevens zijn gewist." in html
    assert "Persoonsgegevens gewist op " in html and " door broker:ada." in html
    assert NAME not in html and "Sanne" not in html and EMAIL not in html
    assert "Het gesprek is gewist." in html
    assert f"persoonsgegevens gewist door de kennismakelaar — {REASON}" in html  # history with the reason
    assert f'action="/broker/intakes/{uid}/erase"' not in html  # nothing left to erase
    html = broker_client.get(f"/broker/intakes/{uid}?lang=en").text
    assert "Personal data erased on " in html and "by broker:ada." in html and NAME not in html
    assert f"personal data erased by the knowledge broker — {REASON}" in html


def test_a_forwarded_intake_tells_the_matching_backend(admin_client, person, database_url: str) -> None:  # type: ignore[no-untyped-def]
    uid, reference = person
    token = csrf_of(admin_client.get(f"/broker/intakes/{uid}").text)
    assert admin_client.post(f"/broker/intakes/{uid}/forward", data={"csrf": token},
                             follow_redirects=False).status_code == 303
    s, intake = load(database_url, uid)
    with s:
        ready = s.scalars(select(OutboxMessage).where(OutboxMessage.intake_id == intake.id,
                                                      OutboxMessage.destination == "matching")).one()
        assert ready.event_type == EVENT_READY and EMAIL in ready.payload and NAME in ready.payload
    assert erase(admin_client, uid, reference=reference).headers["location"].endswith("msg=erased")
    s, intake = load(database_url, uid)
    with s:
        messages = {m.event_type: m for m in s.scalars(select(OutboxMessage).where(
            OutboxMessage.intake_id == intake.id, OutboxMessage.destination == "matching"))}
        assert set(messages) == {EVENT_READY, EVENT_ERASED}
        assert EMAIL not in messages[EVENT_READY].payload and "Sanne" not in messages[EVENT_READY].payload
        assert "Vries" not in messages[EVENT_READY].payload
        assert "contact" not in json.loads(messages[EVENT_READY].payload)
        erased = json.loads(messages[EVENT_ERASED].payload)
        jsonschema.validate(erased, ERASED_SCHEMA, format_checker=jsonschema.FormatChecker())
        assert (erased["id"], erased["reference"], erased["reason"]) == (uid, reference, BROKER)
        assert messages[EVENT_ERASED].status == "pending"
        assert EMAIL not in messages[EVENT_ERASED].payload and "Sanne" not in messages[EVENT_ERASED].payload


def test_a_broker_may_not_erase(broker_client, person, database_url: str) -> None:  # type: ignore[no-untyped-def]
    uid, reference = person
    assert erase(broker_client, uid, reference=reference).status_code == 403
    s, intake = load(database_url, uid)
    with s:
        assert intake.erased_at is None and intake.description.startswith(f"Mail {EMAIL}, {NAME}")
        assert s.scalars(select(Contact).where(Contact.intake_id == intake.id)).one().email == EMAIL
    assert erased_rows(database_url, uid) == []


def test_anonymous_and_forged_requests_are_refused(anonymous, admin_client, person, database_url: str) -> None:  # type: ignore[no-untyped-def]
    uid, reference = person
    data = {"reason": REASON, "confirm_reference": reference}
    assert anonymous.post(f"/broker/intakes/{uid}/erase", data={**data, "csrf": "x"}).status_code == 401
    assert admin_client.post(f"/broker/intakes/{uid}/erase", data={**data, "csrf": "forged"}).status_code == 403
    assert admin_client.post(f"/broker/intakes/{uid}/erase", data=data).status_code == 403
    assert erased_rows(database_url, uid) == []
    token = csrf_of(admin_client.get(f"/broker/intakes/{uid}").text)
    r = admin_client.post("/broker/intakes/not-a-uuid/erase", data={**data, "csrf": token})
    assert r.status_code == 404


@pytest.mark.parametrize("reason,confirm,message", [
    ("", None, "erase_no_reason"),
    ("   \n ", None, "erase_no_reason"),
    ("x" * 501, None, "erase_reason_long"),
    (REASON, "", "erase_wrong_reference"),
    (REASON, "LS-1999-000001", "erase_wrong_reference"),
    (REASON, "ja, wissen", "erase_wrong_reference"),
])
def test_no_reason_or_a_wrong_reference_changes_nothing(admin_client, person, database_url: str, reason: str,
                                                        confirm: str | None, message: str) -> None:
    uid, reference = person
    r = erase(admin_client, uid, reason=reason, confirm=confirm, reference=reference)
    assert r.status_code == 303 and r.headers["location"].endswith(f"msg={message}")
    s, intake = load(database_url, uid)
    with s:
        assert intake.erased_at is None and EMAIL in intake.description and intake.sender_id == SENDER
        assert s.scalars(select(Contact).where(Contact.intake_id == intake.id)).one().name == NAME
    assert erased_rows(database_url, uid) == []
    html = admin_client.get(r.headers["location"]).text
    assert 'class="error"' in html and "Er is niets gewist." in html and NAME in html


def test_the_reference_may_be_typed_loosely(admin_client, person, database_url: str) -> None:  # type: ignore[no-untyped-def]
    uid, reference = person
    loose = " " + reference.lower().replace("-", " ") + " "
    assert erase(admin_client, uid, confirm=loose).headers["location"].endswith("msg=erased")
    assert len(erased_rows(database_url, uid)) == 1


def test_erasing_twice_changes_nothing(admin_client, person, database_url: str) -> None:  # type: ignore[no-untyped-def]
    uid, reference = person
    assert erase(admin_client, uid, reference=reference).headers["location"].endswith("msg=erased")
    s, intake = load(database_url, uid)
    with s:
        first = (intake.erased_at, intake.description)
    r = erase(admin_client, uid, reason="Nog een keer", reference=reference)
    assert r.status_code == 303 and r.headers["location"].endswith("msg=erase_already")
    assert "waren al gewist. Er is niets veranderd." in admin_client.get(r.headers["location"]).text
    rows = erased_rows(database_url, uid)
    assert len(rows) == 1 and rows[0].note == REASON
    s, intake = load(database_url, uid)
    with s:
        assert (intake.erased_at, intake.description) == first
