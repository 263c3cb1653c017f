"""Custom actions of Stadsvraag. Each one reads the tracker, calls `bot`, returns events."""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import UNCLEAR_SLOT, DomainFormValidationAction
from bot.channels.names import channel_name
from bot.config import HandoffSettings, Settings
from bot.conversation import asking, erasure_form, intake_form
from bot.conversation.fields import FIELD_RESETS, field_from_text
from bot.conversation.responses import buttons as response_buttons
from bot.conversation.responses import render
from bot.conversation.slots import INTAKE_SLOTS, slots_kept_for_next_intake
from bot.conversation.summary import draft_from_slots, summary_values
from bot.handoff.outbox import submit_confirmed
from bot.notify import status
from bot.privacy import erasure
from bot.privacy.attempts import (
    ERASURE_CONTACT,
    ERASURE_REFERENCE,
    STATUS_ADDRESS,
    STATUS_CONVERSATION,
    forget,
    guard,
)
from bot.privacy.logscrub import sender_ref
from bot.review import grouping
from bot.storage.db import session_factory
from bot.storage.intakes import find_intake, record_anonymous
from bot.structuring import needs
from bot.structuring.language import DEFAULT_LANGUAGE, choose_language

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _sessions():
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


def _unclear(tracker: Tracker, slot: str) -> int:
    return int((tracker.get_slot(UNCLEAR_SLOT) or {}).get(slot, 0))


def _ask(dispatcher: CollectingDispatcher, base: str, unclear: int, language: str,
         base_buttons: list[dict[str, str]] | None = None, **values: Any) -> None:
    """Send question `base`, in other words after each answer that was not understood (bot/conversation/asking.py).

    A rephrasing without buttons of its own shows the choices of the question it rephrases.
    """
    for key in asking.responses_for(base, unclear):
        extra: list[dict[str, str]] = []
        if key != base and key != asking.HELP and not response_buttons(key, language):
            extra = base_buttons if base_buttons is not None else response_buttons(base, language)
        elif key == base and base_buttons:
            extra = base_buttons
        dispatcher.utter_message(response=key, buttons=extra, **(values if key == base else {}))


class ActionAskSlot(Action):
    """Asks for one slot of the intake form; subclasses are made below, one per slot."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        _ask(dispatcher, asking.base_response(self.slot), _unclear(tracker, self.slot), _language(tracker))
        return []


# one ask action per plain slot (rasa-sdk finds Action subclasses by their name)
for _slot in ("description", "details", "urgency", "asker_role", "organisation", "consent_share",
              "contact_consent", "contact_details"):
    globals()[f"ActionAsk_{_slot}"] = type(f"ActionAsk_{_slot}", (ActionAskSlot,), {"slot": _slot})


class ActionAskMatchingNeeds(Action):
    """One question for organisations about what matching needs, naming only what their question left open."""

    def name(self) -> str:
        return "action_ask_matching_needs"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = _language(tracker)
        open_ = needs.unknown(intake_form.needs_from_question(tracker.slots))
        topics = " ".join(render(f"utter_label_need_{key}", language) for key in open_)
        dispatcher.utter_message(response="utter_ask_matching_needs", topics=topics)
        return []


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
            _ask(dispatcher, "utter_ask_neighbourhood", _unclear(tracker, "neighbourhood"), _language(tracker))
        return []


class ActionAskTheme(Action):
    """Offer the three likeliest themes (a sure prediction is not asked: it is in the summary), or all."""

    def name(self) -> str:
        return "action_ask_theme"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = _language(tracker)
        unclear = _unclear(tracker, "theme")
        if unclear:
            _ask(dispatcher, "utter_ask_theme", unclear, language)
            return [SlotSet("theme_stage", "all")]
        question = intake_form.theme_question(tracker.slots, language)
        dispatcher.utter_message(response=question.response, buttons=question.buttons or [])
        return [SlotSet("theme_stage", question.stage)]


class ActionAskConsentStore(Action):
    """The summary, with the question whether we may keep and share the question (or change a part first).

    The response sent is kept in `consent_question`: the answer is recorded against those words.
    """

    def name(self) -> str:
        return "action_ask_consent_store"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = _language(tracker)
        unclear = _unclear(tracker, "consent_store")
        stage = tracker.get_slot("summary_stage")
        if stage == "which":
            _ask(dispatcher, "utter_ask_which_field", unclear, language)
            return []
        if tracker.get_slot("consent_share") is False:  # sharing was refused on its own: ask about keeping alone
            base = intake_form.STORE_ONLY_QUESTION
        elif stage == intake_form.CHANGED:  # a part was changed: the new summary, and the question in other words
            base, unclear = intake_form.CHANGED_QUESTION, 0
            dispatcher.utter_message(response="utter_summary", **summary_values(tracker.slots, language))
        else:
            base = asking.base_response("consent_store")
            if not unclear:  # the summary once; after an unclear answer only the question, in other words
                dispatcher.utter_message(response="utter_summary", **summary_values(tracker.slots, language))
        sent = asking.responses_for(base, unclear)[-1]
        _ask(dispatcher, base, unclear, language)
        return [SlotSet("consent_question", sent), SlotSet("summary_stage", None)]


class ActionAskConfirmed(Action):
    """The summary, to send or to correct; after "iets veranderen", which part."""

    def name(self) -> str:
        return "action_ask_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = _language(tracker)
        unclear = _unclear(tracker, "confirmed")
        if tracker.get_slot("summary_stage") == "which":
            _ask(dispatcher, "utter_ask_which_field", unclear, language)
        else:
            values = summary_values(tracker.slots, language)
            if not unclear:
                dispatcher.utter_message(response="utter_summary", **values)
            _ask(dispatcher, "utter_ask_confirmed", unclear, language, contact_label=values["contact_label"])
        return []


class ActionStartIntake(Action):
    """The first message: when it already is the question, keep it (with what it says about place,
    urgency and who asks) and start; otherwise greet and ask for the question."""

    def name(self) -> str:
        return "action_start_intake"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot("description"):
            return [SlotSet("question_given", True)]
        outcome = intake_form.validate_description(_text(tracker), tracker.slots)
        if not outcome.slots.get("description"):
            return [SlotSet("question_given", False)]
        dispatcher.utter_message(response="utter_intro")
        return [SlotSet("question_given", True)] + [SlotSet(k, v) for k, v in outcome.slots.items()]


class ActionSubmitIntake(Action):
    """Store the confirmed intake in one transaction and give the user its reference."""

    def name(self) -> str:
        return "action_submit_intake"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        draft = draft_from_slots(tracker.slots, _language(tracker),
                                 channel_name(tracker.get_latest_input_channel(), tracker.sender_id), tracker.sender_id)
        if not draft.description:
            dispatcher.utter_message(response="utter_ask_description")
            return []
        keep = slots_kept_for_next_intake(tracker.slots)
        reset = [SlotSet(slot, None) for slot in INTAKE_SLOTS if slot not in keep] + [
            SlotSet(UNCLEAR_SLOT, None), SlotSet("consents_kept", bool(keep) or None)]
        if tracker.get_slot("consent_store") is not True:
            return await self.not_stored(dispatcher, draft) + reset

        def store() -> tuple[str | None, bool]:
            with _sessions().begin() as session:
                intake = submit_confirmed(session, draft, HandoffSettings.from_env())
                reference = intake.reference
            try:  # linking is a help for the broker: it never costs the resident their stored question
                with _sessions().begin() as session:
                    stored = find_intake(session, str(reference))
                    similar = bool(stored is not None and grouping.link_similar(session, stored))
            except Exception:
                logger.exception("linking similar questions failed for intake %s", reference)
                similar = False
            return reference, similar

        try:
            reference, similar = await asyncio.to_thread(store)  # the database off the action server's event loop
        except Exception:
            logger.exception("storing an intake failed (conversation %s)", sender_ref(tracker.sender_id))
            dispatcher.utter_message(response="utter_save_failed")
            return []
        logger.info("intake %s stored", reference)
        dispatcher.utter_message(response="utter_intake_saved", reference=reference)
        if similar:
            dispatcher.utter_message(response="utter_similar_known")
        return reset + [SlotSet("reference", reference)]

    async def not_stored(self, dispatcher: CollectingDispatcher, draft) -> list[EventType]:
        """Without consent to store: an anonymous count only, and this conversation is deleted."""

        def count() -> None:
            with _sessions().begin() as session:
                record_anonymous(session, draft)

        try:
            await asyncio.to_thread(count)
        except Exception:
            logger.exception("counting an anonymous question failed")
        dispatcher.utter_message(response="utter_not_stored")
        return [SlotSet("forget_conversation", True)]


class ActionResetField(Action):
    """Change the part the user names: at once when the message gives the new value ("het is wel dringend",
    "de buurt is Stevenshof"), else clear it so the form asks for it again."""

    def name(self) -> str:
        return "action_reset_field"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        field = next(tracker.get_latest_entity_values("field"), None)
        if field not in FIELD_RESETS:
            field = field_from_text(_text(tracker))
        if field is None:
            return [SlotSet("field_understood", False), SlotSet("summary_stage", "which")]
        changes = intake_form.correction(field, _text(tracker))
        # after the summary was shown, it comes back in other words ("Ik heb het aangepast")
        shown = tracker.get_slot("requested_slot") in ("consent_store", "consent_share", "contact_consent",
                                                       "contact_details", "confirmed")
        return [SlotSet(slot, value) for slot, value in changes.items()] + [
            SlotSet("field_understood", True), SlotSet("confirmed", None),
            SlotSet("summary_stage", intake_form.CHANGED if shown else None)]


class ActionResetIntake(Action):
    """Forget the unfinished intake (stop / start over); the language stays."""

    def name(self) -> str:
        return "action_reset_intake"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return [SlotSet("requested_slot", None), SlotSet(UNCLEAR_SLOT, None), SlotSet("consents_kept", None)] + [
            SlotSet(s, None) for s in INTAKE_SLOTS + ERASURE_SLOTS]


ERASURE_SLOTS = ("erasure_reference", "erasure_proof")


class ValidateErasureForm(DomainFormValidationAction):
    validators = erasure_form.VALIDATORS

    def name(self) -> str:
        return "validate_erasure_form"


class ActionEraseData(Action):
    """Erase the intake whose reference and contact the resident gave; a few wrong tries end it.

    Wrong tries are counted in the database per reference and per e-mail address or phone number (hashed; see
    bot/privacy/attempts.py), not only in this conversation: starting a new conversation does not give new tries, and
    neither does trying one contact detail against many references.
    """

    def name(self) -> str:
        return "action_erase_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reset: list[EventType] = [SlotSet(s, None) for s in ERASURE_SLOTS]
        attempts = int(tracker.get_slot("erasure_attempts") or 0)
        if attempts >= erasure.MAX_ATTEMPTS:
            dispatcher.utter_message(response="utter_erasure_too_many")
            return reset
        reference = tracker.get_slot("erasure_reference") or ""
        proof = tracker.get_slot("erasure_proof") or ""
        limits = [(ERASURE_REFERENCE, erasure.parse_reference(reference)), (ERASURE_CONTACT, _proof_key(proof))]

        def count_try() -> tuple[float, list[int]]:
            with _sessions().begin() as session:  # counted before the lookup, so parallel tries see it
                return guard(session, limits)

        def erase(counted: list[int]) -> bool:
            with _sessions().begin() as session:
                intake = erasure.find_for_requester(session, reference, proof)
                if intake is None:
                    return False
                erasure.erase_intake(session, intake, "resident (chat)", "verzoek in de chat", erasure.RESIDENT,
                                     HandoffSettings.from_env())
                forget(session, counted)  # only wrong tries count
                return True

        try:  # the database off the action server's event loop
            wait, counted = await asyncio.to_thread(count_try)
            if wait:
                logger.info("erasure refused: too many tries (conversation %s)", sender_ref(tracker.sender_id))
                dispatcher.utter_message(response="utter_erasure_too_many")
                return reset + [SlotSet("erasure_attempts", erasure.MAX_ATTEMPTS)]
            erased = await asyncio.to_thread(erase, counted)
        except Exception:
            logger.exception("erasure failed (conversation %s)", sender_ref(tracker.sender_id))
            dispatcher.utter_message(response="utter_erasure_failed")
            return reset
        if not erased:
            logger.info("erasure request not matched (conversation %s, attempt %d)", sender_ref(tracker.sender_id), attempts + 1)
            dispatcher.utter_message(response="utter_erasure_not_found")
            return reset + [SlotSet("erasure_attempts", attempts + 1)]
        logger.info("intake %s erased on the resident's request", reference)
        dispatcher.utter_message(response="utter_erasure_done", reference=reference)
        return reset + [SlotSet("forget_conversation", True)]


def _proof_key(proof: str) -> str | None:
    """The contact detail as counted: normalised, so 'Sanne@Example.nl ' and 'sanne@example.nl' are one key."""
    given = erasure.parse_proof(proof)
    return given.lower() if given and "@" in given else given


class ActionStatusByReference(Action):
    """"Hoe staat het met mijn vraag LS-2026-000123?": the status in plain words, never the question itself.

    Every lookup counts against limits per conversation and per address (the widget passes a keyed hash of
    the client's address as message metadata; in Telegram and WhatsApp the chat is the address), so numbers
    cannot be walked through. Asking about the question stored in this same conversation is free.
    """

    def name(self) -> str:
        return "action_status_by_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reference = erasure.parse_reference(_text(tracker))
        if reference is None:
            again = bool(tracker.get_slot("status_asked"))
            dispatcher.utter_message(response="utter_status_ask_reference_again" if again else "utter_status_ask_reference")
            return [SlotSet("status_asked", True)]
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        address = metadata.get("client") if isinstance(metadata, dict) else None
        limits = [] if reference == tracker.get_slot("reference") else [
            (STATUS_CONVERSATION, tracker.sender_id), (STATUS_ADDRESS, str(address or tracker.sender_id))]

        def look_up() -> tuple[float, status.PublicStatus | None]:
            with _sessions().begin() as session:
                wait, _ = guard(session, limits)
            if wait:
                return wait, None
            with _sessions()() as session:
                return 0.0, status.lookup(session, reference)

        try:
            wait, found = await asyncio.to_thread(look_up)
        except Exception:
            logger.exception("status lookup failed (conversation %s)", sender_ref(tracker.sender_id))
            dispatcher.utter_message(response="utter_status_failed")
            return [SlotSet("status_asked", None)]
        if wait:
            logger.info("status lookup refused: too many (conversation %s)", sender_ref(tracker.sender_id))
            dispatcher.utter_message(response="utter_status_too_many")
        elif found is None:
            dispatcher.utter_message(response="utter_status_unknown", reference=reference)
        else:
            dispatcher.utter_message(response=f"utter_status_{found.status}", reference=found.reference)
            if found.note:
                dispatcher.utter_message(response="utter_status_reason", reason=found.note)
            if found.grouped and found.status != "joined":
                dispatcher.utter_message(response="utter_status_grouped")
        return [SlotSet("status_asked", None)]
