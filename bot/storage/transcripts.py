"""Conversation transcripts: Rasa's own `events` table, as the product reads and deletes it.

Rasa's SQL tracker store (bot/storage/tracker_store.py) writes one row per event in the table `events`. When it
shares our database, the widget shows the conversation again after a reload, the broker reads it beside the intake,
a request for access exports it, and erasure and retention delete it. Every statement on that table is here; the
table is Rasa's, so it is described, not mapped, and every function first checks that it exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, cast

from sqlalchemy import Float, Integer, String, Text, column, delete, func, inspect, select, table
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import Session

from bot.storage.models import Intake

EVENTS = table("events", column("id", Integer), column("sender_id", String), column("type_name", String),
               column("timestamp", Float), column("intent_name", String), column("action_name", String),
               column("data", Text))
SAID = ("user", "bot")  # the events that carry what was said


class Event(NamedTuple):
    type_name: str
    timestamp: float | None
    intent_name: str | None
    action_name: str | None
    data: str | None  # Rasa's JSON of the event


def available(session: Session) -> bool:
    """Whether Rasa's tracker store writes to this database (it does on the embedded default)."""
    return inspect(session.connection()).has_table("events")


def conversation(session: Session, sender_id: str | None, types: Sequence[str] = SAID,
                 last: int | None = None) -> list[Event]:
    """The events of one conversation in the order they happened; only the `last` ones when given."""
    if not sender_id or not available(session):
        return []
    query = select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.intent_name, EVENTS.c.action_name,
                   EVENTS.c.data).where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(types))
    if last is None:
        rows = session.execute(query.order_by(EVENTS.c.id)).all()
    else:
        rows = list(reversed(session.execute(query.order_by(EVENTS.c.id.desc()).limit(last)).all()))
    return [Event(*row) for row in rows]


def delete_conversation(session: Session, sender_id: str | None) -> int:
    """Delete one conversation; the number of events deleted."""
    if not sender_id or not available(session):
        return 0
    return _count(session.execute(delete(EVENTS).where(EVENTS.c.sender_id == sender_id)))


def delete_before(session: Session, cutoff: float) -> int:
    """Delete every event older than `cutoff` (a Unix time), in any conversation."""
    if not available(session):
        return 0
    return _count(session.execute(delete(EVENTS).where(EVENTS.c.timestamp < cutoff)))


def delete_unfinished(session: Session, idle_since: float) -> int:
    """Delete the conversations without activity since `idle_since` (a Unix time) that stored no intake."""
    if not available(session):
        return 0
    seen = EVENTS.alias("seen")  # an alias, so the subquery is not correlated with the rows being deleted
    idle = select(seen.c.sender_id).group_by(seen.c.sender_id).having(func.max(seen.c.timestamp) < idle_since)
    stored = select(Intake.sender_id).where(Intake.sender_id.is_not(None))
    return _count(session.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(idle),
                                                       EVENTS.c.sender_id.not_in(stored))))


def _count(result: Result) -> int:
    """The rows a DELETE touched (the typing stubs give `execute` a plain Result; a DML result has `rowcount`)."""
    return cast(CursorResult, result).rowcount or 0
