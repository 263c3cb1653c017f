"""The loop back to the resident through the real product: status by reference in the chat, the status e-mail
the notifier writes (no SMTP_URL: an .eml file, as on `make run`), and similar questions linked when stored."""

from __future__ import annotations

import email
import io
import json
import time
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.conversation.responses import render
from bot.review.workflow import change_status
from bot.storage.intakes import export_jsonl
from bot.storage.models import Intake, IntakeLink
from tests.e2e.test_conversation import answer_theme_if_asked, said, texts

pytestmark = pytest.mark.e2e


def finish_intake(product, question: str, contact: str = "Sanne de Vries, sanne@example.nl") -> tuple[str, list[dict]]:  # type: ignore[no-untyped-def]
    """A Dutch conversation from the question to the stored intake; returns its reference and the last answers."""
    chat = product.chat()
    out = answer_theme_if_asked(chat, chat.say(question), "public_space")
    if said(out, "utter_ask_details", "nl"):
        out = chat.say("de Stevenshof, niet zo dringend")
    if not said(out, "utter_ask_consent", "nl"):
        out = chat.say("ik ben bewoner")
    assert said(out, "utter_ask_consent", "nl"), out
    out = chat.say("ja hoor, prima")
    assert said(out, "utter_ask_contact", "nl"), out
    out = chat.say(contact)
    assert out and out[0]["text"].startswith("Dank je wel! Je vraag is opgeslagen."), out
    return out[0]["text"].split("Je nummer is ")[1].split(".")[0], out


def mails_about(folder: Path, reference: str, timeout: float = 60.0) -> list[email.message.EmailMessage]:
    """The status e-mails about `reference` the notifier wrote, waiting for the first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in folder.glob("*.eml")]
        found = [m for m in found if reference in str(m["Subject"])]
        if found:
            return found  # type: ignore[return-value]
        time.sleep(0.5)
    raise AssertionError(f"no mail about {reference} in {folder}")


def test_status_by_reference_in_both_languages_also_in_the_middle_of_an_intake(product) -> None:  # type: ignore[no-untyped-def]
    reference, _ = finish_intake(product, "Ik woon in de Stevenshof en bij het winkelcentrum ligt altijd zwerfafval, "
                                          "het is niet dringend")
    other = product.chat()
    out = other.say(f"Hoe staat het met mijn vraag {reference}?")
    assert texts(out) == [render("utter_status_received", "nl", reference=reference)], out
    assert "zwerfafval" not in json.dumps(out)

    with product.sessions().begin() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == reference)).one()
        change_status(s, intake, "in_review", "broker:bea", "intern", public_note="We kijken of studenten hier iets mee kunnen.")
    out = product.chat().say(f"What is the status of {reference.lower()}?")
    assert texts(out) == [render("utter_status_in_review", "en", reference=reference),
                          render("utter_status_reason", "en", reason="We kijken of studenten hier iets mee kunnen.")], out
    out = product.chat().say("What is the status of LS-2026-999999?")
    assert texts(out) == [render("utter_status_unknown", "en", reference="LS-2026-999999")], out

    # in the middle of an intake: the status is answered and the intake goes on where it was
    chat = product.chat()
    out = chat.say("Ik maak me zorgen over eenzame ouderen in de Merenwijk")
    asked = texts(out)
    out = chat.say(f"hoe staat het eigenlijk met {reference}")
    assert texts(out)[0] == render("utter_status_in_review", "nl", reference=reference), out
    assert len(texts(out)) >= 2 and asked, (asked, out)  # and the intake's question again

    # the e-mail the notifier wrote for the change, as `make run` does without SMTP_URL
    (mail,) = mails_about(Path(product.stack.extra_env["MAIL_DIR"]), reference)
    assert mail["To"] == "sanne@example.nl" and mail["Subject"] == f"Nieuws over je vraag {reference}"
    body = mail.get_content()
    assert render("utter_status_in_review", "nl", reference=reference) in body
    assert "We kijken of studenten hier iets mee kunnen." in body and "intern" not in body
    assert "/updates/stop/" in body


def test_a_similar_question_is_linked_and_the_resident_hears_it_is_known(product) -> None:  # type: ignore[no-untyped-def]
    first, _ = finish_intake(product, "Ik woon in de Stevenshof. Bij het winkelcentrum ligt elke dag veel afval en "
                                      "rommel, niet dringend")
    second, out = finish_intake(product, "Ik woon in de Stevenshof, het winkelcentrum is een vuilnisbelt, overal "
                                         "zwerfafval. Niet dringend hoor",
                                contact="geen contact")
    assert render("utter_similar_known", "nl") in texts(out), out
    with product.sessions()() as s:
        ids = {r: s.scalars(select(Intake.id).where(Intake.reference == r)).one() for r in (first, second)}
        link = s.scalars(select(IntakeLink).where(IntakeLink.other_id == ids[second])).all()
        assert ids[first] in {lk.intake_id for lk in link}
        out_file = io.StringIO()
        export_jsonl(s, out_file)
        rows = {row["reference"]: row for row in map(json.loads, out_file.getvalue().splitlines())}
        assert first in rows[second]["similar"] and second in rows[first]["similar"]


def test_a_question_about_a_city_plan_is_taken_as_a_question_not_as_a_status_lookup(product) -> None:  # type: ignore[no-untyped-def]
    out = product.chat().say("hoe staat het met de plannen voor het park in de Merenwijk?")
    asked_number = render("utter_status_ask_reference", "nl")
    assert asked_number not in texts(out), out
    assert not any(t.startswith("Ik kan geen vraag vinden") for t in texts(out)), out
