"""Dashboard accounts: argon2 password hashes, roles, and their sign-in sessions kept on the server."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bot.storage.models import BrokerUser, WebSession, as_utc, utcnow

ACCOUNT_ROLES = ("broker", "admin")
SESSION_LIFETIME = timedelta(hours=8)  # from sign-in, however active: a working day
SESSION_IDLE = timedelta(minutes=30)
TOUCH_EVERY = timedelta(minutes=1)  # how often a request moves last_seen_at forward
MIN_PASSWORD = 12
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password-but-same-cost")


class UserError(ValueError):
    pass


def create_user(session: Session, username: str, password: str, role: str = "broker") -> BrokerUser:
    username = username.strip().lower()
    if role not in ACCOUNT_ROLES:
        raise UserError(f"role must be one of {', '.join(ACCOUNT_ROLES)}")
    if not (2 <= len(username) <= 100) or not username.replace(".", "").replace("-", "").replace("_", "").replace("@", "").isalnum():
        raise UserError("username: 2-100 letters, digits, . - _ @")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")
    if session.scalars(select(BrokerUser).where(BrokerUser.username == username)).first():
        raise UserError(f"user {username!r} exists")
    user = BrokerUser(username=username, password_hash=_hasher.hash(password), role=role, active=True,
                      failed_logins=0)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> BrokerUser | None:
    """The active account with this user name and password, else None (one answer for unknown, deactivated
    and wrong). Repeated failures are throttled by the caller, per user name and address (bot/privacy/attempts.py)."""
    user = session.scalars(select(BrokerUser).where(BrokerUser.username == username.strip().lower())).first()
    if user is None or not user.active:
        try:  # same work as a real check, so timing does not reveal which usernames exist
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


# ------------------------------------------------------------------ sessions on the server


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: BrokerUser, now: datetime | None = None) -> str:
    """A new sign-in of `user`: returns the random token for the cookie (only its hash is stored)."""
    now = now or utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now - timedelta(days=1)))
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_token_hash(token), user_id=user.id, role=user.role, created_at=now,
                           last_seen_at=now, expires_at=now + SESSION_LIFETIME))
    session.flush()
    return token


def session_user(session: Session, token: str | None, now: datetime | None = None) -> BrokerUser | None:
    """The account of a live session, checked afresh on every request; ends the session when it has expired,
    sat idle too long, or its account was deactivated or given another role since sign-in."""
    if not token:
        return None
    now = now or utcnow()
    row = session.scalars(select(WebSession).where(WebSession.token_hash == _token_hash(token))).first()
    if row is None or row.ended_at is not None:
        return None
    user = session.get(BrokerUser, row.user_id)
    reason = None
    if user is None or not user.active:
        reason = "deactivated"
    elif user.role != row.role:
        reason = "role_changed"
    elif as_utc(row.expires_at) <= now:
        reason = "expired"
    elif as_utc(row.last_seen_at) + SESSION_IDLE <= now:
        reason = "idle"
    if reason:
        row.ended_at, row.end_reason = now, reason
        return None
    if now - as_utc(row.last_seen_at) >= TOUCH_EVERY:  # not a write on every click
        row.last_seen_at = now
    return user


def end_session(session: Session, token: str | None, reason: str = "signed_out") -> None:
    if token:
        session.execute(update(WebSession).where(WebSession.token_hash == _token_hash(token),
                                                  WebSession.ended_at.is_(None))
                        .values(ended_at=utcnow(), end_reason=reason))


def end_sessions_of(session: Session, user_id: int, reason: str) -> int:
    """End every open session of one account (deactivated, role changed)."""
    result = session.execute(update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
                             .values(ended_at=utcnow(), end_reason=reason))
    return cast(CursorResult, result).rowcount or 0


def deactivate(session: Session, user: BrokerUser) -> None:
    user.active = False
    end_sessions_of(session, user.id, "deactivated")


def set_role(session: Session, user: BrokerUser, role: str) -> None:
    if role not in ACCOUNT_ROLES:
        raise UserError(f"role must be one of {', '.join(ACCOUNT_ROLES)}")
    if role != user.role:
        user.role = role
        end_sessions_of(session, user.id, "role_changed")
