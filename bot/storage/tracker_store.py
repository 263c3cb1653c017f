"""Rasa's SQL tracker store, made to survive a brief database restart without losing a conversation.

Rasa wraps every tracker store in a fail-safe that, when reading a tracker fails, silently
continues with an *empty in-memory* tracker: after a PostgreSQL restart a resident would be
asked everything again and their earlier answers would be lost to the conversation. This store
checks connections before use (pool_pre_ping) and retries reads and writes for a short while,
so a restart of a few seconds is invisible; a longer outage ends in an error the user sees
(and can retry), never in a silent reset.

It also forgets: when a turn ends with the slot `forget_conversation` set (no consent to store the
question, or the resident's data was just erased), every stored event of that conversation is
deleted right after the turn is saved, so no transcript is kept and the next message starts afresh.

And it keeps the trackers it just saved: reading a tracker back means decoding every event of the
conversation and replaying it, a cost that grows with the conversation's length (bench/tracker_cost.py).
After a save the tracker stays in memory (when it holds exactly the events of its latest session, as a
read would give them) with the newest event id and that number of events; the next read asks the
database only for those two numbers and hands the kept tracker back when
they still match. Another replica's turn, an erasure or a deletion by retention changes them, and the
tracker is read from the database as before. A kept tracker is handed out once (the next read goes to
the database unless it was saved again), at most KEPT_CONVERSATIONS are kept, and none for longer than
KEEP_SECONDS, so the memory of this process holds no conversation the database no longer has for long.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SessionStarted
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.exc import DBAPIError, OperationalError

logger = logging.getLogger(__name__)
FORGET_SLOT = "forget_conversation"
RETRIES = 20
PAUSE = 0.5
KEPT_CONVERSATIONS = 200
KEEP_SECONDS = 600.0


def _sqlite_for_a_tracker(dbapi_conn: Any, _record: Any) -> None:
    """WAL (as the app's engine, bot/storage/db.py) with `synchronous=NORMAL` on the tracker store's connections only:
    a commit no longer waits for the disk twice. SQLite stays consistent after a crash; a power cut may lose
    the last turns of a chat transcript, never an intake (the intakes' engine keeps full synchronous)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class ResilientSQLTrackerStore(SQLTrackerStore):
    engine: sa.engine.Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        # hide_parameters: a failed INSERT must not print the message text it carried into the log
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            # SQLAlchemy 1.4 opens (and closes) a new SQLite connection for every query of a file database;
            # a small pool keeps them open (the store is used from Rasa's event-loop thread only).
            self.engine = sa.create_engine(url, hide_parameters=True, poolclass=sa.pool.QueuePool, pool_size=2,
                                           connect_args={"check_same_thread": False, "timeout": 30})
            sa.event.listen(self.engine, "connect", _sqlite_for_a_tracker)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True,
                                           **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # sender id -> (kept at, (newest event id, events of the latest session stored), tracker)
        self._kept: OrderedDict[str, tuple[float, tuple[Any, int], Any]] = OrderedDict()
        self._fingerprint, self._newest = self._statements()

    async def _again(self, what: str, call):
        for attempt in range(RETRIES):
            try:
                return await call()
            except (OperationalError, DBAPIError) as exc:
                if attempt == RETRIES - 1:
                    raise
                logger.warning("tracker store %s failed (%s), retrying", what, type(exc).__name__)
                self.engine.dispose()
                await asyncio.sleep(PAUSE)
        return None

    def _statements(self) -> tuple[Any, Any]:
        """Two Core statements: a conversation's (newest event id, number of events in its latest session,
        counted as Rasa's `_event_query` counts them), and its newest event id alone."""
        table = self.SQLEvent.__table__
        sender = sa.bindparam("sender", type_=sa.String())
        session_start = sa.select(sa.func.max(table.c.timestamp)).where(
            table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name).scalar_subquery()
        in_session = sa.select(sa.func.count()).select_from(table).where(
            table.c.sender_id == sender,
            sa.or_(table.c.timestamp >= session_start, session_start.is_(None))).scalar_subquery()
        newest = sa.select(sa.func.max(table.c.id)).where(table.c.sender_id == sender)
        return sa.select(newest.scalar_subquery(), in_session), newest

    def _stored(self, sender_id: str) -> tuple[Any, int]:
        """The newest event id of one conversation and the number of events Rasa's read would return
        (those of its latest session): one statement on the sender index, whatever the conversation's length."""
        with self.engine.connect() as connection:
            newest, in_session = connection.execute(self._fingerprint, {"sender": sender_id}).one()
        return newest, int(in_session)

    def _write(self, tracker: Any) -> tuple[Any, int] | None:
        """Rasa's `SQLTrackerStore.save` in SQLAlchemy Core (store the events the database does not have yet,
        counted as Rasa counts them, in one transaction and one multi-row INSERT), and the fingerprint of what
        is stored afterwards. None when a new session began among the new events."""
        sender = tracker.sender_id
        with self.engine.begin() as connection:
            _, stored = connection.execute(self._fingerprint, {"sender": sender}).one()
            new = list(itertools.islice(tracker.events, int(stored), len(tracker.events)))
            rows = []
            for event in new:
                data = event.as_dict()
                rows.append({"sender_id": sender, "type_name": event.type_name, "timestamp": data.get("timestamp"),
                             "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                             "action_name": data.get("name"), "data": json.dumps(data)})
            if not rows:
                return None
            connection.execute(self.SQLEvent.__table__.insert(), rows)
            newest = connection.execute(self._newest, {"sender": sender}).scalar()
        if any(isinstance(event, SessionStarted) for event in new):
            return None
        return newest, int(stored) + len(rows)

    def _forget_old(self) -> None:
        oldest_allowed = time.monotonic() - KEEP_SECONDS
        while self._kept and (len(self._kept) > KEPT_CONVERSATIONS
                              or next(iter(self._kept.values()))[0] < oldest_allowed):
            self._kept.popitem(last=False)

    async def retrieve(self, sender_id: str):
        async def read():
            kept = self._kept.pop(sender_id, None)
            if kept is not None:
                _, stored, tracker = kept  # changed since its save (events added), or by others: read again
                if len(tracker.events) == stored[1] and self._stored(sender_id) == stored:
                    return tracker
            return await super(ResilientSQLTrackerStore, self).retrieve(sender_id)

        self._forget_old()
        return await self._again("read", read)

    async def retrieve_full_tracker(self, sender_id: str):
        return await self._again("read", lambda: super(ResilientSQLTrackerStore, self).retrieve_full_tracker(sender_id))

    async def save(self, tracker) -> None:
        self._kept.pop(tracker.sender_id, None)  # first: streaming to an event broker reads the stored tracker

        async def write():
            await self.stream_events(tracker)
            return self._write(tracker)

        stored = await self._again("write", write)
        if tracker.get_slot(FORGET_SLOT):
            await self._again("forget", lambda: self.forget(tracker.sender_id))
            return
        if stored is None:
            try:
                stored = self._stored(tracker.sender_id)
            except (OperationalError, DBAPIError):
                return  # not kept: the next read goes to the database (and retries there)
        if stored[1] == len(tracker.events):  # it holds exactly what a read from the database would give
            self._kept[tracker.sender_id] = (time.monotonic(), stored, tracker)
        self._forget_old()

    async def forget(self, sender_id: str) -> int:
        """Delete every stored event of one conversation."""
        with self.session_scope() as session:
            deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        logger.info("conversation forgotten (%d events deleted)", deleted)
        return int(deleted or 0)
