"""What each answer in the erasure conversation means ("verwijder mijn gegevens"), without Rasa."""

from __future__ import annotations

from typing import Any

from bot.conversation.intake_form import Outcome
from bot.privacy.erasure import parse_proof, parse_reference


def validate_erasure_reference(value: Any, slots: dict[str, Any]) -> Outcome:
    reference = parse_reference(value) if isinstance(value, str) else None
    if reference is None:
        return Outcome({"erasure_reference": None}, "utter_erasure_reference_invalid")
    return Outcome({"erasure_reference": reference})


def validate_erasure_proof(value: Any, slots: dict[str, Any]) -> Outcome:
    proof = parse_proof(value) if isinstance(value, str) else None
    if proof is None:
        return Outcome({"erasure_proof": None}, "utter_contact_details_invalid")
    return Outcome({"erasure_proof": proof})


VALIDATORS = {"erasure_reference": validate_erasure_reference, "erasure_proof": validate_erasure_proof}
