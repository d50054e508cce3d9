"""/area-tasks: the area's open tasks, filtered, sorted and paged, each with who holds it and a reassign form."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.area_tasks.filters import parse
from app.security import requires, signed_in_user
from services import clock
from services import tasks as task_service
from services.area_tasks import BANDS, UNCLAIMED, AreaTaskFilter, area_tasks, assignable, holders, step_names
from services.errors import FieldError, ValidationFailed
from services.models import User
from workflows.lanes import ROLES

bp = Blueprint("area_tasks", __name__, template_folder="templates")


@bp.get("/area-tasks")
@requires("area_tasks:view")
def work_list() -> ResponseReturnValue:
    filters, errors = parse(request.args)
    return _render(filters, errors, 422 if errors else 200)


def _render(filters: AreaTaskFilter, errors: list[FieldError], status: int = 200) -> ResponseReturnValue:
    user = signed_in_user()
    page = area_tasks(user, filters)
    return render_template(
        "area_tasks/work_list.html", page_title="Area work list", active_nav="area_tasks", user=user,
        filters=filters, errors=errors, result=page, today=clock.today(), options=_options(user),
        assignees=assignable(user, {t.role for t in page.rows}),
        back=url_for("area_tasks.work_list") + ("?" + urlencode(filters.args()) if filters.args() else "")), status


def _options(user: User) -> dict[str, list[tuple[str, str]]]:
    """The filter's choices: (value, text) per select."""
    return {"step": [(s, s) for s in step_names(user)], "role": [(r.key, r.name) for r in ROLES],
            "agency": [(a, a) for a in sorted({r.agency for r in ROLES})],
            "assignee": [(UNCLAIMED, "Nobody (unclaimed)"), *holders(user)], "band": [(b, b) for b in BANDS]}


@bp.post("/area-tasks/<int:task_id>/reassign")
@requires("tasks:reassign")
def reassign(task_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    filters, _ = parse(request.args)
    try:
        task = task_service.reassign(user, task_id, request.form.get("assignee", ""), request.form.get("reason", ""))
    except ValidationFailed as failed:
        errors = [FieldError(f"assignee-{task_id}", e.message) for e in failed.errors]
        return _render(filters, errors, 422)
    holder = task.assignee.display_name if task.assignee else "nobody"
    flash(f"'{task.name}' on {task.case.reference} is now with {holder}", "success")
    return redirect(url_for("area_tasks.work_list", **filters.args()))
