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

from rapidfuzz import fuzz, process

from bot.conversation import answers
from bot.conversation.fields import FIELD_RESETS, field_from_text
from bot.conversation.responses import render
from bot.privacy import consent
from bot.privacy import contact as contact_rules
from bot.privacy.scrub import scrub
from bot.storage.intakes import MAX_DESCRIPTION, ROLES, ROLES_WITH_ORGANISATION
from bot.structuring import needs
from bot.structuring.gazetteer import Place, Resolution, get_gazetteer
from bot.structuring.labelled import parse_labelled
from bot.structuring.text import clean_user_text, fold
from bot.structuring.theme_model import PROPOSE_THRESHOLD, get_classifier
from bot.structuring.themes import get_theme, load_themes, match_theme_answer, theme_ids
from bot.structuring.urgency import URGENCY_LEVELS, parse_timeframe, parse_urgency

MIN_DESCRIPTION_WORDS = 4
MIN_DESCRIPTION_CHARS = 15
OUTSIDE = "outside"
WHOLE_CITY = "city"  # payload of the "whole city" buttons in domain.yml
MORE = "more"  # the "something else" button: show all themes
_WORDS = re.compile(r"[^\W\d_]{2,}")  # real words: two or more letters


@dataclass
class Outcome:
    """What an answer means: the slots to set, an optional response to send first, and whether the
    answer was not understood (`unclear`: the question is then asked again in other words)."""

    slots: dict[str, Any] = field(default_factory=dict)
    response: str | None = None
    buttons: list[dict[str, str]] | None = None
    unclear: bool = False


DETAIL_FIELDS = ("neighbourhood", "urgency", "asker_role")
NEEDS_ROLES = ("organisation", "municipality")  # who is asked what matching needs (docs/matching.md)


def needs_from_question(slots: dict[str, Any]) -> dict[str, Any]:
    """What the question already says of what matching needs (with its urgency and timeframe)."""
    return needs.infer(slots.get("description") or "", slots.get("timeframe"), slots.get("urgency"))


def asks_matching_needs(slots: dict[str, Any]) -> bool:
    """Organisations get one question for the matching, about what their question did not already say."""
    if slots.get("asker_role") not in NEEDS_ROLES or slots.get("consents_kept"):
        return False
    return slots.get("matching_needs") is not None or bool(needs.unknown(needs_from_question(slots)))


def required_slots(slots: dict[str, Any]) -> list[str]:
    """The form's questions, in order; each is asked only while its slot is empty.

    `details` asks for place, urgency and role in one question when two or more of them are
    still missing after the first message; what its answer leaves open is asked one by one.
    The summary comes with the question whether we may keep and share the question (`consent_store`;
    `consent_share` is asked apart only when the answer left it open): what the person agrees to is
    on the screen, and a wrong part is changed there. The contact question comes last and takes the
    e-mail address or phone number as its answer. `confirmed` (the summary on its own) is asked only
    when the consents were given for an earlier question of the same conversation (a worker's).
    """
    order = ["description", "theme"]
    missing = [f for f in DETAIL_FIELDS if slots.get(f) is None]
    if slots.get("details") is None and len(missing) >= 2:
        order.append("details")
    order += list(DETAIL_FIELDS)
    if slots.get("asker_role") in ROLES_WITH_ORGANISATION and not slots.get("organisation_skipped"):
        order.append("organisation")
    if asks_matching_needs(slots):
        order.append("matching_needs")
    order.append("consent_store")
    if slots.get("consent_store") is not False:  # without consent to store, nothing more is asked
        order += ["consent_share", "contact_consent"]
        if slots.get("contact_consent") is True:
            order.append("contact_details")
        if slots.get("consents_kept"):
            order.append("confirmed")
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
        return Outcome({"description": None}, unclear=True)
    out = Outcome({"description": text, "description_flags": scrubbed.kinds or None})
    out.slots.update(_details_in(text, slots, in_question=True))
    if not slots.get("theme"):
        prediction = get_classifier().predict(text)
        out.slots.update({"theme_suggestion": prediction.theme, "theme_confidence": prediction.confidence,
                          "theme_alternatives": prediction.top3})
        if prediction.confidence >= PROPOSE_THRESHOLD:  # sure enough: confirmed in the summary, not asked
            out.slots.update({"theme": prediction.theme, "theme_stage": "proposed"})
    return out


def _details_in(text: str, slots: dict[str, Any], in_question: bool) -> dict[str, Any]:
    """Place, urgency, timeframe, role and organisation that a text mentions, for the slots still empty.

    In the question itself only plain cues count for the role ("ik woon in", "namens de bibliotheek");
    in an answer to "who is asking?" single words ("bewoner") do too.
    """
    found: dict[str, Any] = {}
    if not slots.get("neighbourhood"):
        place = get_gazetteer().find_in_text(text)
        typed = None  # the words of a direct answer are kept as typed; a place inside a sentence is not
        if place.kind == "unknown" and not in_question:
            place, typed = get_gazetteer().resolve(text), text
        if place.kind == "place" and place.place:
            found.update(_place_slots(place.place, typed))
        elif place.kind == "ambiguous":
            found["neighbourhood_candidates"] = [p.code for p in place.candidates]
        elif place.kind == "outside":
            found.update(_outside_slots(text))
    if not slots.get("urgency"):
        urgency = parse_urgency(text)
        if urgency:
            found["urgency"] = urgency
    if not slots.get("timeframe"):
        timeframe = parse_timeframe(text)
        if timeframe:
            found["timeframe"] = timeframe
            if not slots.get("urgency") and not found.get("urgency") and not in_question:
                found["urgency"] = "normal"
    if not slots.get("asker_role") or not in_question:  # a role said in an answer overrides an inferred one
        role = answers.infer_role(text) or (None if in_question else role_from_text(text))
        if role:
            found["asker_role"] = role
            organisation = answers.infer_organisation(text)
            if role in ROLES_WITH_ORGANISATION and organisation and not slots.get("organisation"):
                found["organisation"] = organisation
    return found


def _outside_slots(text: str | None) -> dict[str, Any]:
    return {"neighbourhood": OUTSIDE, "neighbourhood_code": None, "neighbourhood_kind": "outside",
            "neighbourhood_text": text, "neighbourhood_candidates": None}


@dataclass
class ThemeQuestion:
    response: str
    stage: str  # proposed | top3 | all
    buttons: list[dict[str, str]] | None = None


def _choose_theme_payload(theme_id: str) -> str:
    return "/choose" + json.dumps({"theme": theme_id}, separators=(",", ":"))


def theme_question(slots: dict[str, Any], language: str) -> ThemeQuestion:
    """How to ask for the theme: the top three plus 'something else', or all themes."""
    stage = slots.get("theme_stage")
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


def validate_theme(value: Any, slots: dict[str, Any]) -> Outcome:
    """A chosen id, or typed words matched to the taxonomy ("gezondheid", "weet ik niet")."""
    if value == MORE:
        return Outcome({"theme": None, "theme_stage": "all"})
    if isinstance(value, str) and value in theme_ids():
        return Outcome({"theme": value})
    text = value if isinstance(value, str) else ""
    theme = match_theme_answer(text) if text and not _is_command(text) else None
    if theme:
        return Outcome({"theme": theme})
    if text and answers.is_dont_know(text):
        return Outcome({"theme": "other"})
    return Outcome({"theme": None, "theme_stage": "all"}, unclear=True)


def validate_details(value: Any, slots: dict[str, Any]) -> Outcome:
    """One answer for place, urgency and role; what it leaves open is asked one by one."""
    text = clean_user_text(value if isinstance(value, str) else "", 300)
    found = _details_in(text, slots, in_question=False) if text and not _is_command(text) else {}
    return Outcome({"details": "asked", **found})


def neighbourhood_buttons(codes: list[str]) -> list[dict[str, str]]:
    """Buttons for an ambiguous place: titles are official CBS names (data, not prose)."""
    places = get_gazetteer().places
    return [{"title": places[c].name, "payload": "/choose" + json.dumps({"neighbourhood": c}, separators=(",", ":"))}
            for c in codes if c in places]


UNKNOWN_PLACE = "unknown"


def validate_neighbourhood(value: Any, slots: dict[str, Any]) -> Outcome:
    """Resolve a place; ask which part when ambiguous; never lose an unknown answer.

    An unknown name is asked once more in other words; typed again (or anything unknown the
    second time) it is stored as typed, marked 'unresolved' for the broker. "Weet ik niet" is
    a way out: the place stays unknown.
    """
    gazetteer = get_gazetteer()
    if value == OUTSIDE:
        return Outcome(_outside_slots(slots.get("neighbourhood_text")))
    if value == UNKNOWN_PLACE:
        return Outcome(_unknown_place_slots())
    if value == WHOLE_CITY:  # the "whole city" button, whichever city this is
        value = gazetteer.city.code
    if isinstance(value, str) and value in gazetteer.places:
        return Outcome(_place_slots(gazetteer.places[value], slots.get("neighbourhood_text")))
    text = clean_user_text(value if isinstance(value, str) else "", 200)
    if not text or _is_command(text):
        return Outcome({"neighbourhood": None}, unclear=True)
    found: Resolution = gazetteer.resolve(text)
    if found.kind == "place" and found.place:
        return Outcome(_place_slots(found.place, text))
    if found.kind == "ambiguous":
        codes = [p.code for p in found.candidates]
        return Outcome({"neighbourhood": None, "neighbourhood_candidates": codes, "neighbourhood_text": text})
    if found.kind == "outside":
        return Outcome(_outside_slots(text))
    if answers.is_dont_know(text):
        return Outcome(_unknown_place_slots())
    if slots.get("neighbourhood_kind") == "pending":
        return Outcome({"neighbourhood": text, "neighbourhood_code": None, "neighbourhood_kind": "unresolved",
                        "neighbourhood_text": text, "neighbourhood_candidates": None})
    return Outcome({"neighbourhood": None, "neighbourhood_kind": "pending", "neighbourhood_text": text}, unclear=True)


def _unknown_place_slots() -> dict[str, Any]:
    return {"neighbourhood": UNKNOWN_PLACE, "neighbourhood_code": None, "neighbourhood_kind": UNKNOWN_PLACE,
            "neighbourhood_text": None, "neighbourhood_candidates": None}


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
    elif timeframe or (text and answers.is_dont_know(text)):
        out.slots["urgency"] = "normal"
    else:
        out.slots["urgency"] = None
        out.unclear = True
    return out


_ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "neighbourhood_worker": ("namens bewoners", "namens de bewoners", "on behalf of residents", "buurtwerker",
                             "wijkwerker", "opbouwwerker", "jongerenwerker", "sociaal werker",
                             "buurtcoach", "wijkcoach", "neighbourhood worker", "neighborhood worker", "community worker",
                             "social worker", "youth worker"),
    "municipality": ("gemeente", "ambtenaar", "municipality", "council", "city hall"),
    "organisation": ("organisatie", "stichting", "vereniging", "namens", "bedrijf", "school", "bibliotheek",
                     "organisation", "organization", "foundation", "association", "on behalf", "company", "charity",
                     "food bank", "voedselbank", "we are a", "wij zijn een"),
    "resident": ("bewoner", "buurtbewoner", "inwoner", "bewoonster", "ik woon", "resident", "i live", "citizen",
                 "inhabitant", "local", "ik woon er", "i live there", "bewoners", "residents", "particulier",
                 "gewoon ik", "just me", "myself", "mezelf", "ikzelf", "ik zelf", "private person", "buurvrouw",
                 "buurman", "neighbour", "neighbor", "ouder", "moeder", "vader", "parent", "mother", "father",
                 "woon er", "woon in", "wonen in", "wonen er", "live there", "living there", "live in", "living in",
                 "local resident", "huurder", "tenant", "homeowner", "huiseigenaar"),
    "other": ("anders", "other", "student", "onderzoeker", "researcher", "something else"),
}


_ROLE_SINGLE_WORDS = {fold(w): role for role, words in _ROLE_WORDS.items() for w in words
                      if " " not in w and len(w) >= 6}


def role_from_text(text: str) -> str | None:
    """The role an answer to "who is asking?" names; one-word answers with a typo ("resdent") too."""
    padded = f" {fold(text)} "
    for role, words in _ROLE_WORDS.items():
        if any(f" {fold(w)} " in padded for w in words):
            return role
    for word in padded.split():
        if len(word) >= 6:
            match = process.extractOne(word, list(_ROLE_SINGLE_WORDS), scorer=fuzz.ratio, score_cutoff=85)
            if match:
                return _ROLE_SINGLE_WORDS[match[0]]
    return None


def validate_asker_role(value: Any, slots: dict[str, Any]) -> Outcome:
    if value in ROLES:
        return Outcome({"asker_role": value})
    text = value if isinstance(value, str) and not _is_command(value) else ""
    role = (answers.infer_role(text) or role_from_text(text)) if text else None
    if role:
        out = Outcome({"asker_role": role})
        organisation = answers.infer_organisation(text)
        if role in ROLES_WITH_ORGANISATION and organisation and not slots.get("organisation"):
            out.slots["organisation"] = organisation
        return out
    if text and answers.is_dont_know(text):
        return Outcome({"asker_role": "other"})
    return Outcome({"asker_role": None}, unclear=True)


def validate_organisation(value: Any, slots: dict[str, Any]) -> Outcome:
    text = clean_user_text(value if isinstance(value, str) else "", 200)
    if text and answers.is_dont_know(text):
        return Outcome({"organisation": None, "organisation_skipped": True})
    if len(text) < 2 or _is_command(text):
        return Outcome({"organisation": None}, unclear=True)
    return Outcome({"organisation": text})


def validate_matching_needs(value: Any, slots: dict[str, Any]) -> Outcome:
    """One answer about what matching needs; whatever it says is kept, and nothing is asked twice: "weet ik niet"
    or a short answer leaves the rest for the broker, who sees the asker's words."""
    text = clean_user_text(value if isinstance(value, str) else "", 300)
    if _is_command(text):
        text = ""
    found = needs.read_answer(text) if text and not answers.is_dont_know(text) else {}
    said = scrub(text).text if text else None
    return Outcome({"matching_needs": {**needs.merged(needs_from_question(slots), found), "said": said}})


def _logged(slots: dict[str, Any], kind: str, given: bool, question: str) -> dict[str, Any]:
    """The consent log with this answer: its moment and the version of the question's text.

    The same answer validated again (a form re-checks the slots it already has, e.g. a worker's consents
    for their next question) keeps the moment and the text version of the first time it was given.
    """
    log = dict(slots.get("consent_log") or {})
    earlier = log.get(kind)
    if not (isinstance(earlier, dict) and earlier.get("given") == given):
        log[kind] = consent.answer(kind, given, slots.get("language"), question)
    return log


STORE_ONLY_QUESTION = "utter_ask_consent_store"  # after "niet delen" alone: may we keep it, then?
CHANGED_QUESTION = "utter_ask_consent_changed"  # the same question after a part was changed ("Klopt het nu?")
CHANGED = "changed"  # summary_stage after a correction: the summary comes back with other words
def _new_value(field: str, text: str) -> dict[str, Any]:
    """The new value a change request gives for a place, urgency or role, if any."""
    if field not in DETAIL_FIELDS:
        return {}
    found = _details_in(text, {}, in_question=True)
    if field == "urgency" and "urgency" not in found:
        urgency = parse_urgency(text)
        found.update({"urgency": urgency} if urgency else {})
    if field == "asker_role" and "asker_role" not in found:
        role = role_from_text(text)
        found.update({"asker_role": role} if role else {})
    return found if field in found else {}


def correction(field: str, text: str) -> dict[str, Any]:
    """The slots for a change of `field`: the new value when `text` gives one, else cleared to be asked again."""
    return {**FIELD_RESETS[field], **_new_value(field, text)}


_CORRECTION_WORDS = ("verander", "veranderen", "wijzig", "wijzigen", "aanpassen", "klopt niet", "is fout", "fout",
                     "moet", "change", "edit", "wrong", "not right", "not correct", "should", "instead", "eigenlijk",
                     "actually")
_NOT_RIGHT = ("klopt niet", "niet goed", "niet juist", "is fout", "iets veranderen", "verander", "veranderen",
              "aanpassen", "wijzigen", "not right", "not correct", "is wrong", "change something", "change", "edit",
              "correct it", "fix")


def validate_consent_store(value: Any, slots: dict[str, Any]) -> Outcome:
    """The summary's question: keep and share, keep only, neither — or change a part first.

    Buttons set both slots; a typed "ja" answers the question as asked (keep and share);
    "alleen bewaren" / "ja, maar niet delen" keeps without sharing; a refusal keeps nothing.
    "Iets veranderen", "klopt niet" or a named part ("de buurt is Stevenshof") changes the intake
    first: nothing is agreed to before the summary is right. Each answer is logged per kind with
    its moment and the text version of this question.
    """
    store: bool | None
    share: bool | None = None
    text = value if isinstance(value, str) else ""
    key = f" {answers.normalise(text)} " if text else ""
    if text and not isinstance(value, bool):
        if text.strip() == "/deny" or (slots.get("summary_stage") == "which" and text.strip() == "/affirm"):
            # the "change something" button; "send after all" from the which-part question returns here
            return Outcome({"consent_store": None, "summary_stage": "which" if text.strip() == "/deny" else None})
        named = field_from_text(text) if not _is_command(text) else None
        if named and named not in ("consent", "contact") and (
                slots.get("summary_stage") == "which" or named in _new_value(named, text)
                or any(f" {w} " in key for w in _CORRECTION_WORDS)):
            # "verander de buurt" asks it again; "nee, de buurt is Stevenshof" changes it at once
            return Outcome({**correction(named, text), "consent_store": None, "summary_stage": CHANGED})
        if slots.get("summary_stage") == "which" and answers.yes_or_no(text) is True:
            return Outcome({"consent_store": None, "summary_stage": None})  # all right after all: the question again
        if slots.get("summary_stage") == "which" or any(f" {p} " in key for p in _NOT_RIGHT):
            return Outcome({"consent_store": None, "summary_stage": "which"}, unclear=slots.get("summary_stage") == "which")
    if isinstance(value, bool):
        store = value
        share = slots.get("consent_share") if isinstance(slots.get("consent_share"), bool) else None
    elif answers.only_anonymity(text):  # "anoniem graag": explained, since keeping can be anonymous
        store = None
    else:
        store, share = answers.keep_and_share(text)
    # the consent is recorded against the words the person saw (set by the ask action)
    question = slots.get("consent_question") or (
        consent.COMBINED_QUESTION if slots.get("consent_share") is not False else STORE_ONLY_QUESTION)
    if store is None:
        out = Outcome({"consent_store": None, "summary_stage": None}, unclear=share is None)
        if share is False:  # "niet delen" alone: not shared for sure; keeping is asked apart
            out.slots.update({"consent_share": False,
                              "consent_log": _logged(slots, "share", False, question)})
            out.response = "utter_consent_share_noted"
        return out
    log = _logged(slots, "store", store, question)
    out = Outcome({"consent_store": store, "consent_log": log, "summary_stage": None})
    if not store:  # nothing more is asked or kept
        out.slots.update({"consent_share": None, "contact_consent": None, "contact_name": None,
                          "contact_details": None, "confirmed": None})
        return out
    if share is not None:
        out.slots["consent_share"] = share
        out.slots["consent_log"] = _logged({**slots, "consent_log": log}, "share", share, question)
    return out


def validate_consent_share(value: Any, slots: dict[str, Any]) -> Outcome:
    """Asked apart only when the combined question left sharing open."""
    given = answers.yes_or_no(value)
    if given is None:
        return Outcome({"consent_share": None}, unclear=True)
    return Outcome({"consent_share": given, "consent_log": _logged(slots, "share", given, consent.QUESTIONS["share"])})


_PARTICLES = {"de", "van", "der", "den", "ter", "ten", "het", "te", "in", "t", "'t", "la", "le", "da", "di", "von", "el"}


def _name_beside(text: str) -> str | None:
    """A name typed next to the e-mail address or phone number ("Sanne de Vries, sanne@example.nl").

    Only capitalised words (and particles such as "de" and "van") count, so "mail me op ..." gives no name.
    """
    rest = contact_rules.strip_contact_details(text).replace(",", " ").replace(":", " ").split()
    words: list[str] = []
    for word in rest:
        if word[:1].isupper() and word.lower() not in ("ja", "yes", "mijn", "my", "email", "e-mail", "mail", "tel",
                                                       "telefoon", "phone", "naam", "name", "ok", "oke", "prima"):
            words.append(word)
        elif words and word.lower() in _PARTICLES:
            words.append(word)
        elif words:
            break
    while words and words[-1].lower() in _PARTICLES:
        words.pop()
    return contact_rules.normalise_name(" ".join(words)) if words else None


def validate_contact_consent(value: Any, slots: dict[str, Any]) -> Outcome:
    """"May we contact you?" takes the e-mail address or phone number itself as a yes."""
    text = value if isinstance(value, str) else ""
    details = (contact_rules.normalise_email(text) or contact_rules.normalise_phone(text)) if text else None
    if details:
        out = Outcome({"contact_consent": True, "contact_details": details,
                       "consent_log": _logged(slots, "contact", True, consent.QUESTIONS["contact"])})
        name = _name_beside(text)
        if name:
            out.slots["contact_name"] = name
        return out
    given = answers.yes_or_no(value)
    if given is None and text and answers.is_dont_know(text):
        given = False
    if given is None:
        return Outcome({"contact_consent": None}, unclear=True)
    out = Outcome({"contact_consent": given, "consent_log": _logged(slots, "contact", given,
                                                                     consent.QUESTIONS["contact"])})
    if not given:
        out.slots.update({"contact_name": None, "contact_details": None})
    return out


def validate_contact_name(value: Any, slots: dict[str, Any]) -> Outcome:
    name = contact_rules.normalise_name(value) if isinstance(value, str) else None
    if not name:
        return Outcome({"contact_name": None}, unclear=True)
    return Outcome({"contact_name": name})


def validate_contact_details(value: Any, slots: dict[str, Any]) -> Outcome:
    """An e-mail address or phone number; a refusal here withdraws the consent to be contacted."""
    text = value if isinstance(value, str) else ""
    details = contact_rules.normalise_email(text) or contact_rules.normalise_phone(text)
    if details:
        out = Outcome({"contact_details": details})
        name = None if slots.get("contact_name") else _name_beside(text)
        if name:
            out.slots["contact_name"] = name
        return out
    if answers.is_refusal(text) or answers.is_dont_know(text):
        return Outcome({"contact_consent": False, "contact_details": None, "contact_name": None,
                        "consent_log": _logged(slots, "contact", False, consent.QUESTIONS["contact"])})
    return Outcome({"contact_details": None}, unclear=True)


def validate_confirmed(value: Any, slots: dict[str, Any]) -> Outcome:
    """The answer to the summary: send it, change one part (named or not), or not understood."""
    text = value if isinstance(value, str) else ""
    key = f" {answers.normalise(text)} "
    wants_change = any(f" {w} " in key for w in (*_CORRECTION_WORDS, *_NOT_RIGHT, "maar", "but", "anders"))
    if value is True or (slots.get("summary_stage") != "which" and answers.yes_or_no(value) is True
                         and not wants_change):
        return Outcome({"confirmed": True, "summary_stage": None})
    named = field_from_text(text) if text and not _is_command(text) else None
    if named:
        return Outcome({**correction(named, text), "confirmed": None, "summary_stage": CHANGED})
    if value is False or answers.yes_or_no(value) is False:
        return Outcome({"confirmed": None, "summary_stage": "which"})
    return Outcome({"confirmed": None}, unclear=True)


VALIDATORS = {
    "description": validate_description,
    "theme": validate_theme,
    "details": validate_details,
    "neighbourhood": validate_neighbourhood,
    "urgency": validate_urgency,
    "asker_role": validate_asker_role,
    "organisation": validate_organisation,
    "matching_needs": validate_matching_needs,
    "consent_store": validate_consent_store,
    "consent_share": validate_consent_share,
    "contact_consent": validate_contact_consent,
    "contact_name": validate_contact_name,
    "contact_details": validate_contact_details,
    "confirmed": validate_confirmed,
}
