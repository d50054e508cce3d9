"""JSON API views: parse the request, call a service (which scopes and logs), serialise the result."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from app.api import bp
from app.api.body import json_object
from app.api.errors import invalid
from app.api.idempotent import idempotent
from app.api.openapi import OPENAPI
from app.routing import parse_id
from app.security import api_requires, api_user, public
from services import case_search, cases, clock, dates, forms, lifecycle, outcomes, settings_admin
from services import tasks as task_service
from services.errors import FieldError, ValidationFailed
from services.models import CaseEvent, HumanTask, MappaCase, User
from services.settings import area_settings
from workflows.lanes import role_name

# API body names -> referral form fields (forms/referral.json); 422 field paths are translated back.
OFFENDER_FIELDS = {"name": "offender_name", "date_of_birth": "date_of_birth", "pnc_id": "pnc_id", "crn": "crn",
                   "visor_reference": "visor_reference"}
REFERRAL_FIELDS = {name: name for name in (
    "category", "lead_agency", "level_requested", "custody", "release_date", "referral_reason", "level3_reason",
    "rosh", "senior_resources_needed", "sentence_date", "licence_end", "notification_end", "notification_indefinite",
    "victims_flag",
    "children_flag", "vulnerable_adults_flag")}
API_PATHS = {form: f"offender.{api}" for api, form in OFFENDER_FIELDS.items()} | {"data": "body"}
ROUTES = ("referral", "identification")  # how a case is opened: a MAPPA A referral, or identified as eligible
DUE_FILTERS = tuple(task_service.DUES)
SORTS = tuple(task_service.SORT_NAMES)


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
        "sentence_date": _iso(case.sentence_date), "licence_end": _iso(case.licence_end),
        "notification_end": _iso(case.notification_end),
        "notification_indefinite": case.notification_indefinite,
        "notification_review_due": _iso(case.notification_review_due),
        "flags": {"victims": case.victims_flag, "children": case.children_flag,
                  "vulnerable_adults": case.vulnerable_adults_flag},
        "next_review_due": _iso(case.next_review_due), "exit_reason": case.exit_reason,
        "exit_date": _iso(case.exit_date), "area": case.area.code, "visor_reference": case.visor_reference,
        "open_tasks": [task_json(task, today) for task in view.open_tasks],
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


# --- request parsing -------------------------------------------------------------------------------------------

def _unexpected(given: dict[str, Any], allowed: set[str], prefix: str = "") -> list[FieldError]:
    return [FieldError(f"{prefix}{key}", "Unexpected field") for key in given if key not in allowed]


def _present(source: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """API name -> form field for the values given; null counts as not given."""
    return {form: source[api] for api, form in names.items() if source.get(api) is not None}


def _case_request(body: dict[str, Any]) -> tuple[str | None, dict[str, Any], list[FieldError]]:
    """The route (referral or identification; None if unknown), the form data and the shape errors of a body."""
    errors = _unexpected(body, {*REFERRAL_FIELDS, "offender", "area", "route"})
    route = body.get("route") or "referral"
    if route not in ROUTES:
        errors.append(FieldError("route", f"route must be one of {', '.join(ROUTES)}"))
        route = None
    offender = body.get("offender") or {}
    if not isinstance(offender, dict):
        errors.append(FieldError("offender", "Give the offender as an object, for example {\"name\": \"...\"}"))
        offender = {}
    errors += _unexpected(offender, set(OFFENDER_FIELDS), prefix="offender.")
    data = _present(offender, OFFENDER_FIELDS) | _present(body, REFERRAL_FIELDS)
    if route == "referral":
        data.setdefault("level_requested", 2)
    return route, data, errors


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


def _form_errors(route: str | None, data: dict[str, Any]) -> list[FieldError]:
    if route is None:
        return []
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


def _strings(allowed: set[str]) -> dict[str, Any]:
    """A JSON object body with only these members, each a string or null."""
    body = json_object()
    errors = _unexpected(body, allowed) + [FieldError(key, f"{key} must be a string") for key in sorted(allowed)
                                           if body.get(key) is not None and not isinstance(body[key], str)]
    if errors:
        raise ValidationFailed(errors)
    return body


def _text(body: dict[str, Any], key: str) -> str:
    return str(body.get(key) or "")


def _day(body: dict[str, Any], key: str) -> date | None:
    raw = _text(body, key).strip()
    if not raw:
        return None
    day = dates.parse_day(raw)
    if day is None:
        raise invalid(key, f"{key} must be a real date written YYYY-MM-DD, {dates.RANGE_TEXT}")
    return day


def _setting_values(body: dict[str, Any]) -> dict[str, str]:
    errors = _unexpected(body, {"settings"})
    values = body.get("settings")
    if not isinstance(values, dict):
        errors.append(FieldError("settings", "Give the settings as a JSON object, for example "
                                             "{\"level2_review_weeks\": 12}"))
        values = {}
    errors += [FieldError(f"settings.{key}", "Give a whole number") for key, value in values.items()
               if isinstance(value, bool) or not isinstance(value, int)]
    if errors:
        raise ValidationFailed(errors)
    return {key: str(value) for key, value in values.items()}


def _inbox_filter(args: MultiDict[str, str]) -> task_service.InboxFilter:
    errors = []
    case = args.get("case", "").strip()
    case_id = parse_id(case)
    if case and case_id is None:
        errors.append(FieldError("case", "case must be a case id (a whole number)"))
    due = args.get("due") or None
    if due is not None and due not in DUE_FILTERS:
        errors.append(FieldError("due", f"due must be one of {', '.join(DUE_FILTERS)}"))
    sort = args.get("sort") or "due"
    if sort not in SORTS:
        errors.append(FieldError("sort", f"sort must be one of {', '.join(SORTS)}"))
    show = args.get("show") or "all"
    if show not in task_service.SHOWS:
        errors.append(FieldError("show", f"show must be one of {', '.join(task_service.SHOWS)}"))
    if errors:
        raise ValidationFailed(errors)
    return task_service.InboxFilter(case_id=case_id, step=args.get("step") or None, due=due,
                                    sort=sort, show=show)


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

@bp.get("/cases")
@api_requires("cases:view")
def list_cases() -> ResponseReturnValue:
    status = request.args.get("status") or None
    errors = [] if status in (None, *cases.STATUSES) else [
        FieldError("status", f"status must be one of {', '.join(cases.STATUSES)}")]
    try:
        wanted = case_search.case_filter(request.args.get("q"), status)
    except ValidationFailed as failed:
        errors = failed.errors + errors
    if errors:
        raise ValidationFailed(errors)
    listing = case_search.find_cases(api_user(), wanted)
    today = clock.today()
    return {"cases": [case_summary_json(case, today) for case in listing.cases], "total": listing.total}


@bp.post("/cases")
@api_requires("cases:refer")
@idempotent
def create_case() -> ResponseReturnValue:
    user = api_user()
    body = json_object()
    route, data, errors = _case_request(body)
    errors += _area_errors(user, body) + _form_errors(route, data)
    if errors or route is None:
        raise ValidationFailed(errors)
    case = _open_case(user, route, data)
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


# --- things any agency on a case can set in motion -------------------------------------------------------------

def _case_response(case: MappaCase, status: int = 200) -> ResponseReturnValue:
    """The case as it is now; built without a scope check, as after a transfer the caller no longer sees it."""
    view = cases.CaseView(case, cases.open_tasks(case.id), cases.history(case.id), cases.instances(case.id))
    return case_json(view, clock.today()), status


@bp.post("/cases/<int:case_id>/early-review")
@api_requires("cases:contribute")
def request_early_review(case_id: int) -> ResponseReturnValue:
    body = _strings({"reason", "detail"})
    return _case_response(lifecycle.request_early_review(api_user(), case_id, _text(body, "reason"),
                                                         _text(body, "detail")))


@bp.post("/cases/<int:case_id>/release-date")
@api_requires("cases:change_release_date")
def change_release_date(case_id: int) -> ResponseReturnValue:
    body = _strings({"release_date", "reason"})
    release_date = _day(body, "release_date")
    if release_date is None:
        raise invalid("release_date", "Enter the new earliest release date")
    return _case_response(lifecycle.change_release_date(api_user(), case_id, release_date, _text(body, "reason")))


@bp.post("/cases/<int:case_id>/transfer")
@api_requires("cases:transfer")
def transfer_case(case_id: int) -> ResponseReturnValue:
    body = _strings({"to_area", "reason"})
    return _case_response(lifecycle.transfer(api_user(), case_id, _text(body, "to_area"), _text(body, "reason")))


@bp.post("/cases/<int:case_id>/lead")
@api_requires("cases:change_lead")
def change_lead(case_id: int) -> ResponseReturnValue:
    body = _strings({"lead_agency", "lead_officer", "reason"})
    return _case_response(lifecycle.change_lead(api_user(), case_id, _text(body, "lead_agency"),
                                                body.get("lead_officer") or None, _text(body, "reason")))


@bp.post("/cases/<int:case_id>/actions")
@api_requires("actions:agree")
def agree_action(case_id: int) -> ResponseReturnValue:
    body = _strings({"description", "owner_role", "due"})
    instance = lifecycle.agree_action(api_user(), case_id, _text(body, "description"), _text(body, "owner_role"),
                                      _day(body, "due"))
    return _case_response(lifecycle.case_or_404(instance.case_id), 201)


# --- tasks -----------------------------------------------------------------------------------------------------

@bp.post("/cases/<int:case_id>/outcomes")
@api_requires("cases:record_outcome")
def record_outcome(case_id: int) -> ResponseReturnValue:
    """A return to custody, a breach, a serious further offence or a serious case review, for the annual figures."""
    body = _strings({"kind", "on", "reason", "note"})
    outcomes.record_outcome(api_user(), case_id, _text(body, "kind"), _day(body, "on"), body.get("reason"),
                            _text(body, "note"))
    return _case_response(lifecycle.case_or_404(case_id), 201)


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
    return task_json(task, clock.today()) | {"context": task.context or {},
                                             "form": {"key": task.form_key, "schema": task_service.form_schema(task)}}


@bp.post("/tasks/<int:task_id>/claim")
@api_requires("tasks:work")
def claim_task(task_id: int) -> ResponseReturnValue:
    return task_json(task_service.claim(api_user(), task_id), clock.today())


@bp.post("/tasks/<int:task_id>/release")
@api_requires("tasks:work")
def release_task(task_id: int) -> ResponseReturnValue:
    return task_json(task_service.release(api_user(), task_id), clock.today())


@bp.post("/tasks/<int:task_id>/reassign")
@api_requires("tasks:reassign")
def reassign_task(task_id: int) -> ResponseReturnValue:
    body = _strings({"assignee", "reason"})
    task = task_service.reassign(api_user(), task_id, _text(body, "assignee"), _text(body, "reason"))
    return task_json(task, clock.today())


@bp.post("/tasks/<int:task_id>/complete")
@api_requires("tasks:work")
@idempotent
def complete_task(task_id: int) -> ResponseReturnValue:
    user = api_user()
    data = _form_data(json_object())
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


@bp.get("/settings")
@api_requires("signed_in")
def get_settings() -> ResponseReturnValue:
    user = api_user()
    return _settings_json(user, area_settings(user.area_id))


@bp.put("/settings")
@api_requires("settings:change")
def put_settings() -> ResponseReturnValue:
    user = api_user()
    values = _setting_values(json_object())
    try:
        updated = settings_admin.update_settings(user, values)
    except ValidationFailed as failed:
        raise ValidationFailed([FieldError(f"settings.{e.field}", e.message) for e in failed.errors]) from None
    return _settings_json(user, updated)


# --- the API's own description ---------------------------------------------------------------------------------

@bp.get("/openapi.json")
@public
def openapi() -> ResponseReturnValue:
    return OPENAPI
