"""Custom actions of Stadsvraag. Each one reads the tracker, calls `bot`, returns events."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import DomainFormValidationAction
from bot import erasure, erasure_form, intake_form
from bot.config import Settings
from bot.db import session_factory
from bot.fields import FIELD_RESETS, field_from_text
from bot.handoff import HandoffSettings, submit_confirmed
from bot.intakes import record_anonymous
from bot.language import DEFAULT_LANGUAGE, choose_language
from bot.summary import (
    INTAKE_SLOTS,
    channel_name,
    draft_from_slots,
    slots_kept_for_next_intake,
    summary_values,
)

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _sessions():  # type: ignore[no-untyped-def]
    return session_factory(Settings.from_env().database_url)


def _text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def _language(tracker: Tracker) -> str:
    return tracker.get_slot("language") or DEFAULT_LANGUAGE


class ActionDetectLanguage(Action):
    """Slot mapping action, run after every user message: keeps or switches the language."""

    def name(self) -> str:
        return "action_detect_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = _text(tracker)
        current = tracker.get_slot("language")
        if text.startswith("/") or not text.strip():
            return [] if current else [SlotSet("language", DEFAULT_LANGUAGE)]
        chosen = choose_language(current, text)
        return [] if chosen == current else [SlotSet("language", chosen)]


class ValidateIntakeForm(DomainFormValidationAction):
    validators = intake_form.VALIDATORS

    def name(self) -> str:
        return "validate_intake_form"

    def form_slots(self, slots: dict[str, Any]) -> list[str]:
        return intake_form.required_slots(slots)


class ActionAskNeighbourhood(Action):
    """Ask for the place; when a name fits several neighbourhoods, offer them as buttons."""

    def name(self) -> str:
        return "action_ask_neighbourhood"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        candidates = tracker.get_slot("neighbourhood_candidates")
        if candidates:
            dispatcher.utter_message(response="utter_ask_neighbourhood_part",
                                     buttons=intake_form.neighbourhood_buttons(candidates))
        else:
            dispatcher.utter_message(response="utter_ask_neighbourhood")
        return []


class ActionAskTheme(Action):
    """Propose the predicted theme when sure; otherwise offer the top three, or all themes."""

    def name(self) -> str:
        return "action_ask_theme"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        question = intake_form.theme_question(tracker.slots, _language(tracker))
        dispatcher.utter_message(response=question.response, buttons=question.buttons or [], **question.values)
        return [SlotSet("theme_stage", question.stage)]


class ActionStartIntake(Action):
    """When the first message already is the question, keep it as the description."""

    def name(self) -> str:
        return "action_start_intake"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("description"):
            return []
        return [SlotSet("description", _text(tracker))]


class ActionShowSummary(Action):
    def name(self) -> str:
        return "action_show_summary"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_summary", **summary_values(tracker.slots, _language(tracker)))
        return []


class ActionSubmitIntake(Action):
    """Store the confirmed intake in one transaction and give the user its reference."""

    def name(self) -> str:
        return "action_submit_intake"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        draft = draft_from_slots(tracker.slots, _language(tracker),
                                 channel_name(tracker.get_latest_input_channel(), tracker.sender_id), tracker.sender_id)
        if not draft.description:
            dispatcher.utter_message(response="utter_ask_description")
            return []
        keep = slots_kept_for_next_intake(tracker.slots)
        reset = [SlotSet(slot, None) for slot in INTAKE_SLOTS if slot not in keep]
        if tracker.get_slot("consent_store") is not True:
            return self.not_stored(dispatcher, draft) + reset
        try:
            with _sessions().begin() as session:
                intake = submit_confirmed(session, draft, HandoffSettings.from_env())
                reference = intake.reference
        except Exception:
            logger.exception("storing an intake failed (conversation %s)", tracker.sender_id)
            dispatcher.utter_message(response="utter_save_failed")
            return []
        logger.info("intake %s stored", reference)
        dispatcher.utter_message(response="utter_intake_saved", reference=reference)
        return reset + [SlotSet("reference", reference)]

    def not_stored(self, dispatcher: CollectingDispatcher, draft) -> list[EventType]:  # type: ignore[no-untyped-def]
        """Without consent to store: an anonymous count only, and this conversation is deleted."""
        try:
            with _sessions().begin() as session:
                record_anonymous(session, draft)
        except Exception:
            logger.exception("counting an anonymous question failed")
        dispatcher.utter_message(response="utter_not_stored")
        return [SlotSet("forget_conversation", True)]


class ActionResetField(Action):
    """Clear the field the user wants to change, so the form asks for it again."""

    def name(self) -> str:
        return "action_reset_field"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        field = next(tracker.get_latest_entity_values("field"), None)
        if field not in FIELD_RESETS:
            field = field_from_text(_text(tracker))
        if field is None:
            return [SlotSet("field_understood", False)]
        return [SlotSet(slot, value) for slot, value in FIELD_RESETS[field].items()] + [
            SlotSet("field_understood", True)]


class ActionResetIntake(Action):
    """Forget the unfinished intake (stop / start over); the language stays."""

    def name(self) -> str:
        return "action_reset_intake"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return [SlotSet("requested_slot", None)] + [SlotSet(s, None) for s in INTAKE_SLOTS + ERASURE_SLOTS]


ERASURE_SLOTS = ("erasure_reference", "erasure_proof")


class ValidateErasureForm(DomainFormValidationAction):
    validators = erasure_form.VALIDATORS

    def name(self) -> str:
        return "validate_erasure_form"


class ActionEraseData(Action):
    """Erase the intake whose reference and contact the resident gave; a few wrong tries end it."""

    def name(self) -> str:
        return "action_erase_data"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(s, None) for s in ERASURE_SLOTS]
        attempts = int(tracker.get_slot("erasure_attempts") or 0)
        if attempts >= erasure.MAX_ATTEMPTS:
            dispatcher.utter_message(response="utter_erasure_too_many")
            return reset
        reference = tracker.get_slot("erasure_reference") or ""
        try:
            with _sessions().begin() as session:
                intake = erasure.find_for_requester(session, reference, tracker.get_slot("erasure_proof") or "")
                if intake is not None:
                    erasure.erase_intake(session, intake, "resident (chat)", "verzoek in de chat", erasure.RESIDENT,
                                         HandoffSettings.from_env())
        except Exception:
            logger.exception("erasure failed (conversation %s)", tracker.sender_id)
            dispatcher.utter_message(response="utter_erasure_failed")
            return reset
        if intake is None:
            logger.info("erasure request not matched (conversation %s, attempt %d)", tracker.sender_id, attempts + 1)
            dispatcher.utter_message(response="utter_erasure_not_found")
            return reset + [SlotSet("erasure_attempts", attempts + 1)]
        logger.info("intake %s erased on the resident's request", reference)
        dispatcher.utter_message(response="utter_erasure_done", reference=reference)
        return reset + [SlotSet("forget_conversation", True)]
