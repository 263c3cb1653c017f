"""Status by reference in the chat: plain words, nothing of the question, limits against walking numbers."""

from __future__ import annotations

from sqlalchemy import select

from actions import actions as a
from bot.review.workflow import change_status
from bot.storage.db import session_factory
from bot.storage.intakes import IntakeDraft, submit_intake
from bot.storage.models import Intake
from tests.unit.test_actions import run, tracker


def stored(url: str, **kw) -> str:  # type: ignore[no-untyped-def]
    with session_factory(url).begin() as s:
        return str(submit_intake(s, IntakeDraft(language="nl", description="Te veel zwerfafval bij de Haarlemmerstraat",
                                                **kw)).reference)


def ask(domain: dict, text: str, sender: str = "test-conversation", **slots) -> list[dict]:  # type: ignore[no-untyped-def]
    t = tracker(text, slots, intent="ask_status")
    t.sender_id = sender
    _, messages = run(a.ActionStatusByReference(), t, domain)
    return messages


def test_status_in_plain_words_in_any_spelling_of_the_number(domain: dict, sqlite_url: str) -> None:
    a._sessions.cache_clear()
    reference = stored(sqlite_url)
    year, number = reference.split("-")[1:]
    for spelling in (reference, reference.lower(), f"ls {year} {int(number)}", f"LS{year}{number}"):
        messages = ask(domain, f"Hoe staat het met mijn vraag {spelling}?", sender=f"c-{spelling}")
        assert [m["response"] for m in messages] == ["utter_status_received"], spelling
        assert messages[0]["reference"] == reference
    with session_factory(sqlite_url).begin() as s:
        intake = s.scalars(select(Intake).where(Intake.reference == reference)).one()
        change_status(s, intake, "in_review", "broker:bea", "intern: lijkt op LS-2026-000001",
                      public_note="We vragen de wijkagent om advies.")
    messages = ask(domain, f"status {reference}", sender="someone-else")
    assert [m["response"] for m in messages] == ["utter_status_in_review", "utter_status_reason"]
    assert messages[1]["reason"] == "We vragen de wijkagent om advies."
    assert "zwerfafval" not in str(messages) and "intern" not in str(messages)  # nothing of the question
    a._sessions.cache_clear()


def test_unknown_and_missing_numbers(domain: dict, sqlite_url: str) -> None:
    a._sessions.cache_clear()
    messages = ask(domain, "What is the status of LS-2026-987654?", language="en")
    assert [(m["response"], m.get("reference")) for m in messages] == [("utter_status_unknown", "LS-2026-987654")]
    first = ask(domain, "hoe staat het met mijn vraag?")
    again = ask(domain, "hoe staat het met mijn vraag nou?", status_asked=True)
    assert [m["response"] for m in first] == ["utter_status_ask_reference"]
    assert [m["response"] for m in again] == ["utter_status_ask_reference_again"]  # not the same words twice
    a._sessions.cache_clear()


def test_lookups_are_limited_per_conversation_and_per_address_but_not_for_ones_own(domain: dict, sqlite_url: str) -> None:
    a._sessions.cache_clear()
    own = stored(sqlite_url)
    walked = [ask(domain, f"status LS-2026-{n:06d}", sender="walker")[0]["response"] for n in range(900001, 900008)]
    assert walked == ["utter_status_unknown"] * 5 + ["utter_status_too_many"] * 2
    # fresh conversations from the same address (the widget's keyed hash of it) hit the address limit
    def from_address(n: int) -> str:
        t = tracker(f"status LS-2026-{n:06d}", {}, intent="ask_status")
        t.sender_id = f"fresh-{n}"
        t.latest_message["metadata"] = {"client": "hash-of-one-address"}
        return run(a.ActionStatusByReference(), t, domain)[1][0]["response"]
    answers = [from_address(n) for n in range(800001, 800018)]
    assert answers.count("utter_status_too_many") == 2 and answers[-1] == "utter_status_too_many"
    # the question this conversation stored itself is always answered
    messages = ask(domain, f"status {own}", sender="walker", reference=own)
    assert [m["response"] for m in messages] == ["utter_status_received"]
    a._sessions.cache_clear()


def test_a_grouped_question_says_it_is_handled_together(domain: dict, sqlite_url: str) -> None:
    from bot.review import grouping

    a._sessions.cache_clear()
    first, second = stored(sqlite_url), stored(sqlite_url)
    with session_factory(sqlite_url).begin() as s:
        one, two = (s.scalars(select(Intake).where(Intake.reference == r)).one() for r in (first, second))
        grouping.join(s, one, two, "broker:bea")
    messages = ask(domain, f"status {second}", sender="grouped")
    assert [m["response"] for m in messages] == ["utter_status_received", "utter_status_grouped"]
    a._sessions.cache_clear()
