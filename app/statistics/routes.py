"""Caseload by category and level, where work is waiting, and timeliness of reviews and minutes."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from app.security import requires, signed_in_user
from services.cases import CATEGORY_CODES
from services.overdue import dashboard
from services.permissions import has_permission
from services.statistics import snapshot

bp = Blueprint("statistics", __name__, template_folder="templates")


@bp.get("/statistics")
@requires("statistics:view")
def overview() -> ResponseReturnValue:
    user = signed_in_user()
    return render_template("statistics/overview.html", page_title="Statistics", active_nav="statistics",
                           s=snapshot(user), area=user.area_name, codes=CATEGORY_CODES, d=dashboard(user),
                           links=has_permission(user, "area_tasks:view"))
