"""Idempotency keys for changes made through the API (referral creation, task completion).

A client sends ``Idempotency-Key: <its own unique text>``. The first request with a key does the change and stores
its answer in the same transaction; a repeat with the same key and the same request gets that answer again
(``Idempotent-Replayed: true``) and changes nothing; the same key with a different request is refused. Two
requests with one key at the same moment: the database's unique index lets one commit; the other is rolled back
and answers with the first one's outcome. Keys are the user's own and kept for ``KEPT``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, select

from services import clock
from services.db import db, insert_or_replace_where
from services.errors import Conflict, FieldError, ValidationFailed
from services.models import IdempotentRequest, User

HEADER = "Idempotency-Key"
KEPT = timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # visible ASCII, as the IETF draft's examples (UUIDs, ULIDs, hashes)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    location: str | None


def check_key(key: str) -> str:
    if not _KEY.match(key):
        raise ValidationFailed([FieldError(f"headers.{HEADER}",
                                           f"{HEADER} must be 1 to 200 visible ASCII characters, such as a UUID")])
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join((method.encode(), path.encode(), body))).hexdigest()


# Built once: a statement keeps its cache key, which SQLAlchemy otherwise works out anew for every request.
_EARLIER = select(IdempotentRequest).where(IdempotentRequest.user_id == bindparam("user_id"),
                                           IdempotentRequest.key == bindparam("key"))


def earlier_answer(user: User, key: str, print_: str) -> Answer | None:
    """The stored answer for this user's key, or None; refuses a key reused for a different request."""
    row = db.session.scalars(_EARLIER, {"user_id": user.id, "key": key}).first()
    if row is None or row.created_at < clock.now() - KEPT:
        return None
    if row.fingerprint != print_:
        raise ValidationFailed([FieldError(
            f"headers.{HEADER}", f"This {HEADER} was already used for a different request; send a new key")])
    return Answer(row.status, row.body, row.location)


def remember(user: User, key: str, print_: str, answer: Answer) -> None:
    """Stored with the change, by one statement: the key's row is added, or replaces one whose use expired. A live
    row means a twin with this key committed while this request ran (PostgreSQL makes this statement wait for it):
    Conflict, and the caller answers with the twin's outcome after rolling this request back."""
    now = clock.now()
    values = {"user_id": user.id, "key": key, "fingerprint": print_, "status": answer.status, "body": answer.body,
              "location": answer.location, "created_at": now}
    stored = db.session.scalar(_remembering(), values | {"expired_before": now - KEPT})
    if stored is None:
        raise Conflict(f"Another request with this {HEADER} was answered at the same moment")


_COLUMNS = ("user_id", "key", "fingerprint", "status", "body", "location", "created_at")
_REMEMBER: dict[str, Any] = {}  # the statement of remember, built once per dialect (a statement keeps its cache key)


def _remembering() -> Any:
    dialect = db.session.get_bind().dialect.name
    if dialect not in _REMEMBER:
        table = IdempotentRequest.__table__.c
        _REMEMBER[dialect] = insert_or_replace_where(
            IdempotentRequest, {name: bindparam(name, type_=table[name].type) for name in _COLUMNS}, ["user_id", "key"],
            IdempotentRequest.created_at < bindparam("expired_before", type_=table["created_at"].type),
        ).returning(IdempotentRequest.id)
    return _REMEMBER[dialect]


def purge(now: datetime) -> int:
    """Forget keys older than KEPT (the scheduler's sweep)."""
    done = db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < now - KEPT))
    return cast(CursorResult[Any], done).rowcount
