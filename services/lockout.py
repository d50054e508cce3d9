"""Brute-force protection, as the NCSC advises: an account locks after 10 consecutive failed sign-ins (it opens
again after the area's ``sign_in_lockout_minutes`` or when a MAPPA coordinator or manager unlocks it), and a client
address is throttled after many failures across accounts.

The counts live in the database (``sign_in_counter``), so every worker and host sees the same ones, and each is kept
with one conditional statement: an attempt is counted *before* its password is checked, and only while the count is
under the limit, so parallel attempts cannot slip past it. Unknown usernames are counted and locked exactly like
real ones, so neither the messages nor the lockout tell anyone whether an account exists.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Exists, case, exists, literal, or_, select, update

from services import clock
from services.access import log_access
from services.db import UtcDateTime, db, dialect_insert
from services.errors import Forbidden, NotFound
from services.models import SignInCounter, User
from services.permissions import has_permission
from services.settings import ACCOUNT_LOCKOUT_FAILURES, DEFAULTS, SIGN_IN_ADDRESS_THROTTLE, Throttle, area_settings


class Refusal(enum.Enum):
    ACCOUNT_LOCKED = "account locked"
    ADDRESS_THROTTLED = "client address throttled"


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt, counted (reserved) before the password is checked."""

    username: str
    address: str
    account_count: int
    address_count: int


@dataclass(frozen=True)
class LockedAccount:
    user: User
    locked_at: datetime
    opens_at: datetime


def _account_key(username: str) -> str:
    return f"account:{username[:150]}"


def address_key(kind: str, address: str | None) -> str:
    return f"{kind}:{address or 'unknown'}"


def lockout_period(user: User | None) -> timedelta:
    minutes = area_settings(user.area_id)["sign_in_lockout_minutes"] if user else DEFAULTS["sign_in_lockout_minutes"]
    return timedelta(minutes=minutes)


def _upsert(now: datetime, set_: dict[str, Any], where: ColumnElement[bool], key: str) -> int | None:
    """Insert the first failure for ``key``, or apply ``set_`` where ``where`` holds; the new count, or None."""
    statement = dialect_insert(SignInCounter).values(key=key, failures=1, since=now, locked_at=None)
    statement = statement.on_conflict_do_update(index_elements=[SignInCounter.key], set_=set_, where=where)
    count: int | None = db.session.execute(statement.returning(SignInCounter.failures)).scalar()
    return count


def _count_account(key: str, now: datetime) -> int | None:
    """One more attempt on an account unless it is at the limit; the attempt that reaches the limit locks it."""
    at = literal(now, UtcDateTime())
    reaches = SignInCounter.failures + 1 >= ACCOUNT_LOCKOUT_FAILURES
    return _upsert(now, {"failures": SignInCounter.failures + 1, "locked_at": case((reaches, at), else_=None)},
                   SignInCounter.failures < ACCOUNT_LOCKOUT_FAILURES, key)


def count_address(key: str, throttle: Throttle) -> int | None:
    """One more failure from a client address within its window (a new window once the last has passed), unless
    it is at the limit (then None)."""
    now = clock.now()
    ended = SignInCounter.since <= now - throttle.window
    set_ = {"failures": case((ended, 1), else_=SignInCounter.failures + 1),
            "since": case((ended, literal(now, UtcDateTime())), else_=SignInCounter.since)}
    return _upsert(now, set_, or_(ended, SignInCounter.failures < throttle.failures), key)


def address_throttled(key: str, throttle: Throttle) -> bool:
    return bool(db.session.scalar(select(throttled(key, throttle.failures, clock.now() - throttle.window))))


def throttled(key: Any, failures: Any, window_start: Any) -> Exists:
    """Whether a client address (``key``) has reached ``failures`` since ``window_start``, as a column: asked in
    the same query as something else (the API token lookup, services.auth.check_token, which passes bound
    parameters) it costs no round trip of its own."""
    return exists().where(SignInCounter.key == key, SignInCounter.failures >= failures,
                          SignInCounter.since > window_start)


def _reopen_if_due(key: str, period: timedelta, now: datetime) -> bool:
    """A lock whose period has passed is lifted (once, whoever gets there first); False while it still holds."""
    row = db.session.scalars(select(SignInCounter).where(SignInCounter.key == key)
                             .execution_options(populate_existing=True)).first()
    if row is None or row.locked_at is None or now < row.locked_at + period:
        return False
    db.session.execute(update(SignInCounter).where(SignInCounter.key == key, SignInCounter.locked_at == row.locked_at)
                       .values(failures=0, locked_at=None, since=now).execution_options(synchronize_session=False))
    return True


def reserve(username: str, address: str | None, user: User | None) -> Attempt | Refusal:
    """Count this attempt against the client address and the account before the password is checked, and commit
    the counts at once (they must stand whatever happens next, and no row stays locked while argon2 runs)."""
    now = clock.now()
    address_count = count_address(address_key("address", address), SIGN_IN_ADDRESS_THROTTLE)
    if address_count is None:
        return _refuse(Refusal.ADDRESS_THROTTLED, user, address)
    if address_count == SIGN_IN_ADDRESS_THROTTLE.failures:
        log_access(None, "client_address_throttled", None,
                   f"{address} after {SIGN_IN_ADDRESS_THROTTLE.failures} failed sign-ins")
    account = _account_key(username)
    account_count = _count_account(account, now)
    if account_count is None and _reopen_if_due(account, lockout_period(user), now):
        account_count = _count_account(account, now)
    if account_count is None:
        return _refuse(Refusal.ACCOUNT_LOCKED, user, address)
    db.session.commit()
    return Attempt(username, address or "unknown", account_count, address_count)


def _refuse(refusal: Refusal, user: User | None, address: str | None) -> Refusal:
    log_access(user, "sign_in_refused", None, f"{refusal.value}, from {address}")
    db.session.commit()
    return refusal


def failed(attempt: Attempt, user: User | None) -> None:
    """The password was wrong: the reserved counts stand; say so in the log (and when this one locked)."""
    who = "" if user else "unknown username, "
    log_access(user, "sign_in_failed", None, f"{who}from {attempt.address}")
    if attempt.account_count >= ACCOUNT_LOCKOUT_FAILURES:
        log_access(user, "account_locked", None,
                   f"{who}after {ACCOUNT_LOCKOUT_FAILURES} failed sign-ins, from {attempt.address}")


def succeeded(attempt: Attempt) -> None:
    """The right password: the address gets this attempt back and the account's run of failures ends (rows in the
    order ``reserve`` takes them, so two sign-ins never wait on each other's rows)."""
    db.session.execute(update(SignInCounter)
                       .where(SignInCounter.key == address_key("address", attempt.address), SignInCounter.failures > 0)
                       .values(failures=SignInCounter.failures - 1).execution_options(synchronize_session=False))
    db.session.execute(update(SignInCounter).where(SignInCounter.key == _account_key(attempt.username))
                       .values(failures=0, locked_at=None).execution_options(synchronize_session=False))


# --- coordinators and managers: locked accounts of their area ----------------------------------------------------

def _may_manage(actor: User) -> None:
    if not has_permission(actor, "accounts:manage"):
        raise Forbidden("Only a MAPPA coordinator or manager can unlock accounts")


def locked_accounts(actor: User) -> list[LockedAccount]:
    """Accounts of the actor's area that are locked now."""
    _may_manage(actor)
    period, now = lockout_period(actor), clock.now()
    rows = db.session.execute(
        select(User, SignInCounter.locked_at)
        .join(SignInCounter, SignInCounter.key == literal("account:").concat(User.username))
        .where(User.area_id == actor.area_id, SignInCounter.locked_at.is_not(None)).order_by(User.display_name))
    return [LockedAccount(user, locked_at, locked_at + period) for user, locked_at in rows
            if locked_at is not None and now < locked_at + period]


def unlock(actor: User, user_id: int) -> User:
    _may_manage(actor)
    user = db.session.get(User, user_id)
    if user is None or user.area_id != actor.area_id:
        raise NotFound("user not found")
    unlocked = cast(CursorResult[Any], db.session.execute(
        update(SignInCounter).where(SignInCounter.key == _account_key(user.username),
                                    SignInCounter.locked_at.is_not(None))
        .values(failures=0, locked_at=None).execution_options(synchronize_session=False))).rowcount
    if unlocked:
        log_access(actor, "account_unlocked", None, user.username)
    return user
