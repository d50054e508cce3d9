"""The reminders outbox: each reminder is recorded (with its in-app notification) before any email is sent.

- **record**: one row per (rule, key, recipient), by ``INSERT ... ON CONFLICT DO NOTHING`` on a unique key, so a
  second sweep, a second scheduler or a retried sweep records nothing twice; the in-app notification is made in
  the same transaction, only by the insert that won.
- **deliver**: a pending row is claimed for sending by one conditional statement (``UPDATE ... WHERE status =
  'pending'``) committed before the message goes, so of two sweeps only one sends it; sent, it is marked sent. If
  the SMTP server does not take it, the row goes back to pending and the next sweep tries again. A sweep that dies
  between claiming and marking leaves the row ``sending``: after ``CLAIM_TIMEOUT`` another sweep takes it over
  (that one case may send twice, if the server had taken the message; never none).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update

from services import mail
from services.db import db, insert_unless_present
from services.models import Notification, ReminderOutbox, User

log = logging.getLogger(__name__)

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
CLAIM_TIMEOUT = timedelta(minutes=15)
BATCH = 200


@dataclass(frozen=True)
class Reminder:
    """What one person is told (the same words by email and in the app): no offender details."""

    rule: str  # overdue, escalation, digest
    key: str  # task:<id> or day:<date>
    subject: str
    body: str
    task_id: int | None = None
    case_id: int | None = None


@dataclass
class Delivery:
    sent: int = 0
    errors: list[str] = field(default_factory=list)


def record(reminder: Reminder, recipient: User, now: datetime) -> bool:
    """Record ``reminder`` for ``recipient`` unless it is recorded already: True if this call recorded it."""
    values = {"rule": reminder.rule, "key": reminder.key, "recipient_id": recipient.id, "task_id": reminder.task_id,
              "email": recipient.email or None, "subject": mail.marked(reminder.subject), "body": reminder.body,
              "status": "pending" if recipient.email else "no_address", "attempts": 0, "created_at": now}
    statement = insert_unless_present(ReminderOutbox, values).returning(ReminderOutbox.id)
    outbox_id = db.session.execute(statement).scalar()
    if outbox_id is None:
        return False
    db.session.add(Notification(user_id=recipient.id, outbox_id=outbox_id, rule=reminder.rule,
                                task_id=reminder.task_id, case_id=reminder.case_id, title=reminder.subject,
                                body=reminder.body, created_at=now))
    return True


def deliver(now: datetime, holder: str = HOLDER) -> Delivery:
    """Send what is waiting, each message by one sweep only; the least tried first. A message the server refuses
    waits for the next sweep; when the server cannot be reached, the sweep stops sending."""
    delivery = Delivery()
    if not mail.configured():
        return delivery
    waiting = list(db.session.scalars(select(ReminderOutbox.id).where(_sendable(now))
                                      .order_by(ReminderOutbox.attempts, ReminderOutbox.id).limit(BATCH)))
    db.session.commit()
    for outbox_id in waiting:
        if not _claim(outbox_id, now, holder):
            continue  # another sweep has it
        row = db.session.get(ReminderOutbox, outbox_id)
        assert row is not None and row.email is not None
        try:
            mail.send(mail.Email(row.email, row.subject, row.body))
        except mail.MailError as err:
            _settle(outbox_id, holder, status="pending", claimed_by=None, claimed_at=None, last_error=str(err)[:400])
            log.warning("reminder %s not sent, kept to try again: %s", outbox_id, err)
            delivery.errors.append(f"reminder {outbox_id} not sent: {err}")
            if isinstance(err, mail.MailUnavailable):
                break
            continue
        _settle(outbox_id, holder, status="sent", sent_at=now, last_error=None)
        delivery.sent += 1
    return delivery


def _sendable(now: datetime) -> Any:
    abandoned = and_(ReminderOutbox.status == "sending", ReminderOutbox.claimed_at < now - CLAIM_TIMEOUT)
    return or_(ReminderOutbox.status == "pending", abandoned)


def _claim(outbox_id: int, now: datetime, holder: str) -> bool:
    claimed = cast(CursorResult[Any], db.session.execute(
        update(ReminderOutbox).where(ReminderOutbox.id == outbox_id, _sendable(now))
        .values(status="sending", claimed_by=holder, claimed_at=now, attempts=ReminderOutbox.attempts + 1)
    )).rowcount
    db.session.commit()
    return claimed == 1


def _settle(outbox_id: int, holder: str, **values: Any) -> None:
    db.session.execute(update(ReminderOutbox)
                       .where(ReminderOutbox.id == outbox_id, ReminderOutbox.claimed_by == holder,
                              ReminderOutbox.status == "sending")
                       .values(**values))
    db.session.commit()
