"""The slots of one intake: cleared after it is stored, except what a neighbourhood worker keeps for the next."""

from __future__ import annotations

from typing import Any

INTAKE_SLOTS = (
    "description", "description_flags", "theme", "theme_confidence", "theme_suggestion", "theme_alternatives", "theme_stage", "neighbourhood", "neighbourhood_code", "neighbourhood_kind",
    "neighbourhood_text", "neighbourhood_candidates", "urgency", "timeframe", "asker_role", "organisation",
    "consent_store", "consent_share", "contact_consent", "consent_log", "contact_name", "contact_details",
    "field_understood", "details", "confirmed", "summary_stage", "organisation_skipped", "question_given",
    "consents_kept", "consent_question", "matching_needs",
)


# A worker answers the consent questions once per conversation; they apply to each next question,
# with the moment and text version of the original answer.
WORKER_SLOTS = ("asker_role", "organisation", "consent_store", "consent_share", "contact_consent", "consent_log",
                "contact_name", "contact_details")


def slots_kept_for_next_intake(slots: dict[str, Any]) -> tuple[str, ...]:
    """A neighbourhood worker logs several questions: their own details are not asked again."""
    return WORKER_SLOTS if slots.get("asker_role") == "neighbourhood_worker" else ()
