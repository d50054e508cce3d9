"""JSON API for Child Sex Offender Disclosure Scheme applications (services.csods): record one, read one, list the
caller's open stages and complete one.

The request body is the application form (forms/csods_application.json) as it is: the same fields, vocabulary and
messages as the page."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import Model, nullable, operation
from app.api.schemas import LOCATION, MODELS
from app.security import api_user
from services import clock, csods, dates
from services.errors import FieldError, ValidationFailed
from services.models import CsodsApplication

_FORM = csods.application_schema()
_DATE = {"type": "string", "format": "date"}

APPLICATION_REQUEST = Model("CsodsApplicationRequest", {
    "type": "object", "additionalProperties": False, "required": list(_FORM["required"]),
    "description": "A Child Sex Offender Disclosure Scheme application: the applicant, the person it is about "
                   "and the child (the Initial Contact Form). Dates are YYYY-MM-DD.",
    "properties": {name: {k: v for k, v in prop.items() if not k.startswith("x-")}
                   for name, prop in _FORM["properties"].items()},
}, null_is_absent=True)
APPLICATION = Model("CsodsApplication", {
    "type": "object", "required": ["id", "reference", "status", "received_on", "due", "stages", "targets"],
    "properties": {
        "id": {"type": "integer"},
        "reference": {"type": "string"},
        "status": {"type": "string", "enum": list(csods.STATUSES)},
        "received_on": _DATE,
        "due": {**_DATE, "description": "The whole application's due date (csods_overall_working_days)"},
        "mappa_case_id": nullable("integer", description="The subject's MAPPA case in the area, if any"),
        "stages": {"type": "array", "description": "The stages opened so far, in order", "items": {
            "type": "object", "required": ["name", "due", "state", "overdue", "escalated"],
            "properties": {"name": {"type": "string"}, "due": nullable("string", format="date"),
                           "state": {"type": "string", "enum": ["ready", "completed", "cancelled"]},
                           "overdue": {"type": "boolean"}, "escalated": {"type": "boolean"},
                           "completed_on": nullable("string", format="date")}}},
        "targets": {"type": "array", "description": "The due date of each stage, from the day it was made",
                    "items": {"type": "object", "required": ["what", "due"],
                              "properties": {"what": {"type": "string"}, "due": _DATE}}},
    },
})


OPEN_STAGES = Model("CsodsOpenStages", {
    "type": "object", "required": ["stages"],
    "properties": {"stages": {
        "type": "array", "description": "The open stages of the area's applications for the caller's roles, soonest "
                                        "due first (an application is not a case: these are not in /tasks)",
        "items": {"type": "object", "required": ["application_id", "reference", "name", "due", "overdue", "escalated",
                                                 "links"],
                  "properties": {"application_id": {"type": "integer"}, "reference": {"type": "string"},
                                 "name": {"type": "string"}, "due": nullable("string", format="date"),
                                 "overdue": {"type": "boolean"}, "escalated": {"type": "boolean"},
                                 "links": {"type": "object", "required": ["application", "complete"], "properties": {
                                     "application": {"type": "string"}, "complete": {"type": "string"}}}}}}},
})


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def application_json(application: CsodsApplication) -> dict[str, Any]:
    today = clock.today()
    return {
        "id": application.id, "reference": application.reference, "status": application.status,
        "received_on": application.received_on.isoformat(), "due": application.due_on.isoformat(),
        "mappa_case_id": application.mappa_case_id,
        "stages": [{"name": s.name, "due": _iso(s.due_date), "state": s.state, "overdue": csods.is_late(s, today),
                    "escalated": s.escalated_at is not None,
                    "completed_on": _iso(dates.to_london(s.completed_at).date() if s.completed_at else None)}
                   for s in csods.stages(application)],
        "targets": [{"what": t.what, "due": t.due.isoformat()} for t in csods.targets(application)],
    }


@operation(bp, "POST", "/csods/applications", summary="Record a Child Sex Offender Disclosure Scheme application",
           tag="csods", permission="csods:apply",
           description="Records an application made through a police officer (needs csods:apply) and starts its "
                       "stages: the answer has each stage opened and every due date.",
           body=APPLICATION_REQUEST, responses={201: (APPLICATION, "The new application", {"headers": LOCATION})},
           errors=(422,))
def create_csods_application(body: dict[str, Any]) -> ResponseReturnValue:
    application = csods.create(api_user(), body)
    return application_json(application), 201, {
        "Location": url_for("api.get_csods_application", application_id=application.id)}


@operation(bp, "GET", "/csods/applications/<int:application_id>", summary="A CSODS application with its stages",
           tag="csods", permission="csods:view", responses={200: (APPLICATION, "The application", {})},
           errors=(404,))
def get_csods_application(application_id: int) -> ResponseReturnValue:
    return application_json(csods.view(api_user(), application_id))


@operation(bp, "GET", "/csods/stages", summary="The caller's open CSODS stages to work", tag="csods",
           permission="csods:work", responses={200: (OPEN_STAGES, "The open stages, soonest due first", {})},
           description="What My tasks lists under CSODS applications: each open stage with its application, due "
                       "date, whether it is overdue or escalated, and where to complete it. The listing is "
                       "access-logged.")
def list_csods_stages() -> ResponseReturnValue:
    today = clock.today()
    return {"stages": [{
        "application_id": application.id, "reference": application.reference, "name": stage.name,
        "due": _iso(stage.due_date), "overdue": csods.is_late(stage, today),
        "escalated": stage.escalated_at is not None,
        "links": {"application": url_for("api.get_csods_application", application_id=application.id),
                  "complete": url_for("api.complete_csods_stage", application_id=application.id)},
    } for stage, application in csods.stages_to_work(api_user())]}


@operation(bp, "POST", "/csods/applications/<int:application_id>/stage", summary="Complete a CSODS application's "
           "open stage with its form's data", tag="csods", permission="csods:work", body=MODELS["CompleteRequest"],
           description="The open stage's form (as the application's page shows it) checks the data, then the "
                       "application moves on to its next stage. 409 when no stage is open.",
           responses={200: (APPLICATION, "The application afterwards", {})}, errors=(404, 409, 422))
def complete_csods_stage(application_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    user = api_user()
    try:
        csods.complete_stage(user, application_id, body["data"])
    except ValidationFailed as failed:
        raise ValidationFailed([FieldError(f"data.{e.field}" if e.field else "data", e.message)
                                for e in failed.errors]) from None
    return application_json(csods.view(user, application_id))
