"""My tasks: the personal inbox, a task's page and form, claim, release and complete."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.formfields import check_submission, form_fields, raw_values
from app.routing import query_id
from app.security import requires, signed_in_user
from services import clock, task_context
from services import tasks as task_service
from services.errors import ValidationFailed

bp = Blueprint("inbox", __name__, template_folder="templates")


def _filters() -> task_service.InboxFilter:
    return task_service.InboxFilter(
        case_id=query_id("case"),
        step=request.args.get("step") or None,
        due=request.args.get("due") if request.args.get("due") in ("overdue", "soon", "later", "none") else None,
        sort="-due" if request.args.get("sort") == "-due" else "due",
    )


@bp.get("/tasks")
@requires("tasks:work")
def my_tasks() -> ResponseReturnValue:
    user = signed_in_user()
    filters = _filters()
    tasks = task_service.inbox(user, filters)
    today = clock.today()
    return render_template("inbox/my_tasks.html", page_title="My tasks", active_nav="tasks", tasks=tasks,
                           filters=filters, steps=task_service.step_names(user), user=user,
                           due_status=lambda t: task_service.due_status(t, today))


@bp.get("/tasks/<int:task_id>")
@requires("tasks:work")
def task_page(task_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    task = task_service.load_task(user, task_id)
    schema = task_service.form_schema(task)
    return _render_task(task, schema, {}, [])


def _render_task(task, schema, values, errors, status=200) -> ResponseReturnValue:
    user = signed_in_user()
    about = task_context.about(user, task)
    return render_template(
        "inbox/task.html", page_title=task.name, active_nav="tasks", task=task, schema=schema,
        fields=form_fields(schema, values, errors), errors=errors, user=user, about=about,
        about_links=[(link.text, url_for(link.endpoint, **link.args)) for link in about.links] if about else [],
        can_work=task.state == "ready" and (task.assignee_id in (None, user.id)) and (
            task.role in user.roles or task.assignee_id == user.id),
        due_status=task_service.due_status(task),
        can_hand_on=task_service.may_hand_on(user, task),
        assignees=task_service.eligible_assignees(task),
    ), status


@bp.post("/tasks/<int:task_id>")
@requires("tasks:work")
def complete_task(task_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    task = task_service.load_task(user, task_id)
    schema = task_service.form_schema(task)
    submitted = request.form.to_dict(flat=False)
    data, errors = check_submission(schema, submitted)
    if not errors:
        try:
            task_service.complete(user, task_id, data)
        except ValidationFailed as failed:
            errors = failed.errors
    if errors:
        return _render_task(task, schema, raw_values(schema, submitted), errors)
    flash(f"'{task.name}' completed for {task.case.reference}. {task_context.what_next(task.case_id)}", "success")
    return redirect(url_for("inbox.my_tasks"))


@bp.post("/tasks/<int:task_id>/claim")
@requires("tasks:work")
def claim(task_id: int) -> ResponseReturnValue:
    task = task_service.claim(signed_in_user(), task_id)
    flash(f"You have claimed '{task.name}'", "success")
    return redirect(url_for("inbox.task_page", task_id=task_id))


@bp.post("/tasks/<int:task_id>/reassign")
@requires("tasks:reassign")
def reassign(task_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    try:
        task = task_service.reassign(user, task_id, request.form.get("assignee", ""), request.form.get("reason", ""))
    except ValidationFailed as failed:
        task = task_service.load_task(user, task_id)
        return _render_task(task, task_service.form_schema(task), {}, failed.errors, status=422)
    flash(f"'{task.name}' is now with {task.assignee.display_name if task.assignee else 'nobody'}", "success")
    return redirect(url_for("inbox.my_tasks"))


@bp.post("/tasks/<int:task_id>/release")
@requires("tasks:work")
def release(task_id: int) -> ResponseReturnValue:
    task = task_service.release(signed_in_user(), task_id)
    flash(f"You have released '{task.name}'", "success")
    return redirect(url_for("inbox.my_tasks"))
