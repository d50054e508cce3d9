"""My tasks: the personal inbox, a task's page and form, claim, release and complete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.formfields import check_submission, form_fields, raw_values
from app.routing import query_id
from app.security import can_open, requires, signed_in_user
from services import clock, csods, task_context
from services import tasks as task_service
from services.errors import Conflict, ValidationFailed
from services.models import User

bp = Blueprint("inbox", __name__, template_folder="templates")


def _filters() -> task_service.InboxFilter:
    """The list's query string; a value not offered (edited by hand) means no filter, ``case`` must be an id."""
    args = request.args

    def choice(key: str, allowed: Mapping[str, str], default: str | None) -> str | None:
        value = args.get(key, "")
        return value if value in allowed else default

    page = args.get("page", "")
    return task_service.InboxFilter(
        case_id=query_id("case"), step=args.get("step") or None, due=choice("due", task_service.DUES, None),
        sort=choice("sort", task_service.SORT_NAMES, "due") or "due",
        show=choice("show", task_service.SHOWS, "all") or "all",
        page=int(page) if page.isdigit() and len(page) < 7 else 1, limit=task_service.PAGE_SIZE)


@bp.get("/tasks")
@requires("tasks:work")
def my_tasks() -> ResponseReturnValue:
    user = signed_in_user()
    filters = _filters()
    result = task_service.inbox_page(user, filters)
    today = clock.today()
    return render_template("inbox/my_tasks.html", page_title="My tasks", active_nav="tasks", result=result,
                           filters=filters, options=_options(user), user=user,
                           chosen_case=_chosen_case(filters, result), pagination=_pagination(filters, result),
                           due_status=lambda t: task_service.due_status(t, today), meeting_of=task_service.meeting_of,
                           may_claim=lambda t: t.assignee_id is None and task_service.may_work(user, t),
                           csods_stages=csods.stages_to_work(user), today=today)


def _options(user: User) -> dict[str, list[tuple[str, str]]]:
    """The filter's choices: (value, text) per field."""
    return {"show": list(task_service.SHOWS.items()),
            "step": [("", "Any step"), *((s, s) for s in task_service.step_names(user))],
            "due": [("", "Any time"), *task_service.DUES.items()], "sort": list(task_service.SORT_NAMES.items())}


def _chosen_case(filters: task_service.InboxFilter, result: task_service.InboxPage) -> str | None:
    """The case the list is narrowed to (``?case=`` from a case page), in words: its reference and name."""
    if filters.case_id is None:
        return None
    shown = next((t.case for t in result.tasks), None)
    return f"{shown.reference} ({shown.offender_name})" if shown else "the chosen case"


def _pagination(filters: task_service.InboxFilter, result: task_service.InboxPage) -> dict[str, Any] | None:
    """govukPagination's parameters: previous, next, and the pages near this one, the first and the last."""
    if result.pages == 1:
        return None

    def href(page: int) -> str:
        return url_for("inbox.my_tasks", **filters.args(page=page))

    near = sorted({1, result.pages, *range(max(1, result.page - 1), min(result.pages, result.page + 1) + 1)})
    items: list[dict[str, Any]] = []
    for before, number in zip([0, *near], near, strict=False):
        if number - before > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == result.page})
    return {"items": items,
            "previous": {"href": href(result.page - 1)} if result.page > 1 else None,
            "next": {"href": href(result.page + 1)} if result.page < result.pages else None,
            "landmarkLabel": "Pages of my tasks"}


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
        about_links=[(link.text, url_for(link.endpoint, **link.args)) for link in about.links
                     if can_open(link.endpoint)] if about else [],  # no link to a page that refuses them
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
    """Claim from the task page (back to it) or from the list (``from=list``: back to the list, its filters kept;
    there a task someone else claimed first is a message on the list, not an error page)."""
    user = signed_in_user()
    from_list = request.form.get("from") == "list"
    try:
        task = task_service.claim(user, task_id)
    except Conflict as taken:
        if not from_list:
            raise
        task = task_service.load_task(user, task_id, event="task_claim_refused")
        flash(f"You could not claim \u2018{task.name}\u2019 for {task.case.reference}: {taken.message}", "error")
        return redirect(_back_to_list())
    flash(f"You have claimed \u2018{task.name}\u2019 for {task.case.reference}", "success")
    return redirect(_back_to_list() if from_list else url_for("inbox.task_page", task_id=task_id))


def _back_to_list() -> str:
    """The list as it was (the claim form's URL carries its query string): always our own URL, rebuilt from the
    parsed filters, never an address taken from the request."""
    return url_for("inbox.my_tasks", **_filters().args())


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
