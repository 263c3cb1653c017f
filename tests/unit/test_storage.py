"""Intakes, contacts and history in a real database (SQLite and PostgreSQL)."""

import io
import json

from sqlalchemy import func, inspect, select

from bot.storage.db import get_engine, upgrade
from bot.storage.intakes import IntakeDraft, export_jsonl, submit_intake
from bot.storage.models import Contact, Intake, IntakeEvent


def _draft(**kw) -> IntakeDraft:  # type: ignore[no-untyped-def]
    base = dict(language="nl", description="Er is veel zwerfafval rond het winkelcentrum in de Kooi.",
                sender_id="abc", theme="sustainability_biodiversity", neighbourhood_kind="neighbourhood",
                neighbourhood_code="BU05460302", neighbourhood_name="De Kooi", district_code="WK054603",
                district_name="Leiden-Noord", urgency="normal", asker_role="resident")
    base.update(kw)
    return IntakeDraft(**base)


def test_schema_is_created_by_migrations_and_upgrade_is_idempotent(database_url: str) -> None:
    upgrade(database_url)
    tables = set(inspect(get_engine(database_url)).get_table_names())
    assert {"intakes", "contacts", "intake_events", "alembic_version"} <= tables


def test_submit_stores_intake_history_and_reference(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        first = submit_intake(s, _draft())
        second = submit_intake(s, _draft(language="en"))
        refs = (first.reference, second.reference)
    assert refs[0].startswith("LS-") and refs[0].endswith(f"{1:06d}")
    assert refs[0] != refs[1]
    with sessions() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == refs[0])).one()
        assert intake.status == "new" and intake.neighbourhood_code == "BU05460302"
        events = s.scalars(select(IntakeEvent).where(IntakeEvent.intake_id == intake.id)).all()
        assert [(e.kind, e.actor) for e in events] == [("created", "assistant")]


def test_contact_only_with_consent_and_in_its_own_table(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        anon = submit_intake(s, _draft(consent_contact=False, contact_name="Should Not", contact_email="x@y.nl"))
        known = submit_intake(s, _draft(consent_contact=True, contact_name="Sanne", contact_email="sanne@example.nl"))
        anon_id, known_id = anon.id, known.id
    with sessions() as s:
        assert s.scalar(select(func.count(Contact.id)).where(Contact.intake_id == anon_id)) == 0
        contact = s.scalars(select(Contact).where(Contact.intake_id == known_id)).one()
        assert (contact.name, contact.email) == ("Sanne", "sanne@example.nl")
    with sessions.begin() as s:  # contact data can be deleted on its own
        s.delete(s.get(Contact, contact.id))
    with sessions() as s:
        assert s.get(Intake, known_id) is not None


def test_hostile_text_is_stored_verbatim(sessions) -> None:  # type: ignore[no-untyped-def]
    nasty = "'); DROP TABLE intakes; -- <script>alert(1)</script> 😀 \u202e"
    with sessions.begin() as s:
        ref = submit_intake(s, _draft(description=nasty)).reference
    with sessions() as s:
        assert s.scalars(select(Intake.description).where(Intake.reference == ref)).one() == nasty


def test_export_jsonl(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        submit_intake(s, _draft(consent_contact=True, contact_name="Sanne", contact_phone="+31612345678"))
        submit_intake(s, _draft(language="en", consent_contact=False))
    out = io.StringIO()
    with sessions() as s:
        assert export_jsonl(s, out) == 2
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows[0]["contact"] == {"name": "Sanne", "email": None, "phone": "+31612345678"}
    assert "contact" not in rows[1]
    assert rows[1]["language"] == "en"
    assert rows[0]["neighbourhood"]["code"] == "BU05460302"
    out = io.StringIO()
    with sessions() as s:
        export_jsonl(s, out, include_contact=False)
    assert "Sanne" not in out.getvalue()
