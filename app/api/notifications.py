"""The caller's notifications (reminders, escalations, digests) and how many are unread."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.schemas import MODELS
from app.security import api_user
from services import notifications
from services.models import Notification


def notification_json(row: Notification) -> dict[str, Any]:
    return {"id": row.id, "rule": row.rule, "title": row.title, "body": row.body, "task_id": row.task_id,
            "case_id": row.case_id, "created_at": row.created_at.isoformat(),
            "read_at": row.read_at.isoformat() if row.read_at else None}


@operation(bp, "GET", "/notifications", summary="The caller's notifications, with the unread count",
           tag="notifications", permission="notifications:view",
           description="Reminders, escalations and daily digests sent to the caller (each also by email when they have "
                       "an address). Reading them here does not mark them read; the Notifications page does.",
           responses={200: (MODELS["NotificationList"], "Notifications")})
def list_notifications() -> ResponseReturnValue:
    inbox = notifications.notifications_of(api_user())
    return {"unread": inbox.unread, "notifications": [notification_json(n) for n in inbox.notifications]}
