"""Dashboard accounts: argon2 password hashes, roles, and lock-out after repeated failures."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import BrokerUser, as_utc, utcnow

ROLES = ("broker", "admin")
MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 12
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password-but-same-cost")


class UserError(ValueError):
    pass


def create_user(session: Session, username: str, password: str, role: str = "broker") -> BrokerUser:
    username = username.strip().lower()
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
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


def authenticate(session: Session, username: str, password: str) -> tuple[BrokerUser | None, str]:
    """(user, "ok") or (None, "invalid" | "locked"). Locks the account after MAX_FAILURES failures."""
    user = session.scalars(select(BrokerUser).where(BrokerUser.username == username.strip().lower())
                           .with_for_update()).first()
    if user is None or not user.active:
        try:  # same work as a real check, so timing does not reveal which usernames exist
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None, "invalid"
    now = utcnow()
    locked = as_utc(user.locked_until) if user.locked_until is not None else None
    if locked is not None and locked > now:
        return None, "locked"
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            return None, "locked"
        return None, "invalid"
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user, "ok"
