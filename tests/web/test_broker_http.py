"""Every dashboard route and permission, in-process over HTTP (anonymous, broker, admin, forged CSRF)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from bot.storage.db import session_factory
from bot.storage.models import Intake, IntakeEvent, OutboxMessage
from tests.web.conftest import csrf_of, sign_in

PAGES = ["/broker/", "/broker/overview", "/broker/export.csv"]


def intake_uuid(database_url: str, sender: str) -> str:
    with session_factory(database_url)() as s:
        return s.scalars(select(Intake.uuid).where(Intake.sender_id == sender)).one()


def test_anonymous_sees_only_sign_in_and_chat(anonymous, database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert anonymous.get("/").status_code == 200
    assert anonymous.get("/broker/login").status_code == 200
    for path in PAGES + [f"/broker/intakes/{intake_uuid(database_url, 's0')}", "/broker/users"]:
        r = anonymous.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/broker/login"), path
    uid = intake_uuid(database_url, "s0")
    for path in [f"/broker/intakes/{uid}/fields", f"/broker/intakes/{uid}/status", f"/broker/intakes/{uid}/forward",
                 f"/broker/intakes/{uid}/note", "/broker/users", "/broker/users/1/deactivate"]:
        assert anonymous.post(path, data={"csrf": "x"}).status_code == 401, path


def test_security_headers_on_every_page(anonymous, broker_client) -> None:  # type: ignore[no-untyped-def]
    for client, path in [(anonymous, "/"), (anonymous, "/broker/login"), (broker_client, "/broker/"),
                         (broker_client, "/broker/overview"), (anonymous, "/static/chat.css")]:
        r = client.get(path)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert r.headers["referrer-policy"] == "no-referrer"


def test_sign_in_failure_and_lock_out(anonymous) -> None:  # type: ignore[no-untyped-def]
    assert sign_in(anonymous, "nobody", "whatever at all").status_code == 401
    for _ in range(5):
        assert sign_in(anonymous, "bea", "wrong password!!").status_code == 401
    r = sign_in(anonymous, "bea")  # even the right password, while locked
    assert r.status_code == 429 and "min. opnieuw" in r.text and "retry-after" in r.headers


def test_forged_csrf_is_refused(broker_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    uid = intake_uuid(database_url, "s0")
    for path, data in [(f"/broker/intakes/{uid}/note", {"note": "x"}), (f"/broker/intakes/{uid}/forward", {}),
                       (f"/broker/intakes/{uid}/status", {"status": "in_review"}), ("/broker/logout", {})]:
        assert broker_client.post(path, data={**data, "csrf": "forged"}).status_code == 403, path
        assert broker_client.post(path, data=data).status_code == 403, path
    with session_factory(database_url)() as s:
        assert s.scalars(select(IntakeEvent).where(IntakeEvent.kind == "note")).all() == []


def test_queue_filters_search_and_counts(broker_client) -> None:  # type: ignore[no-untyped-def]
    page = broker_client.get("/broker/").text
    assert page.count("/broker/intakes/") == 4
    assert re.search(r"nieuw <strong>4</strong>", page)
    assert broker_client.get("/broker/?theme=safety").text.count("/broker/intakes/") == 1
    assert broker_client.get("/broker/?language=en").text.count("/broker/intakes/") == 1
    assert broker_client.get("/broker/?district=WK054603").text.count("/broker/intakes/") == 1
    assert broker_client.get("/broker/?district=unresolved").text.count("/broker/intakes/") == 1
    assert broker_client.get("/broker/?q=Vraag 2").text.count("/broker/intakes/") == 1
    assert broker_client.get("/broker/?q=%25").text.count("/broker/intakes/") == 0  # LIKE wildcards are literal
    assert broker_client.get("/broker/?date_from=2999-01-01").text.count("/broker/intakes/") == 0
    assert broker_client.get("/broker/?status=bogus&page=x").status_code == 200


def test_description_markup_is_shown_as_text(broker_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    for path in ["/broker/", f"/broker/intakes/{intake_uuid(database_url, 'xss')}"]:
        html = broker_client.get(path).text
        assert "<script>window.__xss" not in html and 'href="javascript:' not in html
        assert "&lt;script&gt;window.__xss" in html


def test_intake_page_shows_attention_and_history(broker_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    html = broker_client.get(f"/broker/intakes/{intake_uuid(database_url, 's0')}").text
    assert "de assistent was niet zeker van het thema" in html
    html = broker_client.get(f"/broker/intakes/{intake_uuid(database_url, 's2')}").text
    assert "de buurt is niet gevonden" in html and "Blauwe Buurt" in html
    assert broker_client.get("/broker/intakes/not-a-uuid").status_code == 404


def test_correct_fields_note_status_and_forward(broker_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    uid = intake_uuid(database_url, "s2")
    page = broker_client.get(f"/broker/intakes/{uid}").text
    token = csrf_of(page)
    r = broker_client.post(f"/broker/intakes/{uid}/fields", data={"csrf": token, "theme": "social_cohesion",
                                                                   "neighbourhood_code": "BU05460600", "urgency": "low",
                                                                   "timeframe": "dit semester"}, follow_redirects=False)
    assert r.status_code == 303
    broker_client.post(f"/broker/intakes/{uid}/note", data={"csrf": token, "note": "Gebeld met de wijkagent"})
    r = broker_client.post(f"/broker/intakes/{uid}/status", data={"csrf": token, "status": "rejected"},
                           follow_redirects=False)
    assert "msg=not_allowed" in r.headers["location"]  # rejecting needs a reason
    r = broker_client.post(f"/broker/intakes/{uid}/status", data={"csrf": token, "status": "closed"},
                           follow_redirects=False)
    assert "msg=not_allowed" in r.headers["location"]  # not in the transition table
    broker_client.post(f"/broker/intakes/{uid}/forward", data={"csrf": token})
    with session_factory(database_url)() as s:
        intake = s.scalars(select(Intake).where(Intake.uuid == uid)).one()
        assert (intake.theme, intake.neighbourhood_code, intake.district_code, intake.urgency, intake.timeframe) == (
            "social_cohesion", "BU05460600", "WK054606", "low", "dit semester")
        assert intake.status == "ready_for_matching"
        events = s.scalars(select(IntakeEvent).where(IntakeEvent.intake_id == intake.id)).all()
        assert [e.field for e in events if e.kind == "field"] == ["theme", "neighbourhood_code", "urgency", "timeframe"]
        assert all(e.actor == "broker:bea" for e in events if e.kind != "created")
        assert [e.new_value for e in events if e.kind == "status"] == ["in_review", "ready_for_matching"]
        assert s.scalars(select(OutboxMessage).where(OutboxMessage.intake_id == intake.id)).one().status == "pending"
    html = broker_client.get(f"/broker/intakes/{uid}").text
    assert "Gebeld met de wijkagent" in html and "wacht op de matching-backend" in html


def test_csv_export_has_a_bom_and_defuses_formulas(broker_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    with session_factory(database_url).begin() as s:
        s.scalars(select(Intake).where(Intake.sender_id == "s1")).one().description = "=HYPERLINK(\"x\")"
    r = broker_client.get("/broker/export.csv?language=en")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["description"].startswith("'=")
    assert rows[0]["theme_label"] == "Mobiliteit & bereikbaarheid"


def test_overview_renders_charts_without_javascript(broker_client) -> None:  # type: ignore[no-untyped-def]
    html = broker_client.get("/broker/overview").text
    assert html.count("<svg class=\"chart\"") == 4 and "Leiden-Noord" in html and "Veiligheid" in html and "<script" not in html


def test_only_admins_manage_accounts(broker_client, admin_client) -> None:  # type: ignore[no-untyped-def]
    assert broker_client.get("/broker/users").status_code == 403
    assert broker_client.post("/broker/users", data={"csrf": "x"}).status_code == 403
    page = admin_client.get("/broker/users")
    assert page.status_code == 200 and "bea" in page.text
    token = csrf_of(page.text)
    r = admin_client.post("/broker/users", data={"csrf": token, "username": "carl", "password": "short",
                                                 "role": "broker"})
    assert r.status_code == 400
    r = admin_client.post("/broker/users", data={"csrf": token, "username": "carl", "password": "a long passphrase",
                                                 "role": "broker"}, follow_redirects=False)
    assert r.status_code == 303 and "carl" in admin_client.get("/broker/users").text


@pytest.mark.parametrize("lang,word", [("en", "Questions"), ("nl", "Vragen")])
def test_dutch_interface_with_english_available(broker_client, lang: str, word: str) -> None:  # type: ignore[no-untyped-def]
    assert f"<h1>{word}</h1>" in broker_client.get(f"/broker/?lang={lang}").text


def test_sign_out(broker_client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(broker_client.get("/broker/").text)
    assert broker_client.post("/broker/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert broker_client.get("/broker/", follow_redirects=False).status_code == 303


def test_intake_page_shows_each_consent_with_its_moment_and_text_version(broker_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    from bot.privacy import consent
    from bot.privacy.consent import ConsentRecord
    from bot.storage.db import session_factory
    from bot.storage.intakes import IntakeDraft, submit_intake

    at = datetime(2026, 11, 23, 14, 5, tzinfo=timezone.utc)
    records = [ConsentRecord(kind, given, at, consent.question(kind, "nl").version, "nl")
               for kind, given in (("store", True), ("share", False), ("contact", True))]
    with session_factory(database_url).begin() as s:
        submit_intake(s, IntakeDraft(language="nl", description="Vraag met toestemming over de buurt", sender_id="c1",
                                     consent_contact=True, consents=records, contact_name="Piet"))
    html = broker_client.get(f"/broker/intakes/{intake_uuid(database_url, 'c1')}").text
    assert "bewaren: ja (2026-11-23 14:05)" in html
    assert "delen met onderwijspartners: nee" in html and "contact: ja" in html
    assert f'title="{records[0].version}"' in html


def test_overview_counts_questions_that_could_not_be_kept(broker_client, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from bot.storage.db import session_factory
    from bot.storage.intakes import IntakeDraft, record_anonymous

    html = broker_client.get("/broker/overview").text
    assert "alleen geteld, zonder tekst): <strong>0</strong>" in html and html.count("<svg class=\"chart\"") == 4
    with session_factory(database_url).begin() as s:
        for theme in ("safety", "safety", "mobility"):
            record_anonymous(s, IntakeDraft(language="nl", description="niet bewaard", theme=theme))
    html = broker_client.get("/broker/overview").text
    assert "alleen geteld, zonder tekst): <strong>3</strong>" in html and html.count("<svg class=\"chart\"") == 5
    assert "niet bewaard" not in html
