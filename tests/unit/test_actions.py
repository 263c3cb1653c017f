"""Custom actions on tracker fixtures: the events they return and the response keys they send."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import actions as a
from bot.conversation.responses import buttons as response_buttons
from bot.privacy import consent
from bot.storage.db import session_factory
from bot.storage.models import AnonymousQuestion, Consent, ConsentText, Contact, Intake

SLOTS = ["language", "description", "theme", "theme_confidence", "neighbourhood", "neighbourhood_code",
         "neighbourhood_kind", "neighbourhood_text", "neighbourhood_candidates", "urgency", "timeframe", "asker_role",
         "organisation", "consent_store", "consent_share", "contact_consent", "consent_log", "contact_name",
         "contact_details", "field_understood", "reference", "requested_slot", "forget_conversation",
         "erasure_reference", "erasure_proof", "erasure_attempts", "details", "confirmed", "summary_stage", "unclear",
         "organisation_skipped", "question_given", "theme_stage", "theme_alternatives", "theme_suggestion"]


def tracker(text: str = "", slots: dict[str, Any] | None = None, intent: str = "inform",
            entities: list[dict] | None = None, new_slots: dict[str, Any] | None = None,
            active_loop: str | None = None) -> Tracker:
    """A tracker whose latest user message is `text`; `new_slots` were set after it (form candidates)."""
    values = {name: None for name in SLOTS}
    values.update(slots or {})
    values.update(new_slots or {})
    events: list[dict] = [{"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (new_slots or {}).items()]
    return Tracker(
        sender_id="test-conversation", slots=values,
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []},
        events=events, paused=False, followup_action=None,
        active_loop={"name": active_loop} if active_loop else {}, latest_action_name="action_listen",
    )


def run(action, t: Tracker, domain: dict) -> tuple[list[dict], list[dict]]:  # type: ignore[no-untyped-def]
    d = CollectingDispatcher()
    result = action.run(d, t, domain)
    if asyncio.iscoroutine(result):
        # a fresh loop in its own thread: independent of any loop another test library left running
        with ThreadPoolExecutor(max_workers=1) as pool:
            result = pool.submit(asyncio.run, result).result()
    return result, d.messages


FULL = {"language": "nl", "description": "Er is veel zwerfafval rond het winkelcentrum in de Kooi.",
        "theme": "sustainability_biodiversity", "neighbourhood": "BU05460302", "neighbourhood_code": "BU05460302",
        "neighbourhood_kind": "neighbourhood", "urgency": "high", "timeframe": "this_semester",
        "asker_role": "organisation", "organisation": "Buurtvereniging De Kooi", "consent_store": True,
        "consent_share": True, "contact_consent": True, "contact_name": "Sanne de Vries",
        "contact_details": "sanne@example.nl",
        "consent_log": {kind: consent.answer(kind, True, "nl") for kind in ("store", "share", "contact")},
        "confirmed": True}


def test_language_detection_action(domain: dict) -> None:
    events, _ = run(a.ActionDetectLanguage(), tracker("There is a lot of litter in our street"), domain)
    assert events == [SlotSet("language", "en")]
    events, _ = run(a.ActionDetectLanguage(), tracker("ja", {"language": "en"}), domain)
    assert events == []
    events, _ = run(a.ActionDetectLanguage(), tracker("Nederlands graag", {"language": "en"}), domain)
    assert events == [SlotSet("language", "nl")]
    events, _ = run(a.ActionDetectLanguage(), tracker('/choose{"urgency":"high"}', {"language": "en"}), domain)
    assert events == []


def test_form_validation_fills_what_the_user_already_said(domain: dict) -> None:
    text = "Ik woon in de Merenwijk en maak me zorgen over eenzame ouderen, het is best dringend"
    t = tracker(text, {"language": "nl", "requested_slot": "description"}, new_slots={"description": text},
                active_loop="intake_form")
    events, messages = run(a.ValidateIntakeForm(), t, domain)
    sets = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert sets["description"] == text
    assert sets["neighbourhood_code"] == "WK054608"
    assert sets["urgency"] == "high"
    assert sets["asker_role"] == "resident"  # "ik woon in"
    # theme sure enough to be confirmed in the summary: next is the summary with the consent question
    assert sets["theme"] == "health_wellbeing" and sets["requested_slot"] == "consent_store"
    assert messages == []


def test_form_validation_rejects_a_too_short_description(domain: dict) -> None:
    t = tracker("help", {"requested_slot": "description"}, new_slots={"description": "help"}, active_loop="intake_form")
    events, messages = run(a.ValidateIntakeForm(), t, domain)
    assert {"event": "slot", "timestamp": None, "name": "description", "value": None} in events
    assert {"event": "slot", "timestamp": None, "name": "unclear", "value": {"description": 1}} in events
    assert messages == []  # the ask action rephrases the question (next test)


def test_an_unclear_answer_is_never_followed_by_the_same_question(domain: dict) -> None:
    """Each answer that was not understood gets other words: explained, an example, the phone number."""
    sent = []
    for count in range(0, 7):
        _, messages = run(a.ActionAskConsentStore(), tracker("", {**FULL, "unclear": {"consent_store": count}}), domain)
        sent.append([m["response"] for m in messages])
        # every question shows its choices: its own buttons in domain.yml, or those of the question it rephrases
        assert all(m.get("buttons") or response_buttons(m["response"], "nl") for m in messages
                   if m["response"] not in ("utter_ask_help", "utter_summary")), messages
    assert sent[:4] == [["utter_summary", "utter_ask_consent"], ["utter_ask_consent_again"],
                        ["utter_ask_consent_example"], ["utter_ask_help", "utter_ask_consent"]]
    for before, after in zip(sent, sent[1:], strict=False):
        assert before[-1] != after[0]  # never the same sentence twice in a row
    # the rephrased consent question keeps the three choices as buttons
    _, messages = run(a.ActionAskConsentStore(), tracker("", {**FULL, "unclear": {"consent_store": 1}}), domain)
    assert len(messages[0]["buttons"]) == 4  # keep and share / only keep / do not keep / change something


def test_ambiguous_neighbourhood_is_asked_with_buttons(domain: dict) -> None:
    t = tracker("Pancras", {"requested_slot": "neighbourhood", "neighbourhood_candidates": ["BU05460102", "BU05460103"]})
    events, messages = run(a.ActionAskNeighbourhood(), t, domain)
    assert events == []
    assert messages[0]["response"] == "utter_ask_neighbourhood_part"
    assert [b["payload"] for b in messages[0]["buttons"]] == ['/choose{"neighbourhood":"BU05460102"}',
                                                              '/choose{"neighbourhood":"BU05460103"}']


def test_summary_sends_labels_in_the_users_language(domain: dict) -> None:
    _, messages = run(a.ActionAskConfirmed(), tracker("", {**FULL, "language": "en"}), domain)
    msg = messages[0]
    assert msg["response"] == "utter_summary"
    assert msg["theme_label"] == "Sustainability & biodiversity"
    assert msg["place_label"] == "De Kooi (Leiden-Noord)"
    assert msg["urgency_label"] == "urgent (this semester)"
    assert msg["role_label"] == "organisation (Buurtvereniging De Kooi)"
    assert msg["contact_label"] == "Sanne de Vries, sanne@example.nl"


def test_submit_stores_the_intake_and_returns_a_reference(domain: dict, sqlite_url: str) -> None:
    a._sessions.cache_clear()
    events, messages = run(a.ActionSubmitIntake(), tracker("ja", FULL, intent="affirm"), domain)
    assert messages[0]["response"] == "utter_intake_saved"
    reference = messages[0]["reference"]
    assert SlotSet("reference", reference) in events and SlotSet("description", None) in events
    with session_factory(sqlite_url)() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == reference)).one()
        assert intake.sender_id == "test-conversation" and intake.organisation == "Buurtvereniging De Kooi"
        contact = s.scalars(select(Contact).where(Contact.intake_id == intake.id)).one()
        assert contact.email == "sanne@example.nl"
        assert intake.consent_share is True and intake.consent_contact is True
        rows = s.scalars(select(Consent).where(Consent.intake_id == intake.id).order_by(Consent.kind)).all()
        assert [(r.kind, r.given) for r in rows] == [("contact", True), ("share", True), ("store", True)]
        for row in rows:
            shown = s.get(ConsentText, row.text_version)
            assert shown is not None and shown.text == consent.question(row.kind, "nl").text
            assert row.answered_at is not None
    assert SlotSet("forget_conversation", True) not in events
    a._sessions.cache_clear()


def test_without_consent_to_store_only_an_anonymous_count_is_kept(domain: dict, sqlite_url: str) -> None:
    a._sessions.cache_clear()
    slots = {**FULL, "consent_store": False, "consent_share": None, "contact_consent": None}
    events, messages = run(a.ActionSubmitIntake(), tracker("ja", slots, intent="affirm"), domain)
    assert messages[0]["response"] == "utter_not_stored"
    assert SlotSet("forget_conversation", True) in events and SlotSet("description", None) in events
    with session_factory(sqlite_url)() as s:
        assert s.scalars(select(Intake)).all() == [] and s.scalars(select(Contact)).all() == []
        count = s.scalars(select(AnonymousQuestion)).one()
        assert (count.theme, count.neighbourhood_code, count.urgency) == (
            "sustainability_biodiversity", "BU05460302", "high")
        assert len(count.month) == 7  # YYYY-MM: no exact moment, no text, no person
    a._sessions.cache_clear()


def test_reset_field_by_name_or_button(domain: dict) -> None:
    events, _ = run(a.ActionResetField(), tracker("verander de buurt", FULL, intent="change_field"), domain)
    assert SlotSet("neighbourhood", None) in events and SlotSet("field_understood", True) in events
    assert SlotSet("theme", None) not in events
    events, _ = run(a.ActionResetField(), tracker('/change_field{"field":"theme"}', FULL, intent="change_field",
                                                  entities=[{"entity": "field", "value": "theme"}]), domain)
    assert SlotSet("theme", None) in events
    events, _ = run(a.ActionResetField(), tracker("ik wil iets veranderen", FULL, intent="change_field"), domain)
    assert events == [SlotSet("field_understood", False), SlotSet("summary_stage", "which")]


def test_every_response_key_the_actions_send_exists_in_both_languages(domain: dict) -> None:
    import re
    from pathlib import Path

    sources = "".join(p.read_text() for p in Path("bot").glob("*.py")) + Path("actions/actions.py").read_text()
    keys = set(re.findall(r'"(utter_[a-z_]+)"', sources))
    for key in keys:
        variants = domain["responses"][key]
        langs = {c["value"] for v in variants for c in v.get("condition", [])}
        assert any("condition" not in v for v in variants), key
        assert "en" in langs, f"{key} has no English variant"


def test_the_action_server_loads_its_models_at_start_up_not_in_a_turn() -> None:
    import subprocess
    import sys

    probe = ("import actions; from bot.structuring.theme_model import get_classifier; from bot.structuring.gazetteer import _gazetteer; "
             "from bot.structuring.language import _detector; "
             "print(get_classifier.cache_info().currsize, _gazetteer.cache_info().currsize, "
             "_detector.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1", "1", "1"]
