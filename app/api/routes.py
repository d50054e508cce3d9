"""JSON API views: parse the request, call a service (which scopes and logs), serialise the result."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from app.api import bp
from app.api.errors import invalid
from app.api.openapi import OPENAPI
from app.security import api_requires, api_user, public
from services import cases, clock
from services import tasks as task_service
from services.errors import FieldError, ValidationFailed
from services.models import CaseEvent, HumanTask, User

# API body names -> referral form fields (forms/referral.json); 422 field paths are translated back.
OFFENDER_FIELDS = {"name": "offender_name", "date_of_birth": "date_of_birth", "pnc_id": "pnc_id", "crn": "crn"}
REFERRAL_FIELDS = {name: name for name in
                   ("category", "lead_agency", "level_requested", "custody", "release_date", "referral_reason")}
API_PATHS = {form: f"offender.{api}" for api, form in OFFENDER_FIELDS.items()} | {"data": "body"}
DUE_FILTERS = ("overdue", "soon", "later", "none")
SORTS = ("due", "-due")
ID_PATTERN = re.compile(r"[0-9]{1,18}")


# --- serialisers -----------------------------------------------------------------------------------------------

def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _username(user: User | None) -> str | None:
    return user.username if user else None


def task_json(task: HumanTask, today: date) -> dict[str, Any]:
    due_status = task_service.due_status(task, today)
    return {
        "id": task.id, "case_id": task.case_id, "case_reference": task.case.reference, "name": task.name,
        "lane": task.lane, "role": task.role, "assignee": _username(task.assignee), "due": _iso(task.due_date),
        "overdue": due_status == "overdue", "due_status": due_status, "state": task.state,
        "created_at": task.created_at.isoformat(), "completed_at": _iso(task.completed_at),
        "completed_by": _username(task.completed_by),
        "links": {"self": url_for("api.get_task", task_id=task.id),
                  "case": url_for("api.get_case", case_id=task.case_id)},
    }


def case_json(view: cases.CaseView, today: date) -> dict[str, Any]:
    case = view.case
    return {
        "id": case.id, "reference": case.reference,
        "offender": {"name": case.offender_name, "date_of_birth": _iso(case.date_of_birth), "pnc_id": case.pnc_id,
                     "crn": case.crn},
        "category": case.category, "category_code": cases.CATEGORY_CODES[case.category], "level": case.level,
        "status": case.status, "lead_agency": case.lead_agency, "lead_officer": _username(case.lead_officer),
        "custody": case.custody, "release_date": _iso(case.release_date),
        "next_review_due": _iso(case.next_review_due), "exit_reason": case.exit_reason,
        "exit_date": _iso(case.exit_date), "area": case.area.code, "visor_reference": case.visor_reference,
        "open_tasks": [task_json(task, today) for task in view.open_tasks],
        "links": {"self": url_for("api.get_case", case_id=case.id),
                  "history": url_for("api.get_case_history", case_id=case.id),
                  "tasks": url_for("api.list_tasks", case=case.id)},
    }


def event_json(event: CaseEvent) -> dict[str, Any]:
    return {"at": event.at.isoformat(), "kind": event.kind, "summary": event.summary,
            "actor": _username(event.actor), "instance_id": event.instance_id, "detail": event.detail}


# --- request parsing -------------------------------------------------------------------------------------------

def _json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise invalid("body", "Send a JSON object with the header Content-Type: application/json")
    return body


def _unexpected(given: dict[str, Any], allowed: set[str], prefix: str = "") -> list[FieldError]:
    return [FieldError(f"{prefix}{key}", "Unexpected field") for key in given if key not in allowed]


def _present(source: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """API name -> form field for the values given; null counts as not given."""
    return {form: source[api] for api, form in names.items() if source.get(api) is not None}


def _referral(body: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    errors = _unexpected(body, {*REFERRAL_FIELDS, "offender", "area"})
    offender = body.get("offender") or {}
    if not isinstance(offender, dict):
        errors.append(FieldError("offender", "Give the offender as an object, for example {\"name\": \"...\"}"))
        offender = {}
    errors += _unexpected(offender, set(OFFENDER_FIELDS), prefix="offender.")
    data = _present(offender, OFFENDER_FIELDS) | _present(body, REFERRAL_FIELDS)
    data.setdefault("level_requested", 2)
    return data, errors


def _area_errors(user: User, body: dict[str, Any]) -> list[FieldError]:
    area = body.get("area")
    if area is None or area == user.area.code:
        return []
    return [FieldError("area", f"You can only refer into your own MAPPA area ({user.area.code})")]


def _api_path(field: str) -> str:
    head, dot, rest = field.partition(".")
    return API_PATHS.get(head, head) + dot + rest


def _referral_errors(data: dict[str, Any]) -> list[FieldError]:
    try:
        cases.validate_referral(data)
    except ValidationFailed as failed:
        return [FieldError(_api_path(e.field), e.message) for e in failed.errors]
    return []


def _inbox_filter(args: MultiDict[str, str]) -> task_service.InboxFilter:
    errors = []
    case = args.get("case", "").strip()
    if case and not ID_PATTERN.fullmatch(case):
        errors.append(FieldError("case", "case must be a case id (a whole number)"))
    due = args.get("due") or None
    if due is not None and due not in DUE_FILTERS:
        errors.append(FieldError("due", f"due must be one of {', '.join(DUE_FILTERS)}"))
    sort = args.get("sort") or "due"
    if sort not in SORTS:
        errors.append(FieldError("sort", f"sort must be one of {', '.join(SORTS)}"))
    if errors:
        raise ValidationFailed(errors)
    return task_service.InboxFilter(case_id=int(case) if case else None, step=args.get("step") or None, due=due,
                                    sort=sort)


def _form_data(body: dict[str, Any]) -> dict[str, Any]:
    errors = _unexpected(body, {"data"})
    data = body.get("data")
    if not isinstance(data, dict):
        errors.append(FieldError("data", "Give the form answers as a JSON object in data"))
    if errors or not isinstance(data, dict):
        raise ValidationFailed(errors)
    return data


def _data_path(field: str) -> str:
    return field if field == "data" else f"data.{field}"


# --- cases -----------------------------------------------------------------------------------------------------

@bp.post("/cases")
@api_requires("cases:refer")
def create_case() -> ResponseReturnValue:
    user = api_user()
    body = _json_object()
    data, errors = _referral(body)
    errors += _area_errors(user, body) + _referral_errors(data)
    if errors:
        raise ValidationFailed(errors)
    case = cases.create_referral(user, data)
    view = cases.view_case(user, case.id)
    return case_json(view, clock.today()), 201, {"Location": url_for("api.get_case", case_id=case.id)}


@bp.get("/cases/<int:case_id>")
@api_requires("cases:view")
def get_case(case_id: int) -> ResponseReturnValue:
    return case_json(cases.view_case(api_user(), case_id), clock.today())


@bp.get("/cases/<int:case_id>/history")
@api_requires("cases:view")
def get_case_history(case_id: int) -> ResponseReturnValue:
    events = cases.case_history(api_user(), case_id)
    return {"case_id": case_id, "events": [event_json(event) for event in events]}


# --- tasks -----------------------------------------------------------------------------------------------------

@bp.get("/tasks")
@api_requires("tasks:work")
def list_tasks() -> ResponseReturnValue:
    tasks = task_service.inbox(api_user(), _inbox_filter(request.args))
    today = clock.today()
    return {"tasks": [task_json(task, today) for task in tasks]}


@bp.get("/tasks/<int:task_id>")
@api_requires("tasks:work")
def get_task(task_id: int) -> ResponseReturnValue:
    task = task_service.load_task(api_user(), task_id)
    return task_json(task, clock.today()) | {"form": {"key": task.form_key, "schema": task_service.form_schema(task)}}


@bp.post("/tasks/<int:task_id>/claim")
@api_requires("tasks:work")
def claim_task(task_id: int) -> ResponseReturnValue:
    return task_json(task_service.claim(api_user(), task_id), clock.today())


@bp.post("/tasks/<int:task_id>/release")
@api_requires("tasks:work")
def release_task(task_id: int) -> ResponseReturnValue:
    return task_json(task_service.release(api_user(), task_id), clock.today())


@bp.post("/tasks/<int:task_id>/complete")
@api_requires("tasks:work")
def complete_task(task_id: int) -> ResponseReturnValue:
    user = api_user()
    data = _form_data(_json_object())
    try:
        task = task_service.complete(user, task_id, data)
    except ValidationFailed as failed:
        raise ValidationFailed([FieldError(_data_path(e.field), e.message) for e in failed.errors]) from None
    today = clock.today()
    next_tasks = task_service.inbox(user, task_service.InboxFilter(case_id=task.case_id))
    return task_json(task, today) | {"next_tasks": [task_json(t, today) for t in next_tasks]}


# --- the API's own description ---------------------------------------------------------------------------------

@bp.get("/openapi.json")
@public
def openapi() -> ResponseReturnValue:
    return OPENAPI
