"""Cost of Rasa's tracker store per message against the length of the conversation.

Each "message" is what the Rasa server does with the store for one user message: `retrieve` the
tracker, add the events of one turn (user message, slot, action, bot answer, listen) and `save` it.
Measured for conversations already holding 10 to 400 events, on SQLite (the embedded default, WAL
like `make run`) and on PostgreSQL when it is reachable. The baseline is the same turn at 10 events,
so the ratios show how the cost grows with length. A benchmark, never a timed test.

Usage: .venv/bin/python bench/tracker_cost.py [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.storage import db
from bot.storage.tracker_store import ResilientSQLTrackerStore

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = (10, 50, 100, 200, 400)
TURNS = 25


def turn(n: int) -> list:
    parse = {"text": f"bericht {n}", "intent": {"name": "inform", "confidence": 0.9},
             "entities": [], "intent_ranking": [{"name": "inform", "confidence": 0.9}]}
    return [UserUttered(f"bericht {n}", parse["intent"], [], parse), SlotSet("description", f"antwoord {n}"),
            ActionExecuted("intake_form"), BotUttered(f"vraag {n}", {"buttons": []}),
            ActionExecuted("action_listen")]


async def per_message_ms(store: ResilientSQLTrackerStore, domain: Domain, length: int) -> float:
    sender = uuid.uuid4().hex
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    while len(events) < length:
        events += turn(len(events))
    await store.save(DialogueStateTracker.from_events(sender, events, domain.slots))
    times = []
    for n in range(TURNS):
        started = time.perf_counter()
        tracker = await store.retrieve(sender)
        assert tracker is not None and len(tracker.events) >= length
        for event in turn(n):
            tracker.update(event)
        await store.save(tracker)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def measure(url: str, domain: Domain) -> dict[int, float]:
    db.upgrade(url)  # the product's schema and SQLite settings (WAL), as `make run` has them
    store = ResilientSQLTrackerStore(domain, host=url)  # as Rasa builds it from endpoints.yml's `url`
    return {length: await per_message_ms(store, domain, length) for length in LENGTHS}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    parser.add_argument("--out", default=str(ROOT / "bench/results/tracker_cost.json"))
    args = parser.parse_args()
    domain = Domain.load(str(ROOT / "domain.yml"))
    results: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = asyncio.run(measure(f"sqlite:///{tmp}/tracker.db", domain))
    try:
        results["postgresql"] = asyncio.run(measure(args.postgres, domain))
    except Exception as exc:  # noqa: BLE001 - a benchmark reports what it could not measure
        print(f"PostgreSQL not measured: {type(exc).__name__}")
    report = {"machine": f"{platform.machine()}, {platform.processor() or '?'}, Python {platform.python_version()}",
              "turns_per_length": TURNS, "ms_per_message": results,
              "ratio_to_10_events": {k: {n: round(v / r[10], 2) for n, v in r.items()} for k, r in results.items()}}
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    for kind, r in results.items():
        print(kind, "  ".join(f"{n} events: {ms:.1f} ms (x{ms / r[10]:.2f})" for n, ms in r.items()))


if __name__ == "__main__":
    main()
