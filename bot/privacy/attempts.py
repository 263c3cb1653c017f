"""Failed attempts counted in the database, so a limit holds across web replicas, action servers and new
conversations: dashboard sign-ins per address and per user name, chat erasures per reference and per contact,
status lookups by reference per conversation and per address.

A limit is "at most `max_failures` failures of this kind for this key within `window`"; once reached, the key
is refused until enough failures have aged out of the window (a lock of at most `window`). Refused tries are not
counted, so an attacker who keeps trying cannot lock a key for ever.

Keys are stored only as an HMAC-SHA256 (keyed with ATTEMPTS_KEY when set, the same on every process; see
docs/dashboard.md), never in clear: they include e-mail addresses, phone numbers and client addresses. Rows
older than the longest window are deleted as new ones are written.

`guard` counts the try before the slow part (password hashing, the erasure lookup) in its own short
transaction, so parallel tries from other processes already see it; `forget` takes it back when the try
succeeded. Two tries that check at the very same moment can both pass: the limit may be passed by the number of
tries in flight, not more.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.config import Keys
from bot.storage.models import FailedAttempt, as_utc, utcnow

KEEP = timedelta(days=2)  # longer than every window below
_DEFAULT_KEY = b"stadsvraag-attempts-v1"


@dataclass(frozen=True)
class Limit:
    kind: str
    max_failures: int
    window: timedelta


SIGNIN_ACCOUNT = Limit("signin_account", 5, timedelta(minutes=15))  # per user name typed, known or not
SIGNIN_ADDRESS = Limit("signin_address", 10, timedelta(minutes=15))  # per client address
ERASURE_REFERENCE = Limit("erasure_reference", 3, timedelta(hours=24))  # per reference number
ERASURE_CONTACT = Limit("erasure_contact", 3, timedelta(hours=24))  # per e-mail address or phone number
# Status by reference in the chat: every lookup counts (a walk through numbers finds real ones), except a
# conversation asking about the question it stored itself.
STATUS_CONVERSATION = Limit("status_conversation", 5, timedelta(hours=1))  # per conversation
STATUS_ADDRESS = Limit("status_address", 15, timedelta(hours=1))  # per client address (widget) or chat id


def hash_key(kind: str, key: str) -> str:
    """The stored form of a key: keyed, so a copy of the table does not reveal e-mail addresses by guessing."""
    secret = Keys.from_env().attempts or _DEFAULT_KEY
    return hmac.new(secret, f"{kind}\x00{key}".encode(), hashlib.sha256).hexdigest()


def wait_seconds(session: Session, limit: Limit, key: str, now: datetime | None = None) -> float:
    """0 when `key` may try again; else the seconds until it may."""
    now = now or utcnow()
    times = sorted(as_utc(t) for t in session.scalars(
        select(FailedAttempt.at).where(FailedAttempt.kind == limit.kind,
                                       FailedAttempt.key_hash == hash_key(limit.kind, key),
                                       FailedAttempt.at > now - limit.window)))
    if len(times) < limit.max_failures:
        return 0.0
    # free again when only max_failures - 1 of them are left in the window
    return max(1.0, (times[-limit.max_failures] + limit.window - now).total_seconds())


def record(session: Session, limit: Limit, key: str, now: datetime | None = None) -> int:
    """Count one failure of `key`; returns the row id (for `forget`)."""
    now = now or utcnow()
    row = FailedAttempt(kind=limit.kind, key_hash=hash_key(limit.kind, key), at=now)
    session.add(row)
    session.flush()
    return int(row.id)


def guard(session: Session, checks: Iterable[tuple[Limit, str | None]],
          now: datetime | None = None) -> tuple[float, list[int]]:
    """Check every (limit, key) and, when none is over its limit, count this try for each of them.

    Returns (seconds to wait, []) when refused, else (0, row ids). Keys that are None are skipped.
    """
    now = now or utcnow()
    present = [(limit, key) for limit, key in checks if key]
    wait = max((wait_seconds(session, limit, key, now) for limit, key in present), default=0.0)
    if wait:
        return wait, []
    session.execute(delete(FailedAttempt).where(FailedAttempt.at < now - KEEP))
    return 0.0, [record(session, limit, key, now) for limit, key in present]


def forget(session: Session, ids: Iterable[int]) -> None:
    """Take back tries counted by `guard` that succeeded."""
    ids = list(ids)
    if ids:
        session.execute(delete(FailedAttempt).where(FailedAttempt.id.in_(ids)))
