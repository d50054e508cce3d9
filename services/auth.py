"""Users, argon2id passwords, server-side sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from services import clock
from services.access import log_access
from services.db import db
from services.errors import NotFound
from services.models import ApiToken, User, UserSession

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=10)
TOKEN_PREFIX = "mf_"  # noqa: S105 - a public prefix, not a secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        _hasher.hash(password)  # same cost either way: no user enumeration by timing
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        log_access(user, "sign_in_failed", None)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(user: User) -> str:
    now = clock.now()
    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=sid, user_id=user.id, created_at=now, last_seen_at=now))
    log_access(user, "user_signed_in", None)
    return sid


def resolve_session(sid: str) -> User | None:
    row = db.session.get(UserSession, sid)
    if row is None or row.ended_at is not None:
        return None
    now = clock.now()
    if now - row.last_seen_at > IDLE_TIMEOUT or now - row.created_at > ABSOLUTE_TIMEOUT:
        row.ended_at = now
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.active else None


def end_session(sid: str) -> None:
    row = db.session.get(UserSession, sid)
    if row is not None and row.ended_at is None:
        row.ended_at = clock.now()
        log_access(db.session.get(User, row.user_id), "user_signed_out", None)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the row and the token text, which is shown once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip() or "API token", token_hash=_digest(token), prefix=token[:10],
                   created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    log_access(user, "api_token_created", None, f"token {row.id} {row.name}")
    return row, token


def resolve_token(token: str) -> User | None:
    row = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return row.user


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_token(user: User, token_id: int) -> ApiToken:
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("token not found")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        log_access(user, "api_token_revoked", None, f"token {row.id}")
    return row


def user_by_username(username: str) -> User | None:
    return db.session.scalars(select(User).where(User.username == username)).first()
