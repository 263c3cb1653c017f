"""Property: no stored value renders as markup (FUZZ_STORAGE_EXAMPLES, default 500 messages per test).

Each generated message goes the way a real answer goes before it is stored: through the form's
validators (as description, as neighbourhood and as organisation), `draft_from_slots` and
`submit_intake` into a real, migrated SQLite database; then the broker dashboard shows it (queue
with a search for its reference, the intake page, the CSV export), rendered in-process.

Checked: HTTP 200; every `<` + letter, `/` or `!` the text contained is escaped in the HTML; the
stored text holds no control characters except newline and tab; no CSV cell starts a formula.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from markupsafe import escape
from starlette.testclient import TestClient

from bot.config import Settings
from bot.conversation.intake_form import (
    validate_consent_share,
    validate_consent_store,
    validate_description,
    validate_neighbourhood,
    validate_organisation,
)
from bot.conversation.summary import draft_from_slots
from bot.review.users import create_user
from bot.storage.db import get_engine, session_factory, upgrade
from bot.storage.intakes import MAX_DESCRIPTION, submit_intake
from bot.storage.models import Intake
from bot.web.app import create_app
from tests.fuzz.strategies import messages
from tests.web.conftest import PASSWORD, sign_in

STORAGE_EXAMPLES = int(os.environ.get("FUZZ_STORAGE_EXAMPLES", 500))
PAD = "Wij willen graag hulp bij het organiseren van een buurtfeest in onze straat."
TAG = re.compile(r"<[A-Za-z/!]")  # what a browser would start a tag, end tag or comment with
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 except tab/newline, DEL, C1
TEXT_FIELDS = ("description", "neighbourhood_text", "organisation")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz_storage') / 'fuzz.db'}"
    upgrade(url)
    with session_factory(url).begin() as s:
        create_user(s, "bea", PASSWORD, "broker")
    yield url
    get_engine(url).dispose()


@pytest.fixture(scope="module")
def broker(database: str) -> Iterator[TestClient]:
    """One app and one signed-in broker for the whole module: an example costs milliseconds."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MATCHING_BACKEND_URL", raising=False)
        mp.delenv("MATCHING_BACKEND_SECRET", raising=False)
        app = create_app(Settings(database_url=database, rasa_url="http://127.0.0.1:9", action_port=0, rasa_port=0,
                                  web_port=0, web_host="127.0.0.1"))
        with TestClient(app) as client:
            assert sign_in(client, "bea").status_code == 303
            yield client


# ------------------------------------------------------------------ the intake path


def _description(text: str) -> dict[str, Any]:
    """The description slots; a text the form rejects (too short, too long, a command) is padded, not replaced."""
    out = validate_description(text, {})
    if out.response is not None or out.unclear:
        room = MAX_DESCRIPTION - len(PAD) - 1
        out = validate_description(f"{PAD} {text[:room]}", {})
    assert out.response is None and not out.unclear, f"a padded description was rejected: {out.response}"
    assert out.slots["description"], "accepted but empty"
    return out.slots


def _neighbourhood(text: str) -> dict[str, Any]:
    """As typed for the neighbourhood question; unknown twice means stored as typed ('unresolved')."""
    slots: dict[str, Any] = {}
    for value in (text, f"Buurt {text}"):
        out = validate_neighbourhood(value, slots)
        if out.unclear:
            out = validate_neighbourhood(value, {**slots, **out.slots})
        if out.response is None and not out.unclear:
            return out.slots
    raise AssertionError(f"neighbourhood answer rejected even padded: {text!r}")


def _organisation(text: str) -> str:
    for value in (text, f"Stichting {text}"):
        out = validate_organisation(value, {})
        if out.response is None:
            return str(out.slots["organisation"])
    raise AssertionError(f"organisation rejected even padded: {out.response}")


def _slots(text: str) -> dict[str, Any]:
    slots = {**_description(text), **_neighbourhood(text)}
    slots.update({"theme": slots.get("theme") or slots.get("theme_suggestion") or "other",
                  "asker_role": "organisation", "organisation": _organisation(text), "language": "nl"})
    for validate in (validate_consent_store, validate_consent_share):
        out = validate("ja", slots)
        assert out.response is None
        slots.update(out.slots)
    assert slots["consent_store"] is True
    return slots


def _store(database: str, text: str) -> tuple[Intake, Intake | None]:
    """The intake, and when the text has a '<', a twin with every '<' replaced (same page shape, no tags)."""
    draft = draft_from_slots(_slots(text), "nl", "rest", "fuzz")
    with session_factory(database).begin() as s:
        intake = submit_intake(s, draft)
        twin = None
        if any("<" in (getattr(draft, f) or "") for f in TEXT_FIELDS):
            safe = {f: (getattr(draft, f) or "").replace("<", "‹") or getattr(draft, f) for f in TEXT_FIELDS}
            twin = submit_intake(s, dataclasses.replace(draft, **safe))
    return intake, twin


def _pages(client: TestClient, intake: Intake) -> dict[str, str]:
    pages = {"queue": client.get("/broker/", params={"q": intake.reference}),
             "intake": client.get(f"/broker/intakes/{intake.uuid}")}
    for name, response in pages.items():
        assert response.status_code == 200, f"{name}: HTTP {response.status_code}"
    return {name: response.text for name, response in pages.items()}


# ------------------------------------------------------------------ properties


@settings(max_examples=STORAGE_EXAMPLES, deadline=None, database=None)
@given(text=messages)
def test_stored_text_never_renders_as_markup(database: str, broker: TestClient, text: str) -> None:
    intake, twin = _store(database, text)
    for field in TEXT_FIELDS:
        value = getattr(intake, field) or ""
        assert not CONTROL.search(value), f"{field} stored with a control character: {value!r}"
    assert intake.description and intake.organisation
    pages = _pages(broker, intake)
    assert intake.uuid in pages["queue"], "the search for its reference does not find the intake"
    assert str(escape(intake.description[:90])) in pages["queue"]
    assert str(escape(intake.description)) in pages["intake"]
    assert str(escape(intake.organisation)) in pages["intake"]
    if intake.neighbourhood_text:
        assert str(escape(intake.neighbourhood_text)) in pages["intake"]
    if twin is not None:  # the text had a '<': the page must hold no more tags than with that '<' gone
        twin_pages = _pages(broker, twin)
        for name, html in pages.items():
            extra = len(TAG.findall(html)) - len(TAG.findall(twin_pages[name]))
            assert extra == 0, f"{name} page: {extra} tag(s) from the stored text rendered unescaped"


@settings(max_examples=STORAGE_EXAMPLES, deadline=None, database=None)
@given(text=messages)
def test_csv_export_never_starts_a_formula(database: str, broker: TestClient, text: str) -> None:
    intake, _ = _store(database, text)
    response = broker.get("/broker/export.csv", params={"q": intake.reference})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"), newline="")))
    header, data = rows[0], rows[1:]
    assert [row[0] for row in data] == [intake.reference]
    cells = dict(zip(header, data[0], strict=True))
    assert cells["description"] in (intake.description, "'" + intake.description)  # quoted only when needed
    for column, cell in cells.items():
        assert not cell.startswith(FORMULA_START), f"CSV column {column!r} starts a formula: {cell[:60]!r}"

