"""A person's notifications: reminders, escalations and daily digests, newest first, unread ones marked."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from app.security import requires, signed_in_user
from services import notifications

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.get("/notifications")
@requires("notifications:view")
def page() -> ResponseReturnValue:
    return render_template("notifications/list.html", page_title="Notifications", active_nav="notifications",
                           inbox=notifications.notifications_of(signed_in_user()))


@bp.post("/notifications/read")
@requires("notifications:view")
def mark_read() -> ResponseReturnValue:
    count = notifications.mark_all_read(signed_in_user())
    flash(f"{count} notification{'' if count == 1 else 's'} marked as read", "success")
    return redirect(url_for("notifications.page"))
