"""What each answer in the intake conversation means, without Rasa.

Each function takes the user's answer and the slots so far and returns an
`Outcome`: the slots to set (None clears or rejects a slot, so the form asks
again) and, when the user must be told something, the response key to send.
The Rasa validation action only forwards these outcomes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot import consent
from bot import contact as contact_rules
from bot.gazetteer import Place, Resolution, get_gazetteer
from bot.intakes import MAX_DESCRIPTION, ROLES, ROLES_WITH_ORGANISATION
from bot.privacy import scrub
from bot.responses import render
from bot.text import clean_user_text, fold
from bot.theme_model import PROPOSE_THRESHOLD, get_classifier
from bot.themes import get_theme, load_themes, match_theme_answer, theme_ids
from bot.urgency import URGENCY_LEVELS, parse_timeframe, parse_urgency
from bot.worker import parse_labelled

MIN_DESCRIPTION_WORDS = 4
MIN_DESCRIPTION_CHARS = 15
OUTSIDE = "outside"
MORE = "more"  # the "something else" button: show all themes
_WORDS = re.compile(r"[^\W\d_]{2,}")  # real words: two or more letters


@dataclass
class Outcome:
    slots: dict[str, Any] = field(default_factory=dict)
    response: str | None = None
    buttons: list[dict[str, str]] | None = None


def required_slots(slots: dict[str, Any]) -> list[str]:
    """The form's questions, in order; organisation and contact only when they apply."""
    order = ["description", "theme", "neighbourhood", "urgency", "asker_role"]
    if slots.get("asker_role") in ROLES_WITH_ORGANISATION:
        order.append("organisation")
    order.append("consent_store")
    if slots.get("consent_store") is not False:  # without consent to store, nothing more is asked
        order += ["consent_share", "contact_consent"]
        if slots.get("contact_consent") is True:
            order += ["contact_name", "contact_details"]
    return order


def _place_slots(place: Place, typed: str | None) -> dict[str, Any]:
    return {
        "neighbourhood": place.code,
        "neighbourhood_code": place.code,
        "neighbourhood_kind": place.kind,
        "neighbourhood_text": typed,
        "neighbourhood_candidates": None,
    }


def _is_command(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("/")


def validate_description(value: Any, slots: dict[str, Any]) -> Outcome:
    """Accept a description of at least a sentence; pick up place and urgency from it.

    A labelled message ("Buurt: ... Thema: ... Vraag: ...") fills every labelled field at once.
    """
    raw = value if isinstance(value, str) else ""
    labelled = parse_labelled(raw) if len(raw) <= MAX_DESCRIPTION else {}
    if labelled.get("description"):
        given: dict[str, Any] = {}
        for name, answer in labelled.items():
            validator = VALIDATORS.get(name)
            if name == "description" or validator is None or slots.get(name):
                continue
            outcome = validator(answer, {**slots, **given})
            if outcome.response is None:
                given.update(outcome.slots)
        out = validate_description(labelled["description"], {**slots, **given})
        if out.response is None:
            out.slots = {**given, **out.slots}
        return out
    if len(raw.strip()) > MAX_DESCRIPTION:
        return Outcome({"description": None}, "utter_description_too_long")
    scrubbed = scrub(clean_user_text(raw, MAX_DESCRIPTION))
    text = scrubbed.text
    words = _WORDS.findall(text)
    if _is_command(text) or len(words) < MIN_DESCRIPTION_WORDS or len(text) < MIN_DESCRIPTION_CHARS:
        return Outcome({"description": None}, "utter_description_too_short")
    out = Outcome({"description": text, "description_flags": scrubbed.kinds or None})
    if not slots.get("neighbourhood"):
        found = get_gazetteer().find_in_text(text)
        if found.kind == "place" and found.place:
            out.slots.update(_place_slots(found.place, None))
        elif found.kind == "ambiguous":
            out.slots["neighbourhood_candidates"] = [p.code for p in found.candidates]
    if not slots.get("urgency"):
        urgency = parse_urgency(text)
        if urgency:
            out.slots["urgency"] = urgency
    if not slots.get("timeframe"):
        timeframe = parse_timeframe(text)
        if timeframe:
            out.slots["timeframe"] = timeframe
    if not slots.get("theme"):
        prediction = get_classifier().predict(text)
        out.slots.update({"theme_suggestion": prediction.theme, "theme_confidence": prediction.confidence,
                          "theme_alternatives": prediction.top3})
    return out


@dataclass
class ThemeQuestion:
    response: str
    stage: str  # proposed | top3 | all
    buttons: list[dict[str, str]] | None = None
    values: dict[str, str] = field(default_factory=dict)


def _choose_theme_payload(theme_id: str) -> str:
    return "/choose" + json.dumps({"theme": theme_id}, separators=(",", ":"))


def theme_question(slots: dict[str, Any], language: str) -> ThemeQuestion:
    """How to ask for the theme: propose the prediction when sure, else the top three plus 'something else'."""
    stage = slots.get("theme_stage")
    suggestion = slots.get("theme_suggestion")
    confidence = slots.get("theme_confidence") or 0.0
    if stage in (None, "proposed") and suggestion and confidence >= PROPOSE_THRESHOLD:
        theme = get_theme(suggestion)
        if theme:
            return ThemeQuestion("utter_propose_theme", "proposed", values={"theme_label": theme.label(language)})
    alternatives = [t for t in (slots.get("theme_alternatives") or []) if get_theme(t)]
    if stage != "all" and alternatives:
        order = {t.id: i for i, t in enumerate(load_themes())}
        kennisstad_first = sorted(alternatives[:3], key=lambda t: (not get_theme(t).kennisstad,  # type: ignore[union-attr]
                                                                   alternatives.index(t), order[t]))
        buttons = [{"title": get_theme(t).label(language), "payload": _choose_theme_payload(t)}  # type: ignore[union-attr]
                   for t in kennisstad_first]
        buttons.append({"title": render("utter_label_theme_more", language), "payload": _choose_theme_payload(MORE)})
        return ThemeQuestion("utter_ask_theme_top", "top3", buttons=buttons)
    return ThemeQuestion("utter_ask_theme", "all")


_YES = {"ja", "yes", "klopt", "ja klopt", "dat klopt", "correct", "yes that s right", "that s right", "ja hoor",
        "jazeker", "ok", "oke", "prima", "sure", "yep", "affirm", "right", "precies", "inderdaad"}
_NO = {"nee", "no", "klopt niet", "nee iets anders", "no something else", "niet", "nope", "deny", "dat klopt niet",
       "that s wrong", "wrong", "not right", "nee hoor"}


def validate_theme(value: Any, slots: dict[str, Any]) -> Outcome:
    """A chosen id, yes/no to a proposal, or typed words matched to the taxonomy."""
    if value == MORE:
        return Outcome({"theme": None, "theme_stage": "all"})
    if isinstance(value, str) and value in theme_ids():
        return Outcome({"theme": value})
    text = value if isinstance(value, str) else ""
    answer = fold(text.lstrip("/"))
    if slots.get("theme_stage") == "proposed":
        if answer in _YES and slots.get("theme_suggestion") in theme_ids():
            return Outcome({"theme": slots["theme_suggestion"]})
        if answer in _NO:
            return Outcome({"theme": None, "theme_stage": "top3"})
    theme = match_theme_answer(text) if text and not _is_command(text) else None
    if theme:
        return Outcome({"theme": theme})
    return Outcome({"theme": None, "theme_stage": "all"}, "utter_theme_unknown")


def neighbourhood_buttons(codes: list[str]) -> list[dict[str, str]]:
    """Buttons for an ambiguous place: titles are official CBS names (data, not prose)."""
    places = get_gazetteer().places
    return [{"title": places[c].name, "payload": "/choose" + json.dumps({"neighbourhood": c}, separators=(",", ":"))}
            for c in codes if c in places]


def validate_neighbourhood(value: Any, slots: dict[str, Any]) -> Outcome:
    """Resolve a place; ask which part when ambiguous; never lose an unknown answer.

    An unknown name is asked once more; typed again (or anything unknown the
    second time) it is stored as typed, marked 'unresolved' for the broker.
    """
    gazetteer = get_gazetteer()
    if value == OUTSIDE:
        return Outcome({"neighbourhood": OUTSIDE, "neighbourhood_code": None, "neighbourhood_kind": "outside",
                        "neighbourhood_candidates": None})
    if isinstance(value, str) and value in gazetteer.places:
        return Outcome(_place_slots(gazetteer.places[value], slots.get("neighbourhood_text")))
    text = clean_user_text(value if isinstance(value, str) else "", 200)
    if not text or _is_command(text):
        return Outcome({"neighbourhood": None}, "utter_ask_neighbourhood")
    found: Resolution = gazetteer.resolve(text)
    if found.kind == "place" and found.place:
        return Outcome(_place_slots(found.place, text))
    if found.kind == "ambiguous":
        codes = [p.code for p in found.candidates]
        return Outcome({"neighbourhood": None, "neighbourhood_candidates": codes, "neighbourhood_text": text})
    if found.kind == "outside":
        return Outcome({"neighbourhood": OUTSIDE, "neighbourhood_code": None, "neighbourhood_kind": "outside",
                        "neighbourhood_text": text, "neighbourhood_candidates": None})
    if slots.get("neighbourhood_kind") == "pending":
        return Outcome({"neighbourhood": text, "neighbourhood_code": None, "neighbourhood_kind": "unresolved",
                        "neighbourhood_text": text, "neighbourhood_candidates": None})
    return Outcome({"neighbourhood": None, "neighbourhood_kind": "pending", "neighbourhood_text": text},
                   "utter_neighbourhood_unknown")


def validate_urgency(value: Any, slots: dict[str, Any]) -> Outcome:
    if value in URGENCY_LEVELS:
        return Outcome({"urgency": value})
    text = value if isinstance(value, str) and not _is_command(value) else ""
    urgency, timeframe = parse_urgency(text), parse_timeframe(text)
    out = Outcome()
    if timeframe:
        out.slots["timeframe"] = timeframe
    if urgency:
        out.slots["urgency"] = urgency
    elif timeframe:
        out.slots["urgency"] = "normal"
    else:
        out.slots["urgency"] = None
        out.response = "utter_urgency_unknown"
    return out


_ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "neighbourhood_worker": ("namens bewoners", "namens de bewoners", "on behalf of residents", "buurtwerker",
                             "wijkwerker", "opbouwwerker", "jongerenwerker", "sociaal werker",
                             "buurtcoach", "wijkcoach", "neighbourhood worker", "neighborhood worker", "community worker",
                             "social worker", "youth worker"),
    "municipality": ("gemeente", "ambtenaar", "municipality", "council", "city hall", "city of leiden"),
    "organisation": ("organisatie", "stichting", "vereniging", "namens", "bedrijf", "school", "bibliotheek",
                     "organisation", "organization", "foundation", "association", "on behalf", "company", "charity",
                     "food bank", "voedselbank", "we are a", "wij zijn een"),
    "resident": ("bewoner", "buurtbewoner", "inwoner", "bewoonster", "ik woon", "resident", "i live", "citizen",
                 "inhabitant", "local"),
    "other": ("anders", "other", "student", "onderzoeker", "researcher", "something else"),
}


def role_from_text(text: str) -> str | None:
    padded = f" {fold(text)} "
    for role, words in _ROLE_WORDS.items():
        if any(f" {fold(w)} " in padded for w in words):
            return role
    return None


def validate_asker_role(value: Any, slots: dict[str, Any]) -> Outcome:
    if value in ROLES:
        return Outcome({"asker_role": value})
    role = role_from_text(value) if isinstance(value, str) and not _is_command(value) else None
    if role:
        return Outcome({"asker_role": role})
    return Outcome({"asker_role": None}, "utter_asker_role_unknown")


def validate_organisation(value: Any, slots: dict[str, Any]) -> Outcome:
    text = clean_user_text(value if isinstance(value, str) else "", 200)
    if len(text) < 2 or _is_command(text):
        return Outcome({"organisation": None}, "utter_ask_organisation")
    return Outcome({"organisation": text})


def _consent_validator(kind: str):  # type: ignore[no-untyped-def]
    """Yes or no to one consent question; the answer is logged with its moment and text version."""
    slot = consent.SLOTS[kind]

    def validate(value: Any, slots: dict[str, Any]) -> Outcome:
        given = consent.yes_or_no(value)
        if given is None:
            return Outcome({slot: None}, "utter_consent_unclear")
        log = dict(slots.get("consent_log") or {})
        entry = consent.answer(kind, given, slots.get("language"))
        earlier = log.get(kind)
        # the same answer validated again (a form re-checks slots it already has) keeps its moment
        if not (isinstance(earlier, dict) and earlier.get("given") == given
                and earlier.get("version") == entry["version"]):
            log[kind] = entry
        out = Outcome({slot: given, "consent_log": log})
        if kind == "store" and not given:  # nothing more is asked or kept
            out.slots.update({"consent_share": None, "contact_consent": None, "contact_name": None,
                              "contact_details": None})
        if kind == "contact" and not given:
            out.slots.update({"contact_name": None, "contact_details": None})
        return out

    validate.__name__ = f"validate_{slot}"
    return validate


validate_consent_store = _consent_validator("store")
validate_consent_share = _consent_validator("share")
validate_contact_consent = _consent_validator("contact")


def validate_contact_name(value: Any, slots: dict[str, Any]) -> Outcome:
    name = contact_rules.normalise_name(value) if isinstance(value, str) else None
    if not name:
        return Outcome({"contact_name": None}, "utter_contact_name_invalid")
    return Outcome({"contact_name": name})


def validate_contact_details(value: Any, slots: dict[str, Any]) -> Outcome:
    text = value if isinstance(value, str) else ""
    email = contact_rules.normalise_email(text)
    if email:
        return Outcome({"contact_details": email})
    phone = contact_rules.normalise_phone(text)
    if phone:
        return Outcome({"contact_details": phone})
    return Outcome({"contact_details": None}, "utter_contact_details_invalid")


VALIDATORS = {
    "description": validate_description,
    "theme": validate_theme,
    "neighbourhood": validate_neighbourhood,
    "urgency": validate_urgency,
    "asker_role": validate_asker_role,
    "organisation": validate_organisation,
    "consent_store": validate_consent_store,
    "consent_share": validate_consent_share,
    "contact_consent": validate_contact_consent,
    "contact_name": validate_contact_name,
    "contact_details": validate_contact_details,
}
