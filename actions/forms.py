"""A shared form-validation base: slots are validated by plain functions from `bot`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.conversation.intake_form import Outcome

Validator = Callable[[Any, dict[str, Any]], Outcome]


class DomainFormValidationAction(FormValidationAction, ABC):
    """Validates each candidate slot with `validators[slot]`, in form order.

    Subclasses set `validators` and may override `form_slots` to make the
    form dynamic. A validator's response key is sent to the user as is; the
    text lives in domain.yml.
    """

    validators: Mapping[str, Validator] = {}

    @abstractmethod
    def name(self) -> str:
        """Subclasses name themselves `validate_<form>`."""

    def form_slots(self, slots: dict[str, Any]) -> list[str]:
        return list(self.validators)

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return self.form_slots(tracker.slots)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        candidates: dict[str, Any] = tracker.slots_to_validate()
        order = self.form_slots(tracker.slots)
        updates: dict[str, Any] = {}
        unclear: dict[str, int] = dict(tracker.get_slot(UNCLEAR_SLOT) or {})
        for slot_name in sorted(candidates, key=lambda s: order.index(s) if s in order else len(order)):
            validator = self.validators.get(slot_name)
            if validator is None:
                continue
            outcome = validator(candidates[slot_name], {**tracker.slots, **updates})
            updates.update(outcome.slots)
            tracker.slots.update(outcome.slots)
            if outcome.unclear:
                unclear[slot_name] = unclear.get(slot_name, 0) + 1
            elif outcome.slots.get(slot_name) is not None:
                unclear.pop(slot_name, None)
            if outcome.response:
                dispatcher.utter_message(response=outcome.response, buttons=outcome.buttons or [])
        if unclear != (tracker.get_slot(UNCLEAR_SLOT) or {}):
            updates[UNCLEAR_SLOT] = unclear or None
        return [SlotSet(name, value) for name, value in updates.items()]


# How often each question got an answer that was not understood; the ask actions use it to ask
# in other words (bot/conversation/asking.py), so no question is repeated in the same words after such an answer.
UNCLEAR_SLOT = "unclear"
