"""The conversation set: scripted people with adaptive answers, played against the real product.

Each entry in `bench/conversations/*.yml` is a person (resident, organisation, neighbourhood worker) with
what they would answer to each KIND of question, not a fixed message sequence. The bot's question is
identified at run time from the response texts in domain.yml (and in the model's own domain), so the set
keeps working while the conversation's questions, their order and which of them are skipped change.

The product runs as `make run` starts it (`bot.runtime.runner.Stack`: Rasa server + action server + web app) on
a temporary SQLite database and free ports. Nothing is trained: the model is the one `bot.runtime.training` names
when it exists (fresh), else the newest `models/*.tar.gz`, or `--model PATH`.

After each conversation the stored intake is read from the database (by the reference number in the
bot's last message; the anonymous count when storing was refused) and compared with the entry's `expect`.

Usage:
  .venv/bin/python bench/conversation_set.py                         # all files, all conversations
  .venv/bin/python bench/conversation_set.py --only nl-res-eenzaam-merenwijk,en-res-heat-transvaal
  .venv/bin/python bench/conversation_set.py --files hard_cases.yml --out /tmp/set.json
-> bench/results/conversation_set.json and conversation_set.md
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import platform
import re
import statistics
import sys
import tarfile
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import yaml  # noqa: E402

from bot.structuring.text import fold  # noqa: E402

CONVERSATIONS_DIR = ROOT / "bench" / "conversations"
RESULTS_DIR = ROOT / "bench" / "results"
DOMAIN_PATH = ROOT / "domain.yml"
THEMES_PATH = ROOT / "data" / "reference" / "themes.yml"
PLACES_PATH = ROOT / "data" / "reference" / "municipalities" / "leiden" / "places.yml"
MAX_USER_MESSAGES = 20
STUCK_AFTER = 4  # replies in a row that ask nothing (and do not end the intake): the person gives up
MAX_SAME_QUESTION = 6  # the same kind of question asked more often than this in a row: the person gives up
REFERENCE = re.compile(r"\bLS-\d{4}-\d{3,}\b")

# --------------------------------------------------------------------------------------------------
# Which question is the bot asking?
# --------------------------------------------------------------------------------------------------

# response name (after stripping _again/_example/_help) -> kind of question
QUESTION_KINDS: dict[str, str] = {
    "utter_ask_description": "description",
    "utter_ask_theme": "theme",
    "utter_ask_theme_top": "theme",
    "utter_propose_theme": "theme",
    "utter_ask_details": "details",
    "utter_ask_neighbourhood": "neighbourhood",
    "utter_ask_neighbourhood_part": "neighbourhood",
    "utter_neighbourhood_unknown": "neighbourhood",
    "utter_ask_urgency": "urgency",
    "utter_ask_asker_role": "asker_role",
    "utter_ask_organisation": "organisation",
    "utter_ask_matching_needs": "matching_needs",
    "utter_ask_consent": "consent",
    "utter_ask_consent_changed": "consent",
    "utter_ask_consent_store": "consent_store",
    "utter_ask_consent_share": "consent_share",
    "utter_ask_contact": "contact",
    "utter_ask_contact_consent": "contact_consent",
    "utter_ask_contact_name": "contact_name",
    "utter_ask_contact_details": "contact_details",
    "utter_summary": "summary",
    "utter_ask_confirmed": "summary",
    "utter_ask_which_field": "which_field",
    "utter_field_unclear": "which_field",
}
END_SAVED = "utter_intake_saved"
END_NOT_STORED = "utter_not_stored"
END_STOPPED = ("utter_stopped",)
SAVE_FAILED = "utter_save_failed"
REPHRASE = re.compile(r"(_again|_example|_help)+$")
# "this answer was not clear" responses: a weak hint of the kind being asked (used only when the reply
# holds no real question); utter_consent_unclear -> "consent", matched against the kind asked before
UNCLEAR = re.compile(r"^utter_(.+?)_(unknown|unclear|invalid|too_short|too_long)$")
GENERIC_UNCLEAR = ("utter_default",)

YES = {"nl": "ja", "en": "yes"}
NO = {"nl": "nee", "en": "no"}
DONT_KNOW = {"nl": "weet ik niet", "en": "I don't know"}
DEFAULT_NAME = {"nl": "Sanne de Vries", "en": "Sam Jones"}


def base_name(name: str) -> str:
    return REPHRASE.sub("", name)


def kind_of(name: str) -> str | None:
    """The kind of question a response asks, None when it asks nothing."""
    base = base_name(name)
    if base in QUESTION_KINDS:
        return QUESTION_KINDS[base]
    if base.startswith("utter_ask_"):
        return base[len("utter_ask_"):]
    return None


@dataclass
class Variant:
    name: str
    language: str  # nl (default text) | en (condition variant)
    pattern: re.Pattern
    literal: int  # characters of fixed text: more is more specific
    groups: list[str]  # placeholder name per regex group


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _compile(text: str) -> tuple[re.Pattern, int, list[str]]:
    parts = re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", _normalise(text))
    regex, literal, groups = "", 0, []
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            groups.append(part[1:-1])
            regex += "(.*?)"
        else:
            regex += re.escape(part)
            literal += len(part)
    return re.compile(regex, re.DOTALL), literal, groups


def _variant_language(variant: dict) -> str:
    for cond in variant.get("condition") or []:
        if isinstance(cond, dict) and cond.get("name") == "language":
            return str(cond.get("value"))
    return "nl"


@dataclass
class Identified:
    name: str | None
    kind: str | None
    language: str | None
    values: dict[str, str]
    text: str
    buttons: list[dict]


class Matcher:
    """Maps a bot message to the response it came from, by the response texts of a domain."""

    def __init__(self, responses: dict[str, list[dict]]) -> None:
        self.variants: list[Variant] = []
        self.names = set(responses)
        seen: set[tuple[str, str]] = set()
        for name, variants in responses.items():
            if name.startswith("utter_label_"):  # pieces of the summary, never sent alone
                continue
            for v in variants or []:
                text = v.get("text") if isinstance(v, dict) else None
                if not text or (name, text) in seen:
                    continue
                seen.add((name, text))
                pattern, literal, groups = _compile(text)
                self.variants.append(Variant(name, _variant_language(v), pattern, literal, groups))

    @classmethod
    def from_sources(cls, domain_paths: list[Path], model: Path | None = None) -> Matcher:
        responses: dict[str, list[dict]] = {}
        for path in domain_paths:
            data = yaml.safe_load(Path(path).read_text()) or {}
            for name, variants in (data.get("responses") or {}).items():
                responses.setdefault(name, []).extend(variants or [])
        if model is not None:
            for name, variants in model_responses(model).items():
                responses.setdefault(name, []).extend(variants or [])
        return cls(responses)

    def identify(self, message: dict) -> Identified:
        text = _normalise(message.get("text") or "")
        buttons = message.get("buttons") or []
        best: tuple[int, Variant, re.Match] | None = None
        for v in self.variants:
            m = v.pattern.fullmatch(text)
            if m and (best is None or v.literal > best[0]):
                best = (v.literal, v, m)
        if best is None:  # the response may be embedded in a longer message (e.g. after a short intro)
            for v in self.variants:
                if v.literal < 25:
                    continue
                m = v.pattern.search(text)
                if m and (best is None or v.literal > best[0]):
                    best = (v.literal, v, m)
        if best is None:
            return Identified(None, None, None, {}, text, buttons)
        _, v, m = best
        values = {g: m.group(i + 1) for i, g in enumerate(v.groups)}
        return Identified(v.name, kind_of(v.name), v.language, values, text, buttons)


def model_responses(model: Path) -> dict[str, list[dict]]:
    """The responses inside a trained model (the texts the Rasa server really sends)."""
    try:
        with tarfile.open(model, "r:gz") as tar:
            for member in tar.getmembers():
                if not member.isfile() or not member.name.endswith((".json", ".yml", ".yaml")):
                    continue
                if "domain" not in member.name and not member.name.endswith("metadata.json"):
                    continue
                raw = tar.extractfile(member)
                if raw is None:
                    continue
                data = (json.loads if member.name.endswith(".json") else yaml.safe_load)(raw.read())
                if isinstance(data, dict) and isinstance(data.get("domain"), dict):
                    data = data["domain"]
                if isinstance(data, dict) and isinstance(data.get("responses"), dict):
                    return data["responses"]
    except (OSError, tarfile.TarError, ValueError, yaml.YAMLError):
        pass
    return {}


# --------------------------------------------------------------------------------------------------
# The conversation set
# --------------------------------------------------------------------------------------------------

ANSWER_KINDS = {"description", "theme", "propose_theme", "details", "neighbourhood", "urgency", "asker_role",
                "organisation", "consent", "consent_store", "consent_share", "contact", "contact_consent",
                "contact_name", "contact_details", "summary", "which_field"}
EXPECT_KEYS = {"stored", "theme", "neighbourhood_code", "neighbourhood_kind", "urgency", "asker_role",
               "organisation", "consent_share", "contact", "language"}
KINDS = {"resident", "organisation", "neighbourhood_worker"}


@dataclass
class Entry:
    id: str
    language: str
    kind: str
    answers: dict[str, list[str]]
    expect: dict[str, Any]
    say_first: list[str] = field(default_factory=list)
    interrupt: list[dict] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    notes: str = ""
    file: str = ""


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def load_reference() -> tuple[set[str], set[str]]:
    themes = {t["id"] for t in yaml.safe_load(THEMES_PATH.read_text())["themes"]}
    places = yaml.safe_load(PLACES_PATH.read_text())
    codes = {p["code"] for p in places["places"]} | {places["municipality"]["code"]}
    return themes, codes


def check_entry(entry: Entry, themes: set[str], codes: set[str]) -> list[str]:
    """What is wrong with an entry (empty when it is fine)."""
    problems = []
    if entry.language not in ("nl", "en"):
        problems.append(f"language {entry.language!r}")
    if entry.kind not in KINDS:
        problems.append(f"kind {entry.kind!r}")
    if "description" not in entry.answers:
        problems.append("no description answer")
    for key in entry.answers:
        if key not in ANSWER_KINDS:
            problems.append(f"unknown answer kind {key!r}")
    for key in entry.expect:
        if key not in EXPECT_KEYS:
            problems.append(f"unknown expect key {key!r}")
    if not isinstance(entry.expect.get("stored"), bool):
        problems.append("expect.stored must be true or false")
    for theme in _as_list(entry.expect.get("theme")):
        if theme not in themes:
            problems.append(f"unknown theme {theme!r}")
    for code in _as_list(entry.expect.get("neighbourhood_code")):
        if code != "None" and not any(c in code for c in "*?[") and code not in codes:
            problems.append(f"unknown place code {code!r}")
    if entry.expect.get("contact") not in (None, "email", "phone", "none"):
        problems.append("expect.contact must be email, phone or none")
    for item in entry.interrupt:
        if not item.get("say") or not item.get("before"):
            problems.append(f"interrupt needs before and say: {item}")
    return problems


def load_set(files: list[str] | None = None, only: list[str] | None = None) -> list[Entry]:
    paths = sorted(CONVERSATIONS_DIR.glob("*.yml"))
    if files:
        wanted = {Path(f).name for f in files}
        paths = [p for p in paths if p.name in wanted or p.stem in wanted]
    themes, codes = load_reference()
    entries, problems, ids = [], [], set()
    for path in paths:
        for raw in yaml.safe_load(path.read_text()) or []:
            entry = Entry(
                id=str(raw["id"]), language=raw.get("language", "nl"), kind=raw.get("kind", "resident"),
                answers={k: _as_list(v) for k, v in (raw.get("answers") or {}).items()},
                expect=dict(raw.get("expect") or {}), say_first=_as_list(raw.get("say_first")),
                interrupt=list(raw.get("interrupt") or []), tags=_as_list(raw.get("tags")),
                notes=str(raw.get("notes") or ""), file=path.name)
            if entry.id in ids:
                problems.append(f"{path.name}: duplicate id {entry.id}")
            ids.add(entry.id)
            problems += [f"{path.name}: {entry.id}: {p}" for p in check_entry(entry, themes, codes)]
            entries.append(entry)
    if problems:
        raise ValueError("conversation set is invalid:\n  " + "\n  ".join(problems))
    if only:
        missing = set(only) - {e.id for e in entries}
        if missing:
            raise ValueError(f"unknown conversation ids: {', '.join(sorted(missing))}")
        entries = [e for e in entries if e.id in set(only)]
    return entries


# --------------------------------------------------------------------------------------------------
# The simulated person
# --------------------------------------------------------------------------------------------------

_PLACE_WORDS = ("buurt", "wijk", "plek", "waar", "where", "neighbourhood", "neighborhood", "place", "area")
_URGENCY_WORDS = ("dringend", "haast", "urgent", "wanneer", "datum", "when", "date", "deadline", "soon")
_ROLE_WORDS = ("wie", "who", "bewoner", "organisatie", "resident", "organisation", "organization", "namens",
               "behalf")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(\+31|0)[\d \-]{8,14}\d")


@dataclass
class Said:
    text: str  # what is sent
    shown: str  # what the person "typed" or the button title they pressed
    unexpected: bool = False
    derived: bool = False
    fallback: bool = False


class Person:
    """Answers whatever kind of question is asked, from the entry's answers (successive ones per kind)."""

    def __init__(self, entry: Entry, theme_labels: dict[str, set[str]]) -> None:
        self.entry = entry
        self.language = entry.language
        self.used: Counter = Counter()
        self.theme_labels = theme_labels
        self.last_said: dict[str, str] = {}

    def has(self, kind: str) -> bool:
        return bool(self.entry.answers.get(kind))

    def draw(self, kind: str) -> str:
        answers = self.entry.answers[kind]
        value = answers[min(self.used[kind], len(answers) - 1)]
        self.used[kind] += 1
        return value

    def pending_correction(self) -> bool:
        """Every summary answer but the last is a correction still to be made."""
        answers = self.entry.answers.get("summary") or []
        return self.used["summary"] < len(answers) - 1

    def peek(self, kind: str) -> str:
        answers = self.entry.answers[kind]
        return answers[min(self.used[kind], len(answers) - 1)]

    def expected(self, key: str) -> list[str]:
        return _as_list(self.entry.expect.get(key))

    def yes(self) -> str:
        return YES[self.language]

    def no(self) -> str:
        return NO[self.language]

    def answer(self, question: Identified) -> Said:
        kind = question.kind or "description"
        text, unexpected, derived = self._answer(kind, question)
        said = self._press(text, question, unexpected, derived)
        previous = self.last_said.get(kind)
        if previous is not None and previous == said.text:
            # asked again and nothing new to say: a person presses the button that fits, or says a plain yes/no
            fallback = self._fallback(kind, question)
            if fallback is not None and fallback.text != said.text:
                fallback.unexpected, fallback.fallback = said.unexpected, True
                said = fallback
        self.last_said[kind] = said.text
        return said

    def _expected_pairs(self) -> dict[str, set[str]]:
        """Button payload key -> values that fit this person's expected outcome."""
        e = self.entry.expect
        pairs: dict[str, set[str]] = {}
        for key, expect_key in (("theme", "theme"), ("asker_role", "asker_role"), ("urgency", "urgency"),
                                ("neighbourhood", "neighbourhood_code")):
            values = {v for v in _as_list(e.get(expect_key)) if v != "None"}
            if values:
                pairs[key] = values
        if e.get("neighbourhood_kind") == "outside":
            pairs.setdefault("neighbourhood", set()).add("outside")
        if e.get("neighbourhood_kind") == "city":
            pairs.setdefault("neighbourhood", set()).add("GM0546")
        if isinstance(e.get("stored"), bool):
            pairs["consent_store"] = {str(e["stored"]).lower()}
        if isinstance(e.get("consent_share"), bool):
            pairs["consent_share"] = {str(e["consent_share"]).lower()}
        if e.get("contact"):
            pairs["contact_consent"] = {"true" if e["contact"] in ("email", "phone") else "false"}
        return pairs

    def expected_button(self, question: Identified) -> dict | None:
        pairs = self._expected_pairs()
        for b in question.buttons:
            payload = b.get("payload") or ""
            m = re.match(r"/\w+(\{.*\})$", payload)
            try:
                data = json.loads(m.group(1)) if m else {}
            except ValueError:
                data = {}
            for key, value in data.items():
                wanted = pairs.get(key, set())
                if any(fnmatch.fnmatchcase(str(value).lower(), w.lower()) for w in wanted):
                    return b
        return None

    def _fallback(self, kind: str, question: Identified) -> Said | None:
        button = self.expected_button(question)
        if button is not None:
            return Said(button["payload"], f"[{button['title']}]", derived=True)
        e = self.entry.expect
        plain: bool | None = None
        if kind in ("consent", "consent_store"):
            plain = bool(e.get("stored"))
            if kind == "consent" and e.get("stored") and e.get("consent_share") is False:
                text = "alleen bewaren" if self.language == "nl" else "only keep it"
                return Said(text, text, derived=True)
        elif kind == "consent_share":
            plain = e.get("consent_share") is not False
        elif kind in ("contact_consent", "contact"):
            plain = e.get("contact") in ("email", "phone") if kind == "contact_consent" else None
            if kind == "contact" and e.get("contact") == "none":
                plain = False
        elif kind == "summary":
            plain = True
        if plain is None:
            return None
        text = self.yes() if plain else self.no()
        return Said(text, text, derived=True)

    def _answer(self, kind: str, question: Identified) -> tuple[str, bool, bool]:
        e = self.entry.expect
        stored, share, contact = e.get("stored"), e.get("consent_share"), e.get("contact")
        if kind == "theme" and question.name and base_name(question.name) == "utter_propose_theme":
            if self.has("propose_theme"):
                return self.draw("propose_theme"), False, False
            label = fold(question.values.get("theme_label", ""))
            wanted = self.expected("theme")
            right = not wanted or any(label in self.theme_labels.get(t, set()) for t in wanted)
            return (self.yes() if right else self.no()), False, True
        if kind == "theme" and not self.has("theme") and self.expected("theme"):
            # a person recognises their topic among the buttons, else asks for more, else types its name
            button = self.expected_button(question)
            more = next((b for b in question.buttons if '"more"' in (b.get("payload") or "")), None)
            chosen = button or more
            if chosen is not None:
                return f"[{chosen['title']}]", False, True
            return THEME_NAMES[self.expected("theme")[0]][self.language], False, True
        if kind == "details" and not self.has("details"):
            return self._details(question.text), False, True
        if kind == "consent" and not self.has("consent"):
            if self.has("consent_store") and (stored is False or not self.has("consent_share")):
                return self.draw("consent_store"), False, True
            if self.has("consent_store") and self.has("consent_share"):
                store, share_text = self.draw("consent_store"), self.draw("consent_share")
                if share is False:
                    return (f"bewaren: {store}; delen: {share_text}" if self.language == "nl"
                            else f"keep it: {store}; share it: {share_text}"), False, True
                return store, False, True
            if stored is True and share is not False:
                return self.yes(), False, True
            return self.no(), stored is not False, True
        if kind == "consent_store" and not self.has("consent_store"):
            if self.has("consent") and (stored is False or share is not False):
                return self.draw("consent"), False, True
            return (self.yes() if stored else self.no()), False, True
        if kind == "consent_share" and not self.has("consent_share"):
            if self.has("consent") and share is not False:
                return self.draw("consent"), False, True
            return (self.no() if share is False else self.yes()), stored is False, True
        if kind == "contact" and not self.has("contact"):
            if self.has("contact_details"):
                name = self.draw("contact_name") if self.has("contact_name") else ""
                details = self.draw("contact_details")
                return (f"{name}, {details}" if name else details), False, True
            if self.has("contact_consent"):
                return self.draw("contact_consent"), False, True
            return self.no(), contact in ("email", "phone"), True
        if kind == "contact_consent" and not self.has("contact_consent"):
            if self.has("contact"):  # the next contact answer: details given means yes (kept for the next question)
                upcoming = self.peek("contact")
                if _EMAIL.search(upcoming) or _PHONE.search(upcoming):
                    return ("ja, dat mag" if self.language == "nl" else "yes, you may"), False, True
                return self.draw("contact"), False, True
            if contact in ("email", "phone"):
                return ("ja, dat mag" if self.language == "nl" else "yes, you may"), False, True
            return self.no(), False, True
        if kind == "contact_name" and not self.has("contact_name"):
            return DEFAULT_NAME[self.language], contact not in ("email", "phone"), True
        if kind == "contact_details" and not self.has("contact_details") and self.has("contact"):
            given = self.draw("contact")
            found = _EMAIL.search(given) or _PHONE.search(given)
            return (found.group(0) if found else given), False, True
        if kind == "summary" and not self.has("summary"):
            return self.yes(), False, True
        if kind == "matching_needs" and not self.has("matching_needs"):
            return DONT_KNOW[self.language], False, True  # organisations may leave it to the broker
        if SAVE_FAILED == kind:
            return self.yes(), False, True
        if self.has(kind):
            return self.draw(kind), False, False
        return DONT_KNOW[self.language], True, False

    def _details(self, question_text: str) -> str:
        """One answer for several missing fields: only the ones the question names (all when unclear)."""
        text = fold(question_text)
        wanted = [k for k, words in (("neighbourhood", _PLACE_WORDS), ("urgency", _URGENCY_WORDS),
                                     ("asker_role", _ROLE_WORDS)) if any(f" {w} " in f" {text} " for w in words)]
        kinds = wanted or ["neighbourhood", "urgency", "asker_role"]
        parts = [self.draw(k) for k in kinds if self.has(k)]
        if "asker_role" in kinds and self.has("organisation") and self.entry.kind == "organisation":
            org = self.entry.answers["organisation"][0]
            if fold(org) not in fold(" ".join(parts)):
                parts.append(org)
        return ", ".join(parts) if parts else DONT_KNOW[self.language]

    def _press(self, text: str, question: Identified, unexpected: bool, derived: bool) -> Said:
        """`[Title]` presses the button whose title starts with Title (its payload is sent); `[A|B]` tries A,
        then B; without such a button the last title is typed."""
        m = re.fullmatch(r"\[(.+)\]", text.strip())
        if not m:
            return Said(text, text, unexpected, derived)
        choices = [c.strip() for c in m.group(1).split("|") if c.strip()]
        for choice in choices:
            for b in question.buttons:
                if fold(b.get("title", "")).startswith(fold(choice)) and b.get("payload"):
                    return Said(b["payload"], f"[{b['title']}]", unexpected, derived)
        return Said(choices[-1], choices[-1], unexpected, derived)


THEME_NAMES: dict[str, dict[str, str]] = {
    t["id"]: t["label"] for t in (yaml.safe_load(THEMES_PATH.read_text()) or {}).get("themes", [])}


def theme_labels() -> dict[str, set[str]]:
    return {t["id"]: {fold(label) for label in t["label"].values()}
            for t in yaml.safe_load(THEMES_PATH.read_text())["themes"]}


# --------------------------------------------------------------------------------------------------
# One conversation
# --------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    id: str
    ended: str  # saved | not_stored | stopped | stuck | limit | error
    completed: bool
    user_turns: int
    reference: str | None = None
    transcript: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unexpected_questions: list[str] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repeated_sentences: list[dict] = field(default_factory=list)
    language_mismatches: int = 0
    unmatched_bot_messages: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    stored: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, bool] = field(default_factory=dict)
    mismatches: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0


def _deciding(identified: list[Identified], last_kind: str | None) -> Identified | None:
    """The last question-like response of a reply; an 'unclear' message only when there is no question."""
    for item in reversed(identified):
        if item.kind:
            return item
    for item in reversed(identified):
        if item.name is None:
            continue
        base = base_name(item.name)
        if base == SAVE_FAILED:
            return Identified(item.name, SAVE_FAILED, item.language, {}, item.text, item.buttons)
        m = UNCLEAR.match(base)
        hint = m.group(1) if m else (last_kind if base in GENERIC_UNCLEAR else None)
        if hint:
            if last_kind and (last_kind.startswith(hint) or hint.startswith(last_kind)):
                hint = last_kind
            return Identified(item.name, hint, item.language, {}, item.text, item.buttons)
    return None


def _fires(interrupt: dict, kind: str | None) -> bool:
    """An interrupt is said before the first question of one of its kinds (prefix: consent ~ consent_store)."""
    if not kind:
        return False
    return any(kind == b or kind.startswith(b) or b.startswith(kind) for b in _as_list(interrupt["before"]))


def run_conversation(entry: Entry, rasa_url: str, matcher: Matcher, sessions: Any,
                     labels: dict[str, set[str]] | None = None, client: httpx.Client | None = None) -> Outcome:
    """Play one entry over the REST channel and check what was stored."""
    from bot.storage.models import AnonymousQuestion

    person = Person(entry, labels or theme_labels())
    out = Outcome(entry.id, "limit", False, 0)
    url = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
    sender = f"set-{entry.id}-{uuid.uuid4().hex[:8]}"
    own_client = client is None
    http = client or httpx.Client(timeout=90)
    with sessions() as session:
        anonymous_before = session.query(AnonymousQuestion).count()
    started = time.perf_counter()
    interrupts = list(entry.interrupt)
    queue = [(m, "opening") for m in entry.say_first]
    asked_before: Counter = Counter()
    last_kind: str | None = None
    previous_question: Identified | None = None
    previous_was_answer = False
    reply: list[Identified] = []
    silent, same_kind, last_asked = 0, 0, None
    try:
        while True:
            if queue:
                message, role = queue.pop(0)
                said = Said(message, message)
                kind: str | None = None
            else:
                if out.user_turns == 0:  # the person opens with their question
                    question = Identified("(start)", "description", entry.language, {}, "", [])
                else:
                    question = _deciding(reply, last_kind)
                    if question is None:
                        out.failures.append(f"turn {out.user_turns}: no question in the bot's reply")
                        question = Identified(None, last_kind or "description", None, {}, "", [])
                        silent += 1
                        if silent >= STUCK_AFTER:  # a person gives up; counted as not completed
                            out.ended = "stuck"
                            out.failures.append(f"gave up after {STUCK_AFTER} replies in a row without a question")
                            break
                    else:
                        silent = 0
                shown = next((i for i in reply if i.kind == "summary"), None)
                if shown is not None and question.kind != "summary" and person.pending_correction():
                    # the summary is shown while something else is asked: a person who sees a mistake says so now
                    out.notes.append(f"turn {out.user_turns + 1}: correction said at a summary shown with "
                                     f"{question.name}")
                    question = shown
                kind = question.kind
                due = next((i for i in interrupts if _fires(i, kind) and not asked_before[kind]), None)
                if due is None and kind == "summary" and interrupts:  # its question never came: say it now
                    due = interrupts[0]
                    out.notes.append(f"interrupt before {due['before']} said at the summary (not asked before)")
                if due is not None:
                    interrupts.remove(due)
                    said, role = Said(str(due["say"]), str(due["say"])), "interrupt"
                    if due.get("switch_to"):
                        person.language = str(due["switch_to"])
                    kind = None
                else:
                    said, role = person.answer(question), "answer"
                    asked_before[question.kind] += 1
                    last_kind = question.kind
                    if question.name != "(start)":
                        out.questions.append(question.kind or "?")
                    if said.unexpected:
                        out.unexpected_questions.append(f"{question.kind} ({question.name})")
                    if said.fallback:
                        out.fallbacks.append(f"turn {out.user_turns + 1}: {question.kind} -> {said.shown}")
                    same_kind = same_kind + 1 if question.kind == last_asked else 1
                    last_asked = question.kind
                    if same_kind > MAX_SAME_QUESTION:
                        out.ended = "stuck"
                        out.failures.append(f"gave up: {question.kind} asked {MAX_SAME_QUESTION} times in a row")
                        break
            if out.user_turns >= MAX_USER_MESSAGES:
                out.failures.append(f"no end after {MAX_USER_MESSAGES} user messages")
                break
            out.user_turns += 1
            try:
                r = http.post(url, json={"sender": sender, "message": said.text})
                r.raise_for_status()
                messages = r.json() or []
            except (httpx.HTTPError, ValueError) as exc:
                out.failures.append(f"turn {out.user_turns}: REST call failed: {exc.__class__.__name__}: {exc}"[:300])
                out.ended = "error"
                break
            reply = [matcher.identify(m) for m in messages if m.get("text")]
            out.transcript.append({"user": said.shown, "role": role, "answered": kind,
                                   "bot": [{"response": i.name, "text": i.text[:400]} for i in reply]})
            for i in reply:
                if i.name is None:
                    out.unmatched_bot_messages.append(i.text[:160])
            if not reply:
                out.failures.append(f"turn {out.user_turns}: empty reply")
            # the same question sentence again, straight after the person answered it: a defect
            question_now = _deciding(reply, last_kind)
            if (previous_was_answer and role == "answer" and question_now and previous_question
                    and question_now.text and question_now.text == previous_question.text):
                out.repeated_sentences.append({"turn": out.user_turns, "response": question_now.name,
                                               "after_answer": said.shown[:80], "text": question_now.text[:120]})
            if question_now and question_now.language and question_now.language != person.language:
                out.language_mismatches += 1
            previous_question, previous_was_answer = question_now, role == "answer"
            names = [base_name(i.name) for i in reply if i.name]
            ref = next((m.group(0) for i in reply for m in [REFERENCE.search(i.text)] if m), None)
            if END_SAVED in names or ref:
                out.ended, out.reference = "saved", ref
                break
            if END_NOT_STORED in names:
                out.ended = "not_stored"
                break
            if any(n in END_STOPPED for n in names):
                out.ended = "stopped"
                out.failures.append(f"turn {out.user_turns}: the bot stopped the intake")
                break
            if SAVE_FAILED in names:
                out.failures.append(f"turn {out.user_turns}: saving failed")
    finally:
        if own_client:
            http.close()
    out.seconds = round(time.perf_counter() - started, 2)
    expected_end = "saved" if entry.expect["stored"] else "not_stored"
    out.completed = out.ended == expected_end
    if out.ended in ("saved", "not_stored") and not out.completed:
        out.failures.append(f"ended {out.ended}, expected {expected_end}")
    out.stored = read_stored(sessions, out, anonymous_before)
    compare(entry, out)
    return out


def read_stored(sessions: Any, out: Outcome, anonymous_before: int) -> dict[str, Any]:
    """What the database holds for this conversation: the intake, or the anonymous count."""
    from sqlalchemy.orm import selectinload

    from bot.storage.models import AnonymousQuestion, Intake

    with sessions() as session:
        if out.reference:
            intake = (session.query(Intake).options(selectinload(Intake.contact), selectinload(Intake.consents))
                      .filter(Intake.reference == out.reference).one_or_none())
            if intake is None:
                out.failures.append(f"reference {out.reference} not in the database")
                return {}
            contact = intake.contact
            kind = "none"
            if intake.consent_contact and contact is not None:
                kind = "email" if contact.email else "phone" if contact.phone else "name only"
            consents = {c.kind: c.given for c in intake.consents}
            return {"stored": True, "language": intake.language, "theme": intake.theme,
                    "neighbourhood_code": intake.neighbourhood_code or intake.district_code,
                    "neighbourhood_kind": intake.neighbourhood_kind, "neighbourhood_text": intake.neighbourhood_text,
                    "urgency": intake.urgency, "timeframe": intake.timeframe, "asker_role": intake.asker_role,
                    "organisation": intake.organisation, "consent_share": intake.consent_share,
                    "consent_contact": intake.consent_contact, "consents": consents, "contact": kind,
                    "description": (intake.description or "")[:160]}
        rows = session.query(AnonymousQuestion).order_by(AnonymousQuestion.id).all()
        if out.ended == "not_stored" and len(rows) > anonymous_before:
            row = rows[-1]
            return {"stored": False, "language": row.language, "theme": row.theme,
                    "neighbourhood_code": row.neighbourhood_code, "urgency": row.urgency,
                    "asker_role": row.asker_role, "contact": "none"}
    return {"stored": None}


# field group -> expect keys it checks
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "theme": ("theme",),
    "neighbourhood": ("neighbourhood_code", "neighbourhood_kind"),
    "urgency": ("urgency",),
    "asker_role": ("asker_role",),
    "organisation": ("organisation",),
    "consents": ("stored", "consent_share"),
    "contact": ("contact",),
    "language": ("language",),
}


def value_matches(key: str, expected: Any, actual: Any) -> bool:
    if isinstance(expected, list):
        return any(value_matches(key, e, actual) for e in expected)
    if expected is None:
        return actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if key == "organisation":
        return bool(actual) and fold(str(expected)) in fold(str(actual))
    if isinstance(expected, str) and any(c in expected for c in "*?["):
        return actual is not None and fnmatch.fnmatchcase(str(actual), expected)
    return expected == actual


def compare(entry: Entry, out: Outcome) -> None:
    """Per field group: does what was stored match `expect`? (Nothing stored: every expected field is wrong.)"""
    stored = out.stored
    for group, keys in FIELD_GROUPS.items():
        checked = [k for k in keys if k in entry.expect]
        if not checked:
            continue
        ok = True
        for key in checked:
            if stored.get("stored") is False and key not in stored:
                continue  # the anonymous count keeps no organisation, kind of place or consent to share
            actual = stored.get(key) if stored.get("stored") is not None else "(nothing stored)"
            if not value_matches(key, entry.expect[key], actual):
                ok = False
                out.mismatches[key] = {"expected": entry.expect[key], "stored": actual}
        out.fields[group] = ok


# --------------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------------


def choose_model(explicit: str | None = None) -> Path:
    """--model, else the model bot.runtime.training names for the current inputs (fresh), else the newest one."""
    if explicit:
        path = Path(explicit)
        if not path.exists():
            raise SystemExit(f"model {path} does not exist")
        return path
    from bot.runtime.training import MODELS_DIR, model_path

    fresh = model_path()
    if fresh.exists():
        return fresh
    models = sorted(MODELS_DIR.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("no trained model in models/: run `make train` (this script does not train)")
    return models[-1]


def flow_version(model: Path, matcher: Matcher) -> dict[str, Any]:
    from bot.runtime.training import model_path

    domain = DOMAIN_PATH.read_bytes()
    questions = sorted({v.name for v in matcher.variants if kind_of(v.name)})
    return {"model": model.name, "model_is_fresh": model.resolve() == model_path().resolve(),
            "domain_sha256": hashlib.sha256(domain).hexdigest()[:12],
            "question_responses": questions,
            "combined_questions": [n for n in ("utter_ask_details", "utter_ask_consent", "utter_ask_contact")
                                   if n in matcher.names]}


def percentile(values: list[int], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo), 1)


def summarise(entries: list[Entry], outcomes: list[Outcome]) -> dict[str, Any]:
    done = [o for o in outcomes if o.completed]
    turns = [o.user_turns for o in done]
    by_id = {e.id: e for e in entries}
    accuracy = {}
    for group in FIELD_GROUPS:
        judged = [o for o in outcomes if group in o.fields]
        judged_done = [o for o in judged if o.completed]
        if judged:
            accuracy[group] = {
                "correct": sum(o.fields[group] for o in judged), "of": len(judged),
                "accuracy": round(sum(o.fields[group] for o in judged) / len(judged), 3),
                "accuracy_completed": (round(sum(o.fields[group] for o in judged_done) / len(judged_done), 3)
                                       if judged_done else None)}
    counts = {
        "conversations": len(entries),
        "by_language": dict(Counter(e.language for e in entries)),
        "by_kind": dict(Counter(e.kind for e in entries)),
        "by_tag": dict(sorted(Counter(t for e in entries for t in e.tags).items())),
        "by_file": dict(Counter(e.file for e in entries)),
    }
    rows = []
    for o in outcomes:
        e = by_id[o.id]
        rows.append({
            "id": o.id, "file": e.file, "language": e.language, "kind": e.kind, "tags": e.tags,
            "completed": o.completed, "ended": o.ended, "user_turns": o.user_turns, "reference": o.reference,
            "questions": o.questions, "fields_ok": all(o.fields.values()) if o.fields else None,
            "mismatches": o.mismatches, "failures": o.failures, "unexpected_questions": o.unexpected_questions,
            "fallbacks": o.fallbacks, "notes": o.notes, "repeated_sentences": o.repeated_sentences, "language_mismatches": o.language_mismatches,
            "unmatched_bot_messages": o.unmatched_bot_messages, "stored": o.stored, "seconds": o.seconds,
            "transcript": o.transcript})
    return {
        "completion_rate": round(len(done) / len(outcomes), 3) if outcomes else None,
        "completed": len(done), "conversations": len(outcomes),
        "user_turns_completed": {"median": statistics.median(turns) if turns else None,
                                 "p90": percentile(turns, 0.9), "min": min(turns, default=None),
                                 "max": max(turns, default=None)},
        "all_fields_correct": sum(1 for o in outcomes if o.completed and o.fields and all(o.fields.values())),
        "field_accuracy": accuracy,
        "defects": {
            "repeated_sentence_after_answer": sum(len(o.repeated_sentences) for o in outcomes),
            "conversations_with_repeats": sum(1 for o in outcomes if o.repeated_sentences),
            "unexpected_questions": sum(len(o.unexpected_questions) for o in outcomes),
            "typed_answer_not_understood_then_button_or_plain_yes_no": sum(len(o.fallbacks) for o in outcomes),
            "language_mismatches": sum(o.language_mismatches for o in outcomes),
            "unmatched_bot_messages": sum(len(o.unmatched_bot_messages) for o in outcomes),
        },
        "set": counts,
        "rows": rows,
    }


def machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "machine": platform.machine(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "python": platform.python_version()}


def markdown(result: dict[str, Any]) -> str:
    t = result["user_turns_completed"]
    lines = [
        "# Conversation set", "",
        f"Run {result['started_at']} against model `{result['flow']['model']}` "
        f"(fresh: {result['flow']['model_is_fresh']}, domain.yml {result['flow']['domain_sha256']}; combined "
        f"questions in the domain: {', '.join(result['flow']['combined_questions']) or 'none'}). "
        f"Machine: {result['machine']['platform']}, {result['machine']['cpu_count']} CPUs.", "",
        f"- completed as expected: **{result['completed']}/{result['conversations']}** "
        f"({100 * (result['completion_rate'] or 0):.0f} %)",
        f"- user messages over completed conversations: median {t['median']}, p90 {t['p90']} "
        f"(min {t['min']}, max {t['max']})",
        f"- completed with every expected field right: {result['all_fields_correct']}",
        f"- defects: {result['defects']['repeated_sentence_after_answer']} same bot sentence sent again right "
        f"after an answer (in {result['defects']['conversations_with_repeats']} conversations); "
        f"{result['defects']['unexpected_questions']} unexpected questions; "
        f"{result['defects']['typed_answer_not_understood_then_button_or_plain_yes_no']} times the person had to "
        f"press a button or say a plain yes/no because a typed answer was asked again; "
        f"{result['defects']['language_mismatches']} replies in the other language; "
        f"{result['defects']['unmatched_bot_messages']} bot messages not found in the domain", "",
        "| field | correct | accuracy (all) | accuracy (completed) |", "| --- | --- | --- | --- |"]
    for group, a in result["field_accuracy"].items():
        acc_c = "–" if a["accuracy_completed"] is None else f"{100 * a['accuracy_completed']:.0f} %"
        lines.append(f"| {group} | {a['correct']}/{a['of']} | {100 * a['accuracy']:.0f} % | {acc_c} |")
    lines += ["", "| id | lang | kind | done | turns | wrong fields | unexpected | repeats | failures |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in result["rows"]:
        lines.append(
            f"| {r['id']} | {r['language']} | {r['kind']} | {'yes' if r['completed'] else 'NO (' + r['ended'] + ')'} "
            f"| {r['user_turns']} | {', '.join(r['mismatches']) or '–'} | {len(r['unexpected_questions']) or '–'} "
            f"| {len(r['repeated_sentences']) or '–'} | {'; '.join(r['failures'])[:160] or '–'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model archive to serve (default: fresh model, else the newest)")
    parser.add_argument("--only", help="comma-separated conversation ids")
    parser.add_argument("--files", help="comma-separated file names in bench/conversations (default: all)")
    parser.add_argument("--out", default=str(RESULTS_DIR / "conversation_set.json"),
                        help="result JSON (a .md with the same name is written next to it)")
    args = parser.parse_args(argv)
    entries = load_set(args.files.split(",") if args.files else None, args.only.split(",") if args.only else None)
    model = choose_model(args.model)
    matcher = Matcher.from_sources([DOMAIN_PATH], model)

    from bot.config import Settings
    from bot.runtime.runner import Stack
    from bot.storage.db import session_factory
    from tests.e2e.conftest import free_port

    tmp = Path(tempfile.mkdtemp(prefix="conversation-set-"))
    settings = Settings(database_url=f"sqlite:///{tmp / 'set.db'}", rasa_url="", action_port=free_port(),
                        rasa_port=free_port(), web_port=free_port(), web_host="127.0.0.1")
    settings = Settings(**{**settings.__dict__, "rasa_url": f"http://127.0.0.1:{settings.rasa_port}"})
    stack = Stack(settings, model, log_dir=tmp / "log")
    started_at = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"==> {len(entries)} conversations against {model.name}; logs in {tmp / 'log'}", flush=True)
    stack.start()
    outcomes = []
    labels = theme_labels()
    try:
        sessions = session_factory(settings.database_url)
        with httpx.Client(timeout=90) as client:
            for entry in entries:
                o = run_conversation(entry, settings.rasa_url, matcher, sessions, labels, client)
                wrong = ", ".join(o.mismatches) or "fields ok"
                print(f"{'ok ' if o.completed else 'NO '} {o.id:42} {o.user_turns:2} turns  {o.ended:10} {wrong}",
                      flush=True)
                outcomes.append(o)
    finally:
        stack.stop()
    result = {"started_at": started_at, "flow": flow_version(model, matcher), "machine": machine(),
              "logs": str(tmp / "log"), **summarise(entries, outcomes)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result).split("\n| field")[0])
    return result


if __name__ == "__main__":
    main()
