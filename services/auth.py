"""Users, argon2id passwords, server-side sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, or_, select, update

from services import clock, lockout
from services.access import log_access
from services.db import UtcDateTime, db
from services.errors import Forbidden, NotFound
from services.lockout import Refusal
from services.models import ApiToken, User, UserSession
from services.permissions import has_permission
from services.settings import Throttle, area_settings

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=10)
TOKEN_PREFIX = "mf_"  # noqa: S105 - a public prefix, not a secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(username: str, password: str, address: str | None) -> User | Refusal | None:
    """The user if the password is right; a Refusal while the account is locked or the client address throttled
    (the password is then not checked); None for a wrong password or an unknown username, which look the same."""
    user = user_by_username(username)
    user = user if user is not None and user.active else None
    attempt = lockout.reserve(username, address, user)
    if isinstance(attempt, Refusal):
        return attempt
    matches = _password_matches(user, password)
    if user is None or not matches:
        lockout.failed(attempt, user)
        return None
    lockout.succeeded(attempt)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _password_matches(user: User | None, password: str) -> bool:
    if user is None:
        _hasher.hash(password)  # same cost either way: no user enumeration by timing
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
    """Returns the row and the token text, which is shown once and never stored. It expires after the area's
    ``api_token_days``."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    lifetime = timedelta(days=area_settings(user.area_id)["api_token_days"])
    row = ApiToken(user_id=user.id, name=name.strip() or "API token", token_hash=_digest(token), prefix=token[:10],
                   created_at=now, expires_at=now + lifetime)
    db.session.add(row)
    db.session.flush()
    log_access(user, "api_token_created", None, f"token {row.id} {row.name}, expires {row.expires_at:%Y-%m-%d}")
    return row, token


TOKEN_STATUSES = ("active", "expired", "revoked")  # what token_status answers


def token_status(row: ApiToken) -> str:
    """revoked, expired or active (TOKEN_STATUSES)"""
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if clock.now() >= row.expires_at else "active"


@dataclass(frozen=True)
class TokenCheck:
    user: User | None  # None: no such token, or it expired, was revoked or its user is no longer active
    throttled: bool  # the client address has sent too many wrong tokens lately (lockout.count_address)


def check_token(token: str, address: str, throttle: Throttle) -> TokenCheck:
    """The token's user and whether the client address is throttled: one query (the token, its user and the
    address's counter) when the token exists; a second, for the counter alone, when it does not."""
    row = db.session.execute(_TOKEN_WITH_THROTTLE, {
        "digest": _digest(token), "address": address, "failures": throttle.failures,
        "since": clock.now() - throttle.window}).first()
    if row is None:
        return TokenCheck(None, lockout.address_throttled(address, throttle))
    token_row, user, throttled = row
    return TokenCheck(_using(token_row, user), bool(throttled))


# Built once (a statement keeps its cache key; SQLAlchemy would otherwise work it out for every request). The
# address, the throttle's limit and its window's start are bound per request.
_TOKEN_WITH_THROTTLE = (
    select(ApiToken, User, lockout.throttled(bindparam("address"), bindparam("failures"),
                                             bindparam("since", type_=UtcDateTime())))
    .join(User, ApiToken.user_id == User.id).where(ApiToken.token_hash == bindparam("digest")))


def _using(row: ApiToken, user: User) -> User | None:
    """The token's user if the token is active and the user too; its use is noted (to the minute)."""
    if token_status(row) != "active" or not user.active:
        return None
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at > TOKEN_USE_RESOLUTION:
        _note_use(row, now)
    return user


TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def _note_use(row: ApiToken, now: datetime) -> None:
    """Record when a token was last used, to the minute, without serialising the requests that use it.

    On PostgreSQL the update is its own statement on its own connection, committed at once: the token's row lock
    lasts that statement, not the request (a busy integration's requests would otherwise queue behind whichever
    one took it). On SQLite every request already holds the database's one write lock, so it joins the request.
    """
    if db.engine.dialect.name != "postgresql":
        row.last_used_at = now
        return
    stale = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOKEN_USE_RESOLUTION)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(update(ApiToken).where(ApiToken.id == row.id, stale).values(last_used_at=now))
    db.session.expire(row, ["last_used_at"])


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def area_tokens(actor: User) -> list[ApiToken]:
    """Tokens still in use by the people of a coordinator's or manager's area (to revoke any of them)."""
    if not has_permission(actor, "accounts:manage"):
        raise Forbidden("Only a MAPPA coordinator or manager can see the area's API tokens")
    rows = db.session.scalars(select(ApiToken).join(User, ApiToken.user_id == User.id)
                              .where(User.area_id == actor.area_id, ApiToken.revoked_at.is_(None),
                                     ApiToken.expires_at > clock.now())
                              .order_by(User.display_name, ApiToken.id))
    return list(rows)


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """The token's holder revokes their own; a coordinator or manager any of their area's (others: not found)."""
    row = db.session.get(ApiToken, token_id)
    own = row is not None and row.user_id == actor.id
    in_area = row is not None and row.user.area_id == actor.area_id and has_permission(actor, "accounts:manage")
    if row is None or not (own or in_area):
        raise NotFound("token not found")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        holder = "" if own else f" of {row.user.username}"
        log_access(actor, "api_token_revoked", None, f"token {row.id} {row.name}{holder}")
    return row


def user_by_username(username: str) -> User | None:
    return db.session.scalars(select(User).where(User.username == username)).first()
