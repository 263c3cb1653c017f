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
from bot import intake_form
from bot.config import Settings
from bot.db import session_factory
from bot.fields import FIELD_RESETS, field_from_text
from bot.handoff import HandoffSettings, submit_confirmed
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
        keep = slots_kept_for_next_intake(tracker.slots)
        return [SlotSet(slot, None) for slot in INTAKE_SLOTS if slot not in keep] + [SlotSet("reference", reference)]


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
        return [SlotSet("requested_slot", None)] + [SlotSet(s, None) for s in INTAKE_SLOTS]
