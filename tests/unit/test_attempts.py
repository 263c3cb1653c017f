"""Failed attempts counted in the database (bot/privacy/attempts.py), on real SQLite and PostgreSQL, and the chat
erasure's tries counted per reference and per contact detail across conversations."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from actions import actions as a
from bot.privacy import attempts
from bot.privacy.attempts import (
    ERASURE_CONTACT,
    ERASURE_REFERENCE,
    Limit,
    forget,
    guard,
    hash_key,
    record,
    wait_seconds,
)
from bot.privacy.erasure import MAX_ATTEMPTS
from bot.storage.intakes import IntakeDraft, submit_intake
from bot.storage.models import Contact, FailedAttempt, Intake, utcnow
from tests.unit.test_actions import run, tracker

LIMIT = Limit("test", 3, timedelta(minutes=10))
EMAIL = "sanne@example.nl"


def test_a_key_is_refused_after_the_limit_until_its_failures_age_out(sessions) -> None:  # type: ignore[no-untyped-def]
    start = utcnow()
    with sessions.begin() as s:
        for minute in range(3):
            assert wait_seconds(s, LIMIT, "bea", start + timedelta(minutes=minute)) == 0
            record(s, LIMIT, "bea", start + timedelta(minutes=minute))
    with sessions() as s:
        at = start + timedelta(minutes=3)
        assert wait_seconds(s, LIMIT, "bea", at) == pytest.approx(7 * 60)  # the oldest leaves the window at 10
        assert wait_seconds(s, LIMIT, "ada", at) == 0  # another key
        assert wait_seconds(s, Limit("other", 3, LIMIT.window), "bea", at) == 0  # another kind
        assert wait_seconds(s, LIMIT, "bea", start + timedelta(minutes=10, seconds=1)) == 0


def test_guard_counts_before_and_forget_takes_a_success_back(sessions) -> None:  # type: ignore[no-untyped-def]
    other = Limit("test_address", 5, LIMIT.window)
    with sessions.begin() as s:
        wait, first = guard(s, [(LIMIT, "bea"), (other, "10.0.0.1"), (other, None)])  # None: not counted
        assert wait == 0 and len(first) == 2
        forget(s, first)
        for _ in range(3):
            assert guard(s, [(LIMIT, "bea"), (other, "10.0.0.1")])[0] == 0
        wait, counted = guard(s, [(LIMIT, "bea"), (other, "10.0.0.1")])
        assert wait > 0 and counted == []  # refused tries are not counted
        assert guard(s, [(other, "10.0.0.1")])[0] == 0  # the 4th of 5 for the address
        assert guard(s, [(other, "10.0.0.1")])[0] == 0  # the 5th
        assert guard(s, [(other, "10.0.0.1")])[0] > 0


def test_keys_are_stored_only_as_keyed_hashes_and_old_rows_go(sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    long_ago = utcnow() - attempts.KEEP - timedelta(hours=1)
    with sessions.begin() as s:
        record(s, ERASURE_CONTACT, "old@example.nl", long_ago)
        guard(s, [(ERASURE_CONTACT, EMAIL)])
    with sessions() as s:
        rows = s.scalars(select(FailedAttempt)).all()
        assert [(r.kind, r.key_hash) for r in rows] == [("erasure_contact", hash_key("erasure_contact", EMAIL))]
        assert all(EMAIL not in str(v) for r in rows for v in (r.kind, r.key_hash))
    assert hash_key("erasure_contact", EMAIL) != hashlib.sha256(EMAIL.encode()).hexdigest()  # not a plain hash
    monkeypatch.setenv("ATTEMPTS_KEY", "another deployment")
    assert hash_key("erasure_contact", EMAIL) != rows[0].key_hash


# ------------------------------------------------------------------ the chat erasure


@pytest.fixture
def intakes(database_url: str, sessions, monkeypatch):  # type: ignore[no-untyped-def]
    """Two intakes with Sanne's e-mail address, and one of someone else; the actions use this database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("MATCHING_BACKEND_URL", raising=False)
    a._sessions.cache_clear()
    with sessions.begin() as s:
        refs = [submit_intake(s, IntakeDraft(language="nl", description=f"Vraag {i} over afval in de Kooi",
                                             consent_contact=True, contact_name="Sanne", contact_email=email)).reference
                for i, email in enumerate([EMAIL, EMAIL, "piet@example.nl"])]
    yield refs
    a._sessions.cache_clear()


def erase(domain: dict, reference: str, proof: str, attempts_so_far: int = 0) -> str:
    """One erasure request in a new conversation; the response the resident gets."""
    _, messages = run(a.ActionEraseData(), tracker("", {"erasure_reference": reference, "erasure_proof": proof,
                                                        "erasure_attempts": attempts_so_far}), domain)
    return messages[0]["response"]


def erased(sessions, reference: str) -> bool:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return s.scalars(select(Intake.erased_at).where(Intake.reference == reference)).one() is not None


def test_new_conversations_get_no_new_tries_for_a_reference(domain: dict, intakes, sessions) -> None:  # type: ignore[no-untyped-def]
    ref = intakes[0]
    for i in range(MAX_ATTEMPTS):
        assert erase(domain, ref, f"raden{i}@example.nl") == "utter_erasure_not_found"
    # a new conversation, now with the right contact: the reference is locked for a while
    assert erase(domain, ref, EMAIL) == "utter_erasure_too_many"
    assert not erased(sessions, ref)
    with sessions.begin() as s:  # a day later it may be tried again
        for row in s.scalars(select(FailedAttempt)):
            row.at = utcnow() - ERASURE_REFERENCE.window - timedelta(minutes=1)
    assert erase(domain, ref, EMAIL) == "utter_erasure_done" and erased(sessions, ref)


def test_one_contact_detail_cannot_be_tried_against_many_references(domain: dict, intakes, sessions) -> None:  # type: ignore[no-untyped-def]
    mine, _, other = intakes
    guesses = ["LS-2026-900001", "LS-2026-900002", other]
    for guess in guesses:  # the attacker knows Sanne's address and guesses references
        assert erase(domain, guess, "  Sanne@Example.nl") == "utter_erasure_not_found"
    assert erase(domain, mine, EMAIL) == "utter_erasure_too_many"
    assert not erased(sessions, mine)
    with sessions() as s:  # the address is not stored in clear anywhere in the table
        assert {r.key_hash for r in s.scalars(select(FailedAttempt))} >= {hash_key("erasure_contact", EMAIL)}
        assert s.scalars(select(Contact.email).where(Contact.email == EMAIL)).all()  # the intakes are untouched


def test_successful_erasures_are_not_counted(domain: dict, intakes, sessions) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = intakes
    assert erase(domain, "LS-2026-900001", EMAIL) == "utter_erasure_not_found"
    assert erase(domain, first, EMAIL) == "utter_erasure_done"
    assert erase(domain, second, EMAIL) == "utter_erasure_done"  # 1 wrong try so far, not 3
    with sessions() as s:
        assert len(s.scalars(select(FailedAttempt)).all()) == 2  # the wrong try: reference and address


def test_the_conversation_limit_still_holds(domain: dict, intakes, sessions) -> None:  # type: ignore[no-untyped-def]
    assert erase(domain, intakes[0], EMAIL, attempts_so_far=MAX_ATTEMPTS) == "utter_erasure_too_many"
    assert not erased(sessions, intakes[0])
