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
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from sqlalchemy.exc import DBAPIError, OperationalError

logger = logging.getLogger(__name__)
FORGET_SLOT = "forget_conversation"
RETRIES = 20
PAUSE = 0.5


class ResilientSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        # hide_parameters: a failed INSERT must not print the message text it carried into the log
        self.engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _again(self, what: str, call):  # type: ignore[no-untyped-def]
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

    async def retrieve(self, sender_id: str):  # type: ignore[no-untyped-def]
        return await self._again("read", lambda: super(ResilientSQLTrackerStore, self).retrieve(sender_id))

    async def retrieve_full_tracker(self, sender_id: str):  # type: ignore[no-untyped-def]
        return await self._again("read", lambda: super(ResilientSQLTrackerStore, self).retrieve_full_tracker(sender_id))

    async def save(self, tracker) -> None:  # type: ignore[no-untyped-def]
        await self._again("write", lambda: super(ResilientSQLTrackerStore, self).save(tracker))
        if tracker.get_slot(FORGET_SLOT):
            await self._again("forget", lambda: self.forget(tracker.sender_id))

    async def forget(self, sender_id: str) -> int:
        """Delete every stored event of one conversation."""
        with self.session_scope() as session:
            deleted = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        logger.info("conversation forgotten (%d events deleted)", deleted)
        return int(deleted or 0)
