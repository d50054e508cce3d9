"""A person's in-app notifications (reminders, escalations, digests) and how many they have not read."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update

from services import clock
from services.access import log_case_list
from services.db import db
from services.models import Notification, User

SHOWN = 100


@dataclass(frozen=True)
class Inbox:
    notifications: list[Notification]
    unread: int


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def notifications_of(user: User) -> Inbox:
    """The newest notifications of the user (their own only), logged as a read of the cases they name."""
    rows = list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(SHOWN)))
    log_case_list(user, "notifications_viewed", [n.case_id for n in rows if n.case_id is not None],
                  f"{len(rows)} notifications")
    return Inbox(rows, unread_count(user))


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; how many were."""
    done = db.session.execute(update(Notification)
                              .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                              .values(read_at=clock.now()))
    return int(getattr(done, "rowcount", 0) or 0)
