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
