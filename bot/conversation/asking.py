"""How a question is asked again after an answer that was not understood.

Never the same words twice in a row, and no dead end: the first time the question comes back
explained (`<response>_again`, with its buttons), the second time with an example and, where
the field is optional, a way out (`<response>_example`: "weet ik niet", "anoniem blijven");
the third time the municipality's phone number comes first (`utter_ask_help`) and then the
question itself. After that the cycle starts again, so two sentences in a row always differ.
Stop, start over, switching language and the FAQ keep working at every step (data/rules/).
"""

from __future__ import annotations

# The response that asks for a slot, where it is not `utter_ask_<slot>`.
BASE_RESPONSES = {
    "consent_store": "utter_ask_consent",  # keep and share: one question, separate choices
    "contact_consent": "utter_ask_contact",  # takes the e-mail address or phone number as its answer
}
HELP = "utter_ask_help"


def base_response(slot: str) -> str:
    return BASE_RESPONSES.get(slot, f"utter_ask_{slot}")


def responses_for(base: str, unclear: int) -> list[str]:
    """The responses that ask question `base` after `unclear` answers that were not understood."""
    if unclear <= 0:
        return [base]
    step = unclear % 3
    if step == 1:
        return [f"{base}_again"]
    if step == 2:
        return [f"{base}_example"]
    return [HELP, base]
