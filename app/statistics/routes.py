"""Caseload by category and level, where work is waiting, timeliness of reviews and minutes, and each model's
bottlenecks on its diagram."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from app.formfields import date_from_parts
from app.security import requires, signed_in_user
from services import bottlenecks as bottleneck_service
from services import dates
from services.cases import CATEGORY_CODES
from services.errors import FieldError, ValidationFailed
from services.overdue import dashboard
from services.permissions import has_permission
from services.statistics import snapshot

bp = Blueprint("statistics", __name__, template_folder="templates")
PERIOD_ENDS = {"from": "start", "to": "end"}


@bp.get("/statistics")
@requires("statistics:view")
def overview() -> ResponseReturnValue:
    user = signed_in_user()
    return render_template("statistics/overview.html", page_title="Statistics", active_nav="statistics",
                           s=snapshot(user), area=user.area_name, codes=CATEGORY_CODES,
                           models=bottleneck_service.published_models(), d=dashboard(user),
                           links=has_permission(user, "area_tasks:view"))


@bp.get("/statistics/bottlenecks/<key>")
@requires("statistics:view")
def bottlenecks(key: str) -> ResponseReturnValue:
    """Waiting and overdue steps now, and time spent over the chosen period, on the model's diagram and in a table."""
    user = signed_in_user()
    errors: list[FieldError] = []
    chosen = {}
    for prefix, end in PERIOD_ENDS.items():
        blank = not any(request.args.get(f"{prefix}-{part}", "").strip() for part in ("day", "month", "year"))
        chosen[end] = None if blank else date_from_parts(request.args, prefix)
        if not blank and chosen[end] is None:
            errors.append(FieldError(prefix, f"Enter the {end} of the period as a real date {dates.RANGE_TEXT}"))
    try:
        period = bottleneck_service.choose_period(chosen["start"], chosen["end"]) if not errors else None
    except ValidationFailed as failed:
        errors, period = failed.errors, None
    figures = bottleneck_service.bottlenecks(user, key, period or bottleneck_service.default_period())
    shown = period or figures.period
    values = {f"{prefix}-{part}": request.args.get(f"{prefix}-{part}", str(getattr(getattr(shown, end), part)))
              for prefix, end in PERIOD_ENDS.items() for part in ("day", "month", "year")}
    return render_template("statistics/bottlenecks.html", page_title=f"Bottlenecks: {figures.name}",
                           active_nav="statistics", b=figures, area=user.area_name, errors=errors,
                           error_for={e.field: e.message for e in errors}, values=values, period=period,
                           overlays=[_overlay(a) for a in figures.activities if a.on_diagram]), 400 if errors else 200


def _overlay(activity: bottleneck_service.Activity) -> dict[str, Any]:
    return {"id": activity.bpmn_id, "waiting": activity.waiting, "overdue": activity.overdue,
            "median": duration(activity.median), "p90": duration(activity.p90)}


@bp.app_template_filter("duration")
def duration(value: timedelta | None) -> str:
    """Time spent, to a tenth of a day (a tenth of an hour under a day); empty when nothing was completed."""
    if value is None:
        return ""
    hours = value.total_seconds() / 3600
    if hours < 24:
        return f"{hours:.1f} hours" if round(hours, 1) != 1 else "1 hour"
    days = hours / 24
    return f"{days:.1f} days" if round(days, 1) != 1 else "1 day"
