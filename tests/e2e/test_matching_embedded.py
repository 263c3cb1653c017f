"""`make run`'s default: approved intakes go to the embedded matching service, which reports back by signed
callback; a match on the matching side reaches the resident (real Rasa, action server, web app, dispatcher,
matching service and notifier)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import ROOT, HandoffSettings
from bot.conversation.responses import render
from bot.handoff.outbox import approve
from bot.storage.models import Intake
from tests.e2e.test_loop_back import finish_intake, mails_about

pytestmark = pytest.mark.e2e


def wait_for(product, reference: str, done, timeout: float = 60.0) -> Intake:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        with product.sessions()() as s:
            intake = s.scalars(select(Intake).where(Intake.reference == reference)).one()
        if done(intake):
            return intake
        if time.monotonic() > deadline:
            raise AssertionError(f"{reference}: status {intake.status}, matching {intake.matching_status}")
        time.sleep(0.3)


def test_an_approved_intake_is_matched_by_the_embedded_service_and_the_resident_hears(product) -> None:  # type: ignore[no-untyped-def]
    assert product.stack.embedded_matching
    reference, _ = finish_intake(product, "Ik woon in de Stevenshof. Er zijn te weinig bankjes in het park voor "
                                          "ouderen, niet dringend")
    with product.sessions().begin() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == reference)).one()
        approve(s, intake, "broker:bea", HandoffSettings.from_env())
    intake = wait_for(product, reference, lambda i: i.matching_status == "received" and i.status == "handed_off")
    assert intake.match_id and intake.match_id.startswith("m_")
    moved = subprocess.run([sys.executable, "-m", "bot.cli", "matching", "status", reference, "matched",
                            "--note", "Minor Stadslab (Hogeschool Leiden), start februari"],
                           cwd=ROOT, env=product.stack.env(), capture_output=True, text=True, timeout=60)
    assert moved.returncode == 0, moved.stderr
    wait_for(product, reference, lambda i: i.status == "matched")
    matched = render("utter_status_matched", "nl", reference=reference)
    deadline = time.monotonic() + 60
    while True:  # first "we are looking", then "good news", each mail once
        bodies = [m.get_content() for m in mails_about(Path(product.stack.extra_env["MAIL_DIR"]), reference)]
        if any(matched in b for b in bodies) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert sum(matched in b for b in bodies) == 1, bodies
    assert sum(render("utter_status_searching", "nl", reference=reference) in b for b in bodies) == 1, bodies


def test_an_organisation_is_asked_what_matching_needs_once_and_the_matching_side_gets_it(product) -> None:  # type: ignore[no-untyped-def]
    import json

    from bot.matching.store import Question, needs_of, sessions_for
    from tests.e2e.test_conversation import texts

    chat = product.chat()
    out = chat.say("Namens stichting Buurtkracht: wij willen onderzoek naar eenzaamheid onder ouderen in de "
                   "Merenwijk, geen haast")
    for _ in range(4):  # the theme, place or role when asked; then the matching question
        if any("Nog één vraag, zodat we de juiste studenten vinden." in t for t in texts(out)):
            break
        if any(t == render("utter_ask_organisation", "nl") for t in texts(out)):
            out = chat.say("Stichting Buurtkracht")
        else:
            out = chat.say("Merenwijk, ik werk bij een stichting")
    question = next(t for t in texts(out) if "Nog één vraag" in t)
    assert "Kun jij of je organisatie de studenten begeleiden?" in question
    assert "Wat voor hulp zoek je" not in question and "semester wachten" not in question  # the question said it
    out = chat.say("ja, wij kunnen begeleiden en Engels is prima")
    assert not any("Nog één vraag" in t for t in texts(out))  # asked once
    out = chat.say("ja hoor, prima")
    out = chat.say("nee")
    assert any(t.startswith("Dank je wel! Je vraag is opgeslagen.") for t in texts(out)), out
    reference = next(t for t in texts(out) if "Je nummer is" in t).split("Je nummer is ")[1].split(".")[0]
    with product.sessions().begin() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == reference)).one()
        stored = json.loads(intake.needs)
        assert (stored["can_guide_students"], stored["english_ok"], stored["help"]) == (True, True, ["research"])
        approve(s, intake, "broker:bea", HandoffSettings.from_env())
    wait_for(product, reference, lambda i: i.matching_status == "received")
    env = product.stack.env()
    with sessions_for(env["MATCHING_DATABASE_URL"])() as s:
        q = s.scalars(select(Question).where(Question.reference == reference)).one()
        needs = needs_of(q)
        assert (needs["can_guide_students"], needs["english_ok"], needs["sensitive"]) == (True, True, True)
