"""From conversation slots to a summary the user can check, and to a draft to store."""

from __future__ import annotations

from typing import Any

from bot.conversation.responses import render
from bot.privacy.consent import records_from_log
from bot.storage.intakes import IntakeDraft
from bot.structuring.gazetteer import get_gazetteer
from bot.structuring.themes import get_theme


def place_label(slots: dict[str, Any], language: str | None) -> str:
    kind, code = slots.get("neighbourhood_kind"), slots.get("neighbourhood_code")
    typed = slots.get("neighbourhood_text") or slots.get("neighbourhood") or ""
    gazetteer = get_gazetteer()
    if kind == "city":
        return render("utter_label_place_city", language)
    if kind == "outside":
        label = render("utter_label_place_outside", language)
        return f"{label} ({typed})" if typed and typed != "outside" else label
    if code and code in gazetteer.places:
        place = gazetteer.places[code]
        if place.kind == "neighbourhood" and place.district_name:
            return f"{place.name} ({place.district_name})"
        return place.name
    return f"{typed} ({render('utter_label_place_unresolved', language)})"


def timeframe_label(timeframe: str | None, language: str | None) -> str | None:
    if not timeframe:
        return None
    if timeframe.startswith("before "):
        return render("utter_label_timeframe_before", language, date=timeframe[len("before "):])
    key = f"utter_label_timeframe_{timeframe}"
    try:
        return render(key, language)
    except KeyError:
        return timeframe


def summary_values(slots: dict[str, Any], language: str | None) -> dict[str, str]:
    """The values that fill the placeholders of `utter_summary`."""
    theme = get_theme(slots.get("theme"))
    urgency = slots.get("urgency") or "normal"
    urgency_text = render(f"utter_label_urgency_{urgency}", language)
    frame = timeframe_label(slots.get("timeframe"), language)
    role = slots.get("asker_role") or "other"
    role_text = render(f"utter_label_role_{role}", language)
    if slots.get("organisation"):
        role_text = f"{role_text} ({slots['organisation']})"
    if slots.get("contact_consent"):
        contact_text = ", ".join(v for v in (slots.get("contact_name"), slots.get("contact_details")) if v)
    else:
        contact_text = render("utter_label_contact_anonymous", language)
    return {
        "description": slots.get("description") or "",
        "theme_label": theme.label(language) if theme else "-",
        "place_label": place_label(slots, language),
        "urgency_label": f"{urgency_text} ({frame})" if frame else urgency_text,
        "role_label": role_text,
        "contact_label": contact_text,
    }


def draft_from_slots(slots: dict[str, Any], language: str, channel: str, sender_id: str | None) -> IntakeDraft:
    """The intake to store. Contact data is only taken when consent to store and to be contacted was given."""
    gazetteer = get_gazetteer()
    code = slots.get("neighbourhood_code")
    place = gazetteer.places.get(code) if code else None
    stored = slots.get("consent_store") is True
    consent = stored and slots.get("contact_consent") is True
    details = slots.get("contact_details") if consent else None
    return IntakeDraft(
        language=language,
        description=slots.get("description") or "",
        channel=channel,
        sender_id=sender_id,
        theme=slots.get("theme"),
        theme_confidence=slots.get("theme_confidence"),
        theme_alternatives=slots.get("theme_alternatives"),
        pii_flags=slots.get("description_flags"),
        neighbourhood_kind=slots.get("neighbourhood_kind") or ("unresolved" if slots.get("neighbourhood") else None),
        neighbourhood_code=place.code if place else None,
        neighbourhood_name=place.name if place else None,
        district_code=place.district_code if place else None,
        district_name=place.district_name if place else None,
        neighbourhood_text=slots.get("neighbourhood_text"),
        urgency=slots.get("urgency"),
        timeframe=slots.get("timeframe"),
        asker_role=slots.get("asker_role"),
        organisation=slots.get("organisation"),
        consent_contact=consent,
        consent_share=stored and slots.get("consent_share") is True,
        consents=records_from_log(slots.get("consent_log"), slots),
        contact_name=slots.get("contact_name") if consent else None,
        contact_email=details if details and "@" in details else None,
        contact_phone=details if details and "@" not in details else None,
        needs=slots.get("matching_needs") if isinstance(slots.get("matching_needs"), dict) else None,
    )
