"""The broker's matching pages through the real ASGI app: suggestions with reasons, confirm a slot, ask the asker
for information, done with its outcome; the catalogue: CSV import with errors per row, edit, export."""

from __future__ import annotations

import json
import os

from sqlalchemy import select

from bot.matching.catalogue import EXAMPLE, load_example_if_empty
from bot.matching.service import receive
from bot.matching.store import Callback, Question, Slot, sessions_for
from tests.web.conftest import csrf_of

INTAKE = {"schema_version": "1", "event": "intake.ready", "id": "0b6f2a4e-0000-4000-8000-0000000000aa",
          "reference": "LS-2026-000077", "language": "nl", "theme": {"id": "health_wellbeing"},
          "description": "Veel ouderen in Leiden-Noord zijn eenzaam en komen hun huis niet uit. Wat helpt echt?",
          "neighbourhood": {"name": "De Kooi", "district_name": "Leiden-Noord"}, "urgency": "normal", "consent": {"share_with_partners": True},
          "needs": {"help": ["advice"], "can_wait_a_semester": None, "english_ok": None, "can_guide_students": None,
                    "sensitive": True, "sensitive_because": ["ouderen"]}}


def matching_sessions():  # type: ignore[no-untyped-def]
    return sessions_for(os.environ["MATCHING_DATABASE_URL"])


def question(client) -> str:  # type: ignore[no-untyped-def]
    sessions = matching_sessions()
    with sessions.begin() as s:
        load_example_if_empty(s)
    return str(receive(sessions, "msg_1", INTAKE).body["match_id"])


def post(client, path: str, page: str, **form):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page).text)
    return client.post(path, data={"csrf": token, **form}, follow_redirects=False)


def test_suggestions_with_reasons_then_confirm_and_finish(broker_client) -> None:  # type: ignore[no-untyped-def]
    match_id = question(broker_client)
    page = broker_client.get(f"/broker/matching/{match_id}")
    assert page.status_code == 200 and "Voorstellen" in page.text and "thema past" in page.text
    assert "aanmelden" in page.text and "voorbeeld" in page.text  # example data is marked
    assert "soort hulp past" in page.text and "kwetsbare mensen of persoonsgegevens" in page.text
    needs = post(broker_client, f"/broker/matching/{match_id}/needs", f"/broker/matching/{match_id}",
                 help_advice="on", help_research="on", can_wait_a_semester="yes", english_ok="no", sensitive="yes")
    assert needs.headers["location"].endswith("msg=saved")
    with matching_sessions()() as s:
        from bot.matching.store import needs_of

        q = s.scalars(select(Question).where(Question.match_id == match_id)).one()
        assert needs_of(q)["help"] == ["research", "advice"] and needs_of(q)["english_ok"] is False
        assert needs_of(q)["sensitive_because"] == ["ouderen"]  # what the question said stays
    listing = broker_client.get("/broker/matching")
    assert "LS-2026-000077" in listing.text
    asked = post(broker_client, f"/broker/matching/{match_id}/step", f"/broker/matching/{match_id}",
                 action="under_review")
    assert asked.headers["location"].endswith("msg=saved")
    refused = post(broker_client, f"/broker/matching/{match_id}/step", f"/broker/matching/{match_id}",
                   action="info_requested")  # the asker must be told what we want to know
    assert refused.headers["location"].endswith("msg=not_allowed")
    with matching_sessions()() as s:
        slot = s.scalars(select(Slot).where(Slot.themes.contains("health_wellbeing"))).first()
        code, title = slot.code, slot.title
    done = post(broker_client, f"/broker/matching/{match_id}/step", f"/broker/matching/{match_id}",
                action="confirm", slot=code)
    assert done.headers["location"].endswith("msg=saved")
    for step in ("in_progress",):
        post(broker_client, f"/broker/matching/{match_id}/step", f"/broker/matching/{match_id}", action=step)
    post(broker_client, f"/broker/matching/{match_id}/step", f"/broker/matching/{match_id}", action="done",
         summary="Studenten maakten een wandelroute langs buurthuizen.", link="https://example.org/verslag",
         institution="Hogeschool Leiden")
    with matching_sessions()() as s:
        q = s.scalars(select(Question).where(Question.match_id == match_id)).one()
        assert q.status == "done" and q.outcome_institution == "Hogeschool Leiden"
        bodies = [json.loads(c.body) for c in s.scalars(select(Callback).order_by(Callback.id))]
    assert [b["status"] for b in bodies] == ["received", "under_review", "matched", "in_progress", "done"]
    assert title in bodies[2]["public_note"] and "Start:" in bodies[2]["public_note"]
    assert "wandelroute" in bodies[4]["public_note"] and "https://example.org/verslag" in bodies[4]["public_note"]
    overview = broker_client.get("/broker/overview").text  # outcomes per theme and district
    outcomes = overview[overview.index('id="h-outcomes"'):]
    assert "Gezondheid &amp; welzijn" in outcomes and "Leiden-Noord" in outcomes


def test_no_outcomes_yet_is_said(broker_client) -> None:  # type: ignore[no-untyped-def]
    assert "Nog geen afgeronde vragen met een vastgelegde uitkomst." in broker_client.get("/broker/overview").text


def test_catalogue_import_errors_edit_and_export(broker_client) -> None:  # type: ignore[no-untyped-def]
    question(broker_client)  # loads the example catalogue
    page = broker_client.get("/broker/catalogue")
    assert page.status_code == 200 and "Voorbeeldgegevens" in page.text
    token = csrf_of(page.text)
    header = EXAMPLE.read_text(encoding="utf-8").splitlines()[0]
    bad = header + "\nZ1,Hogeschool Leiden,X,Y,hbo+,minor,2027 blok 1,2027-02-01,2027-01-10,3,wonen,nl,a@b.example,,\n"
    answer = broker_client.post("/broker/catalogue/import", data={"csrf": token},
                                files={"file": ("aanbod.csv", bad.encode(), "text/csv")})
    assert answer.status_code == 422 and "Niets geïmporteerd" in answer.text
    assert "row 2, level: &#39;hbo+&#39; is not one of mbo, hbo, wo" in answer.text
    good = header + "\nZ1,Hogeschool Leiden,Sociaal Werk,Minor Buurt,hbo,minor,2027 blok 1,2027-02-01,2027-01-10,3," \
                    "social_cohesion,nl,a@b.example,Studenten werken in de buurt.,written\n"
    answer = broker_client.post("/broker/catalogue/import", data={"csrf": token},
                                files={"file": ("aanbod.csv", good.encode(), "text/csv")}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith("msg=imported")
    slot_page = broker_client.get("/broker/catalogue/Z1")
    form = {"csrf": csrf_of(slot_page.text), "institution": "Hogeschool Leiden", "programme": "Sociaal Werk",
            "title": "Minor Buurt en Stad", "period": "2027 blok 1", "level": "hbo", "kind": "minor",
            "starts_on": "2027-02-01", "intake_deadline": "2027-03-01", "group_size": "3", "themes": "social_cohesion",
            "languages": "nl", "contact": "a@b.example", "description": "", "source": "", "active": "on"}
    refused = broker_client.post("/broker/catalogue/Z1", data=form)
    assert refused.status_code == 422 and "intake_deadline: is after starts_on" in refused.text
    saved = broker_client.post("/broker/catalogue/Z1", data={**form, "intake_deadline": "2027-01-10"},
                               follow_redirects=False)
    assert saved.status_code == 303
    csv_text = broker_client.get("/broker/catalogue/export.csv").text
    assert csv_text.splitlines()[0] == header and "Minor Buurt en Stad" in csv_text
