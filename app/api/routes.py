"""JSON API views: parse the request, call a service (which scopes and logs), serialise the result."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, url_for
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import Model, operation, paths
from app.api.errors import invalid
from app.api.idempotent import idempotent
from app.api.schemas import (
    CASE_QUERY,
    IDEMPOTENCY_KEY,
    LOCATION,
    MODELS,
    OFFENDER_FIELDS,
    REFERRAL_FIELDS,
    TASK_QUERY,
    document,
)
from app.cases import forms as case_forms
from app.security import api_user
from services import case_search, cases, clock, dates, forms, lifecycle, outcomes, settings_admin
from services import tasks as task_service
from services.errors import FieldError, ValidationFailed
from services.models import CaseEvent, HumanTask, MappaCase, User
from services.settings import area_settings
from workflows.lanes import role_name

API_PATHS = {form: f"offender.{api}" for api, form in OFFENDER_FIELDS.items()} | {"data": "body"}
CASE = MODELS["Case"]
TASK = MODELS["Task"]


def _answer(model: Model, description: str, **extra: object) -> tuple[Model, str, dict[str, object]]:
    return model, description, dict(extra)


# --- serialisers -----------------------------------------------------------------------------------------------

def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _username(user: User | None) -> str | None:
    return user.username if user else None


def task_json(task: HumanTask, today: date) -> dict[str, Any]:
    due_status = task_service.due_status(task, today)
    return {
        "id": task.id, "case_id": task.case_id, "case_reference": task.case.reference, "name": task.name,
        "lane": task.lane, "role": task.role, "role_name": role_name(task.role), "assignee": _username(task.assignee),
        "due": _iso(task.due_date),
        "overdue": due_status == "overdue", "due_status": due_status, "state": task.state,
        "created_at": task.created_at.isoformat(), "completed_at": _iso(task.completed_at),
        "completed_by": _username(task.completed_by),
        "links": {"self": f"{_api_root()}/tasks/{task.id}", "case": f"{_api_root()}/cases/{task.case_id}"},
    }


def _api_root() -> str:
    """/api/v1 under whatever prefix the app is mounted at (one url_for per request, not two per task)."""
    if "api_root" not in g:
        g.api_root = url_for("api.list_tasks").removesuffix("/tasks")
    return str(g.api_root)


def case_json(view: cases.CaseView, today: date) -> dict[str, Any]:
    case = view.case
    return {
        "id": case.id, "reference": case.reference,
        "offender": {"name": case.offender_name, "date_of_birth": _iso(case.date_of_birth), "pnc_id": case.pnc_id,
                     "crn": case.crn},
        "category": case.category, "category_code": cases.CATEGORY_CODES[case.category], "level": case.level,
        "status": case.status, "lead_agency": case.lead_agency, "lead_officer": _username(case.lead_officer),
        "custody": case.custody, "release_date": _iso(case.release_date),
        "address": case.address, "address_since": _iso(case.address_since),
        "sentence_date": _iso(case.sentence_date), "licence_end": _iso(case.licence_end),
        "notification_end": _iso(case.notification_end),
        "notification_indefinite": case.notification_indefinite,
        "notification_review_due": _iso(case.notification_review_due),
        "flags": {"victims": case.victims_flag, "children": case.children_flag,
                  "vulnerable_adults": case.vulnerable_adults_flag},
        "next_review_due": _iso(case.next_review_due), "exit_reason": case.exit_reason,
        "exit_date": _iso(case.exit_date), "area": case.area.code, "visor_reference": case.visor_reference,
        "open_tasks": [task_json(task, today) for task in view.open_tasks],
        "visor_pending": [{"kind": p.code, "summary": p.summary, "happened_at": p.happened_at.isoformat(),
                           "due": _iso(p.due), "overdue": p.overdue} for p in view.visor_pending],
        "links": {"self": url_for("api.get_case", case_id=case.id),
                  "history": url_for("api.get_case_history", case_id=case.id),
                  "tasks": url_for("api.list_tasks", case=case.id)},
    }


def case_summary_json(case: MappaCase, today: date) -> dict[str, Any]:
    """A case as a list shows it; GET /cases/{id} has the rest."""
    return {
        "id": case.id, "reference": case.reference,
        "offender": {"name": case.offender_name, "date_of_birth": _iso(case.date_of_birth), "pnc_id": case.pnc_id,
                     "crn": case.crn, "visor_reference": case.visor_reference},
        "category": case.category, "category_code": cases.CATEGORY_CODES[case.category], "level": case.level,
        "status": case.status, "lead_agency": case.lead_agency, "next_review_due": _iso(case.next_review_due),
        "review_overdue": case_search.review_overdue(case, today), "exit_date": _iso(case.exit_date),
        "area": case.area.code, "links": {"self": url_for("api.get_case", case_id=case.id)},
    }


def event_json(event: CaseEvent) -> dict[str, Any]:
    return {"at": event.at.isoformat(), "kind": event.kind, "summary": event.summary,
            "actor": _username(event.actor), "instance_id": event.instance_id, "detail": event.detail}


# --- request parsing (the shapes are app.api.schemas' models; these map them onto the services) -----------------

def _present(source: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """API name -> form field for the values given (nulls were dropped: they count as not given)."""
    return {form: source[api] for api, form in names.items() if api in source}


def _referral_data(body: dict[str, Any]) -> dict[str, Any]:
    """The referral or identification form's data from a valid ReferralRequest body."""
    data = _present(body.get("offender", {}), OFFENDER_FIELDS) | _present(body, {n: n for n in REFERRAL_FIELDS})
    if body.get("route", "referral") == "referral":
        data.setdefault("level_requested", 2)
    return data


def _area_errors(user: User, body: dict[str, Any]) -> list[FieldError]:
    area = body.get("area")
    if area is None or area == user.area.code:
        return []
    return [FieldError("area", f"You can only refer into your own MAPPA area ({user.area.code})")]


def _api_path(field: str) -> str:
    head, dot, rest = field.partition(".")
    return API_PATHS.get(head, head) + dot + rest


def _api_errors(errors: list[FieldError]) -> list[FieldError]:
    return [FieldError(_api_path(e.field), e.message) for e in errors]


def _form_errors(route: str, data: dict[str, Any]) -> list[FieldError]:
    if route == "identification":
        return _api_errors(forms.validate(forms.load_form("identification"), data))
    try:
        cases.validate_referral(data)
    except ValidationFailed as failed:
        return _api_errors(failed.errors)
    return []


def _open_case(user: User, route: str, data: dict[str, Any]) -> MappaCase:
    opener = cases.identify_offender if route == "identification" else cases.create_referral
    try:
        return opener(user, data)
    except ValidationFailed as failed:
        raise ValidationFailed(_api_errors(failed.errors)) from None


def _text(body: dict[str, Any], key: str) -> str:
    return str(body.get(key) or "")


def _day(body: dict[str, Any], key: str) -> date | None:
    """A date the model has checked (format date: a real day in range), or None when not given."""
    return dates.parse_day(body[key]) if body.get(key) else None


def _data_path(field: str) -> str:
    return field if field == "data" else f"data.{field}"


# --- cases -----------------------------------------------------------------------------------------------------

@operation(bp, "GET", "/cases", summary="Find cases", tag="cases", permission="cases:view", query=CASE_QUERY,
           description="The cases the caller may see (their area; for duty-to-co-operate staff only the cases they "
                       "work on), next review first, as the case list page shows them. Each search is "
                       "access-logged with its number of matches.",
           responses={200: _answer(MODELS["CaseList"], "The matching cases")}, errors=(422,))
def list_cases(query: dict[str, Any]) -> ResponseReturnValue:
    wanted = case_search.case_filter(query.get("q"), query.get("status"), critical=bool(query.get("critical")))
    listing = case_search.find_cases(api_user(), wanted)
    today = clock.today()
    return {"cases": [case_summary_json(case, today) | {"critical": case.id in listing.critical_ids}
                      for case in listing.cases], "total": listing.total}


@operation(bp, "POST", "/cases", summary="Refer or identify a case", tag="cases", permission="cases:refer",
           description="Opens a MAPPA case in the caller's area and starts its lifecycle (needs cases:refer): "
                       "referral and screening, or identification.",
           body=MODELS["ReferralRequest"], parameters=(IDEMPOTENCY_KEY,), wrap=idempotent,
           responses={201: _answer(CASE, "The new case", headers=LOCATION)}, errors=(422,))
def create_case(body: dict[str, Any]) -> ResponseReturnValue:
    user = api_user()
    route, data = body.get("route", "referral"), _referral_data(body)
    errors = _area_errors(user, body) + _form_errors(route, data)
    if errors:
        raise ValidationFailed(errors)
    case = _open_case(user, route, data)
    view = cases.view_case(user, case.id)
    return case_json(view, clock.today()), 201, {"Location": url_for("api.get_case", case_id=case.id)}


@operation(bp, "GET", "/cases/<int:case_id>", summary="A case with its open tasks", tag="cases",
           permission="cases:view", responses={200: _answer(CASE, "The case")}, errors=(404,))
def get_case(case_id: int) -> ResponseReturnValue:
    return case_json(cases.view_case(api_user(), case_id), clock.today())


@operation(bp, "GET", "/cases/<int:case_id>/history", summary="Who did what when, across all phases", tag="cases",
           permission="cases:view", responses={200: _answer(MODELS["History"], "Events")}, errors=(404,))
def get_case_history(case_id: int) -> ResponseReturnValue:
    events = cases.case_history(api_user(), case_id)
    return {"case_id": case_id, "events": [event_json(event) for event in events]}


# --- things any agency on a case can set in motion -------------------------------------------------------------

def _case_response(case: MappaCase, status: int = 200) -> ResponseReturnValue:
    """The case as it is now; built without a scope check, as after a transfer the caller no longer sees it."""
    view = cases.case_view(api_user(), case)  # what the caller may read of it (after a transfer: its basics)
    return case_json(view, clock.today()), status


def _case_action(rule: str, summary: str, permission: str, body: str, status: int = 200) -> Any:
    """POST /cases/{case_id}/...: changes the case (the service checks the caller's role and the case's state)."""
    return operation(bp, "POST", f"/cases/<int:case_id>/{rule}", summary=summary, tag="cases",
                     permission=permission, body=MODELS[body],
                     responses={status: _answer(CASE, "The case afterwards")}, errors=(404, 409, 422))


@_case_action("early-review", "Request an early review", "cases:contribute", "EarlyReviewRequest")
def request_early_review(case_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    return _case_response(lifecycle.request_early_review(api_user(), case_id, _text(body, "reason"),
                                                         _text(body, "detail")))


@_case_action("release-date", "Change the earliest release date", "cases:change_release_date", "ReleaseDateRequest")
def change_release_date(case_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    release_date = _day(body, "release_date")
    if release_date is None:
        raise invalid("release_date", "Enter the new earliest release date")
    return _case_response(lifecycle.change_release_date(api_user(), case_id, release_date, _text(body, "reason")))


@_case_action("address", "Record a change of address", "cases:change_address", "AddressRequest")
def change_address(case_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    moved_on = _day(body, "moved_on")
    if moved_on is None:
        raise invalid("moved_on", "Enter the date the offender moved there")
    errors = forms.date_errors(case_forms.address(), body)  # the page form's rule: today or in the past
    if errors:
        raise ValidationFailed(errors)
    return _case_response(lifecycle.change_address(api_user(), case_id, _text(body, "address"), moved_on,
                                                   _text(body, "reason")))


@_case_action("transfer", "Transfer to another MAPPA area", "cases:transfer", "TransferRequest")
def transfer_case(case_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    return _case_response(lifecycle.transfer(api_user(), case_id, _text(body, "to_area"), _text(body, "reason")))


@_case_action("lead", "Change lead agency or officer", "cases:change_lead", "LeadRequest")
def change_lead(case_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    return _case_response(lifecycle.change_lead(api_user(), case_id, _text(body, "lead_agency"),
                                                body.get("lead_officer") or None, _text(body, "reason")))


@_case_action("actions", "Record an agreed action", "actions:agree", "ActionRequest", 201)
def agree_action(case_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    instance = lifecycle.agree_action(api_user(), case_id, _text(body, "description"), _text(body, "owner_role"),
                                      _day(body, "due"))
    return _case_response(lifecycle.case_or_404(instance.case_id), 201)


@_case_action("outcomes", "Record a return to custody, breach, SFO or SCR", "cases:record_outcome",
              "OutcomeRequest", 201)
def record_outcome(case_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    """A return to custody, a breach, a serious further offence or a serious case review, for the annual figures."""
    outcomes.record_outcome(api_user(), case_id, _text(body, "kind"), _day(body, "on"), body.get("reason"),
                            _text(body, "note"))
    return _case_response(lifecycle.case_or_404(case_id), 201)


# --- tasks -----------------------------------------------------------------------------------------------------

@operation(bp, "GET", "/tasks", summary="The caller's inbox", tag="tasks", permission="tasks:work", query=TASK_QUERY,
           description="Tasks assigned to the caller, and unclaimed tasks whose role and area match theirs.",
           responses={200: _answer(MODELS["TaskList"], "Tasks")}, errors=(422,))
def list_tasks(query: dict[str, Any]) -> ResponseReturnValue:
    wanted = task_service.InboxFilter(case_id=query.get("case"), step=query.get("step"), due=query.get("due"),
                                      sort=query.get("sort", "due"), show=query.get("show", "all"),
                                      limit=query.get("limit", task_service.API_PAGE_SIZE))
    tasks = task_service.inbox(api_user(), wanted)
    today = clock.today()
    return {"tasks": [task_json(task, today) for task in tasks]}


@operation(bp, "GET", "/tasks/<int:task_id>", summary="A task with its form's JSON Schema", tag="tasks",
           permission="tasks:work", responses={200: _answer(MODELS["TaskDetail"], "The task")}, errors=(404,))
def get_task(task_id: int) -> ResponseReturnValue:
    task = task_service.load_task(api_user(), task_id)
    return task_json(task, clock.today()) | {"context": task.context or {},
                                             "form": {"key": task.form_key, "schema": task_service.form_schema(task)}}


@operation(bp, "POST", "/tasks/<int:task_id>/claim", summary="Claim a task", tag="tasks", permission="tasks:work",
           description="Assigns the task to the caller.", responses={200: _answer(TASK, "The task")},
           errors=(404, 409))
def claim_task(task_id: int) -> ResponseReturnValue:
    return task_json(task_service.claim(api_user(), task_id), clock.today())


@operation(bp, "POST", "/tasks/<int:task_id>/release", summary="Release a task", tag="tasks",
           permission="tasks:work", description="Only the holder can release a task.",
           responses={200: _answer(TASK, "The task")}, errors=(404, 409))
def release_task(task_id: int) -> ResponseReturnValue:
    return task_json(task_service.release(api_user(), task_id), clock.today())


@operation(bp, "POST", "/tasks/<int:task_id>/reassign", summary="Hand a task to a named person", tag="tasks",
           permission="tasks:reassign", body=MODELS["ReassignRequest"],
           description="The holder delegates it, or a MAPPA coordinator or manager reassigns it, to someone in the "
                       "area who holds the task's role.",
           responses={200: _answer(TASK, "The task, now with the new assignee")}, errors=(404, 409, 422))
def reassign_task(task_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    task = task_service.reassign(api_user(), task_id, _text(body, "assignee"), _text(body, "reason"))
    return task_json(task, clock.today())


@operation(bp, "POST", "/tasks/<int:task_id>/complete", summary="Complete a task with its form's data", tag="tasks",
           permission="tasks:work", body=MODELS["CompleteRequest"], parameters=(IDEMPOTENCY_KEY,), wrap=idempotent,
           description="Validates data against the form's schema, then advances the process. Of several racing "
                       "completions exactly one succeeds; the others get 409.",
           responses={200: _answer(MODELS["CompleteResponse"], "The completed task and the caller's next tasks")},
           errors=(404, 409, 422))
def complete_task(task_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    user = api_user()
    data = body["data"]
    try:
        task = task_service.complete(user, task_id, data)
    except ValidationFailed as failed:
        raise ValidationFailed([FieldError(_data_path(e.field), e.message) for e in failed.errors]) from None
    today = clock.today()
    next_tasks = task_service.next_tasks(user, task)
    return task_json(task, today) | {"next_tasks": [task_json(t, today) for t in next_tasks]}


# --- area settings ---------------------------------------------------------------------------------------------

def _settings_json(user: User, values: dict[str, int]) -> dict[str, Any]:
    return {"area": user.area.code, "editable": settings_admin.may_edit(user), "settings": values}


@operation(bp, "GET", "/settings", summary="The caller's area settings", tag="settings", permission="signed_in",
           responses={200: _answer(MODELS["Settings"], "The settings")})
def get_settings() -> ResponseReturnValue:
    user = api_user()
    return _settings_json(user, area_settings(user.area_id))


@operation(bp, "PUT", "/settings", summary="Change the caller's area settings", tag="settings",
           permission="settings:change", body=MODELS["SettingsRequest"],
           description="MAPPA coordinators only. Each value must be a whole number within the setting's range; a 422 "
                       "names each field as settings.<name>.",
           responses={200: _answer(MODELS["Settings"], "The settings afterwards")}, errors=(422,))
def put_settings(body: dict[str, Any]) -> ResponseReturnValue:
    user = api_user()
    values = {key: str(value) for key, value in body["settings"].items()}
    try:
        updated = settings_admin.update_settings(user, values)
    except ValidationFailed as failed:
        raise ValidationFailed([FieldError(f"settings.{e.field}", e.message) for e in failed.errors]) from None
    return _settings_json(user, updated)


# --- the API's own description ---------------------------------------------------------------------------------

_DOCUMENT: dict[str, Any] = {}


@operation(bp, "GET", "/openapi.json", summary="This document", tag="meta", permission=None,
           responses={200: ({"content": {"application/json": {"schema": {"type": "object"}}}},
                            "OpenAPI 3.1 document")})
def openapi() -> ResponseReturnValue:
    """Built once, on first request, when every module has declared its operations."""
    if not _DOCUMENT:
        _DOCUMENT.update(document(paths()))
    return _DOCUMENT
