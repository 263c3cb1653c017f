"""Full conversations against the real Rasa server and action server, checked in the database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from bot.config import HandoffSettings
from bot.conversation.responses import render
from bot.handoff.outbox import approve
from bot.privacy import consent
from bot.storage.models import (
    AnonymousQuestion,
    ConsentText,
    Contact,
    Intake,
    IntakeEvent,
    OutboxMessage,
)

pytestmark = pytest.mark.e2e


def texts(messages: list[dict]) -> list[str]:
    return [m.get("text", "") for m in messages]


def said(messages: list[dict], key: str, lang: str) -> bool:
    """Did the bot send response `key` (in `lang`)?"""
    return render(key, lang) in texts(messages)


def buttons(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons", [])]


def transcript_events(product, sender: str) -> int:  # type: ignore[no-untyped-def]
    """Rows of this conversation in Rasa's tracker store (the same database in the embedded default)."""
    with product.sessions()() as s:
        return s.scalar(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender})


def answer_theme_if_asked(chat, out: list[dict], theme: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """A theme the model is sure of is not asked (it is in the summary); otherwise pick it."""
    if said(out, "utter_ask_theme_top", chat_language(out)) or said(out, "utter_ask_theme", chat_language(out)):
        return chat.say('/choose' + json.dumps({"theme": theme}))
    return out


def chat_language(out: list[dict]) -> str:
    return "en" if any(render("utter_ask_theme_top", "en") == t for t in texts(out)) or any(
        render("utter_ask_theme", "en") == t for t in texts(out)) else "nl"


def test_dutch_intake_with_everything_in_one_message(product) -> None:  # type: ignore[no-untyped-def]
    chat = product.chat()
    out = chat.say("hallo")
    assert said(out, "utter_greet", "nl") and said(out, "utter_ask_description", "nl")
    out = chat.say("Ik woon in de Merenwijk en maak me zorgen over eenzame ouderen, het is best dringend")
    # place, urgency and role ("ik woon in") were understood, so not asked; a sure theme is not asked either
    out = answer_theme_if_asked(chat, out, "health_wellbeing")
    # the summary comes with the question whether we may keep and share it
    assert said(out, "utter_ask_consent", "nl"), out
    summary = texts(out)[0]
    assert "Gezondheid & welzijn" in summary and "Merenwijkdistrict" in summary and "dringend" in summary
    assert "Wie vraagt: bewoner" in summary
    assert '/choose{"consent_store":true,"consent_share":true}' in buttons(out) and "/deny" in buttons(out)
    out = chat.say("ja hoor, prima")  # keep and share: the question asked both
    assert said(out, "utter_ask_contact", "nl"), out
    out = chat.say("Sanne de Vries, sanne@example.nl")  # the contact question takes the address itself
    assert out and out[0]["text"].startswith("Dank je wel! Je vraag is opgeslagen.")
    assert chat.turns <= 5  # hallo, the question, (theme,) the summary with consent, contact
    reference = out[0]["text"].split("Je nummer is ")[1].split(".")[0]

    with product.sessions()() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == reference)).one()
        assert intake.sender_id == chat.sender
        assert intake.language == "nl"
        assert intake.channel == "rest"
        assert intake.status == "new"
        assert intake.description == "Ik woon in de Merenwijk en maak me zorgen over eenzame ouderen, het is best dringend"
        assert intake.theme == "health_wellbeing"
        assert (intake.neighbourhood_kind, intake.neighbourhood_code) == ("district", "WK054608")
        assert intake.urgency == "high"
        assert intake.asker_role == "resident"
        assert intake.consent_contact is True
        contact = s.scalars(select(Contact).where(Contact.intake_id == intake.id)).one()
        assert (contact.name, contact.email, contact.phone) == ("Sanne de Vries", "sanne@example.nl", None)
        kinds = s.scalars(select(IntakeEvent.kind).where(IntakeEvent.intake_id == intake.id)).all()
        assert kinds == ["created"]
        # three separate consents, each with the moment of the answer and the exact text shown
        consents = {c.kind: c for c in intake.consents}
        assert {k: c.given for k, c in consents.items()} == {"store": True, "share": True, "contact": True}
        assert intake.consent_share is True
        # keep and share were one question with separate choices: each is recorded against its text
        assert consents["store"].text_version == consents["share"].text_version
        assert consents["store"].text_version.startswith("utter_ask_consent:nl:")
        assert consents["contact"].text_version.startswith("utter_ask_contact:nl:")
        for kind, row in consents.items():
            assert row.text_version == consent.question(kind, "nl", row.text_version.split(":")[0]).version
            assert s.get(ConsentText, row.text_version).text == render(row.text_version.split(":")[0], "nl")
        assert consents["store"].answered_at <= consents["contact"].answered_at
        approve(s, intake, "broker:test", HandoffSettings.from_env())  # forwarded, so erasure must be announced
        s.commit()
    assert transcript_events(product, chat.sender) > 0

    # Later, in a new conversation, the resident asks to delete their data.
    other = product.chat()
    out = other.say("verwijder mijn gegevens")
    assert said(out, "utter_erasure_intro", "nl") and said(out, "utter_ask_erasure_reference", "nl"), out
    out = other.say(f"mijn nummer is {reference}")
    assert said(out, "utter_ask_erasure_proof", "nl"), out
    out = other.say("iemand.anders@example.nl")  # not the address given: nothing happens
    assert said(out, "utter_erasure_not_found", "nl"), out
    with product.sessions()() as s:
        assert s.scalar(select(func.count(Contact.id)).where(Contact.intake_id == intake.id)) == 1
    out = other.say("verwijder mijn gegevens")
    assert said(out, "utter_ask_erasure_reference", "nl"), out
    other.say(reference)
    out = other.say("sanne@example.nl")
    assert texts(out) == [render("utter_erasure_done", "nl", reference=reference)], out
    with product.sessions()() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == reference)).one()
        assert intake.erased_at is not None and intake.sender_id is None
        assert s.scalar(select(func.count(Contact.id)).where(Contact.intake_id == intake.id)) == 0
        events = s.scalars(select(OutboxMessage.event_type).where(OutboxMessage.intake_id == intake.id,
                                                                  OutboxMessage.destination == "matching")).all()
        assert sorted(events) == ["intake.erased", "intake.ready"]
        erased = s.scalars(select(IntakeEvent).where(IntakeEvent.intake_id == intake.id,
                                                     IntakeEvent.kind == "erased")).one()
        assert erased.new_value == "resident_request"
    assert transcript_events(product, chat.sender) == 0  # the intake's conversation
    assert transcript_events(product, other.sender) == 0  # and this one, which held the e-mail address
    assert said(other.say("hallo"), "utter_greet", "nl")  # the assistant still answers


def test_without_consent_to_store_nothing_but_a_count_is_kept(product) -> None:  # type: ignore[no-untyped-def]
    chat = product.chat()
    with product.sessions()() as s:
        before = s.scalar(select(func.count(AnonymousQuestion.id)))
    chat.say("hallo")
    out = chat.say("In de Stevenshof hangen jongeren 's avonds rond bij het winkelcentrum en dat voelt onveilig")
    out = answer_theme_if_asked(chat, out, "safety")
    if said(out, "utter_ask_details", "nl"):
        out = chat.say("normaal, ik ben bewoner")
    for key, answer in (("utter_ask_urgency", "normaal"), ("utter_ask_asker_role", "ik ben bewoner")):
        if said(out, key, "nl"):
            out = chat.say(answer)
    assert said(out, "utter_ask_consent", "nl"), out
    out = chat.say("nee, liever niet. Ik wil niet dat iemand dit leest")  # a refusal with a reason
    assert said(out, "utter_not_stored", "nl"), out  # nothing more is asked
    with product.sessions()() as s:
        assert s.scalar(select(func.count(Intake.id)).where(Intake.sender_id == chat.sender)) == 0
        assert s.scalar(select(func.count(AnonymousQuestion.id))) == before + 1
        row = s.scalars(select(AnonymousQuestion).order_by(AnonymousQuestion.id.desc())).first()
        assert (row.theme, row.neighbourhood_code, row.channel) == ("safety", "WK054609", "rest")
    assert transcript_events(product, chat.sender) == 0
    assert said(chat.say("hallo"), "utter_greet", "nl")  # a fresh start


def test_english_intake_typed_answers_faq_and_a_correction(product) -> None:  # type: ignore[no-untyped-def]
    chat = product.chat()
    out = chat.say("Hi there")
    assert said(out, "utter_greet", "en"), out
    out = chat.say("There is a lot of litter and heat in our stony street and we want more green")
    out = answer_theme_if_asked(chat, out, "sustainability_biodiversity")
    # "our street": a resident; place and urgency are missing, so both are asked in one question
    asked = texts(out)
    assert asked == [render("utter_ask_details", "en")], out
    out = chat.say("who will see my data?")
    assert said(out, "utter_faq_privacy", "en") and texts(out)[1:] == asked, out  # form resumes
    out = chat.say("Professorenwijk, no rush, but before summer would be nice")
    assert said(out, "utter_ask_neighbourhood_part", "en"), out
    assert '/choose{"neighbourhood":"BU05460402"}' in buttons(out)
    out = chat.say('/choose{"neighbourhood":"BU05460402"}')
    assert said(out, "utter_ask_consent", "en"), out
    assert "Professorenwijk-Oost" in texts(out)[0], out
    out = chat.say("maybe")
    # not understood: explained in other words, with the same choices; the summary is not repeated
    assert texts(out) == [render("utter_ask_consent_again", "en")], out
    assert len(buttons(out)) == 4
    out = chat.say("change the neighbourhood")
    assert said(out, "utter_ask_neighbourhood", "en"), out
    out = chat.say("de Kooi")
    assert "De Kooi (Leiden-Noord)" in texts(out)[0] and said(out, "utter_ask_consent_changed", "en"), out
    out = chat.say("yes, but don't share it")
    assert said(out, "utter_ask_contact", "en"), out
    out = chat.say("no, I prefer to stay anonymous")
    assert out[0]["text"].startswith("Thank you! Your question has been saved."), out

    with product.sessions()() as s:
        intake = s.scalars(select(Intake).where(Intake.sender_id == chat.sender)).one()
        assert intake.language == "en"
        assert intake.theme == "sustainability_biodiversity"
        assert intake.neighbourhood_code == "BU05460302" and intake.district_code == "WK054603"
        assert (intake.urgency, intake.timeframe) == ("low", "before_summer")
        assert intake.asker_role == "resident"
        assert intake.consent_contact is False and intake.consent_share is False
        assert s.scalar(select(func.count(Contact.id)).where(Contact.intake_id == intake.id)) == 0
        assert {c.kind: c.given for c in intake.consents} == {"store": True, "share": False, "contact": False}
        assert all(c.text_version.split(":")[1] == "en" for c in intake.consents)


def test_language_switch_midway_and_stop(product) -> None:  # type: ignore[no-untyped-def]
    chat = product.chat()
    out = chat.say("hoi")
    assert said(out, "utter_ask_description", "nl")
    out = chat.say("English please")
    assert said(out, "utter_language_switched", "en") and said(out, "utter_ask_description", "en"), out
    out = chat.say("stop")
    assert said(out, "utter_stopped", "en"), out
    with product.sessions()() as s:
        assert s.scalar(select(func.count(Intake.id)).where(Intake.sender_id == chat.sender)) == 0


def test_out_of_scope_is_answered_politely(product) -> None:  # type: ignore[no-untyped-def]
    chat = product.chat()
    out = chat.say("Ik wil mijn paspoort verlengen")
    assert said(out, "utter_out_of_scope", "nl"), out


BAD_INPUTS = ["", "   ", "x" * 10_000, "<script>alert('x')</script>", "😀😀😀", "'; DROP TABLE intakes; --",
              "{{7*7}} %s %(x)s ${HOME}", "\u0000\u202e\u200b"]


@pytest.mark.parametrize("message", BAD_INPUTS, ids=["empty", "spaces", "10k", "script", "emoji", "sql", "format",
                                                     "control"])
def test_bad_input_gets_a_polite_answer_and_stores_nothing(product, message: str) -> None:  # type: ignore[no-untyped-def]
    chat = product.chat()
    out = chat.say(message)
    assert out and all(m.get("text") for m in out), out
    # mid-form too: the question is asked again, nothing is stored wrongly
    chat.say("hallo")
    out = chat.say(message)
    assert out and all(m.get("text") for m in out), out
    out = chat.say("Er ligt heel veel zwerfafval rond het winkelcentrum in Groenoord")
    next_questions = [render(k, "nl") for k in ("utter_ask_theme_top", "utter_ask_theme", "utter_ask_details",
                                                 "utter_ask_urgency", "utter_ask_asker_role", "utter_ask_consent")]
    assert any(t in next_questions for t in texts(out)), out
    with product.sessions()() as s:
        assert s.scalar(select(func.count(Intake.id)).where(Intake.sender_id == chat.sender)) == 0
    r = chat  # the conversation still answers afterwards
    assert r.say("stop")


def test_chat_page_talks_to_rasa_with_a_server_issued_conversation_id(product) -> None:  # type: ignore[no-untyped-def]
    import httpx

    with httpx.Client(base_url=product.web_url, timeout=60) as browser:
        page = browser.get("/")
        assert page.status_code == 200 and "Content-Security-Policy" in page.headers
        first = browser.post("/chat/messages", json={"message": "hallo"})
        assert first.status_code == 200 and any("Stadsvraag" in m["text"] for m in first.json())
        cookie = browser.cookies.get("stadsvraag_session")
        assert cookie
        second = browser.post("/chat/messages", json={"message": "Nederlands graag"})
        assert second.status_code == 200
    assert httpx.post(f"{product.web_url}/chat/messages", content=b"x" * 20_000).status_code == 413
    # the Rasa server's public webhooks have a body limit too (Sanic's default would be 100 MB)
    big = {"sender": "e2e-big", "message": "x" * 300_000}
    assert httpx.post(f"{product.rasa_url}/webhooks/rest/webhook", json=big, timeout=60).status_code == 413
    assert httpx.post(f"{product.rasa_url}/webhooks/rest/webhook", json={"sender": "e2e-big", "message": "hallo"},
                      timeout=60).status_code == 200


def test_no_message_text_in_the_server_logs(product) -> None:  # type: ignore[no-untyped-def]
    chat = product.chat()
    chat.say("hallo")
    chat.say("Bij ons in de Kwekerijstraat is het kwakzalverskruid overal, mail kwak@example.nl of 0612345678")
    chat.say('/choose{"theme": kwakzalverskruid')  # a broken command: Rasa would warn with the whole text
    chat.say("/kwakzalverskruid is een onkruid")
    for log in product.stack.log_dir.glob("*.log"):
        content = log.read_text(errors="replace")
        for secret in ("kwakzalverskruid", "Kwekerijstraat", "kwak@example.nl", "0612345678"):
            assert secret not in content, f"{secret!r} in {log.name}"
