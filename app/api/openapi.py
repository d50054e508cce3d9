"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. Tests check it against the URL map."""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): {"$ref": f"#/components/responses/{ERROR_RESPONSES[status]}"} for status in statuses}


def _id_param(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": what,
            "schema": {"type": "integer", "minimum": 1}}


DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}
ERROR_RESPONSES = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 422: "Invalid"}

OFFENDER_IN = {
    "type": "object", "additionalProperties": False, "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Full name"},
        "date_of_birth": DATE, "pnc_id": {"type": "string", "maxLength": 40},
        "crn": {"type": "string", "maxLength": 40, "description": "NDelius case reference number"},
    },
}

REFERRAL_IN = {
    "type": "object", "additionalProperties": False,
    "required": ["offender", "category", "lead_agency", "custody", "referral_reason"],
    "description": "A MAPPA A referral; the case opens in the caller's own area. Null counts as not given.",
    "properties": {
        "offender": OFFENDER_IN,
        "category": {"type": "integer", "enum": [1, 2, 3, 4], "description": "MAPPA category"},
        "area": {"type": "string", "description": "Area code; when given it must be the caller's own area"},
        "lead_agency": {"type": "string", "enum": ["Probation", "Police", "Prison", "Youth Offending Team", "Health"]},
        "custody": {"type": "boolean"},
        "release_date": {**DATE, "description": "Required when custody is true; refused when custody is false"},
        "level_requested": {"type": "integer", "enum": [2, 3], "default": 2},
        "referral_reason": {"type": "string", "minLength": 1, "maxLength": 8000},
    },
}

TASK_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"}, "case_id": {"type": "integer"}, "case_reference": {"type": "string"},
    "name": {"type": "string", "description": "The step's name; filter the inbox with ?step="},
    "lane": {"type": "string", "description": "BPMN lane, naming an agency role"},
    "role": {"type": "string"},
    "assignee": _nullable("string", description="Username of the holder; null when unclaimed"),
    "due": _nullable("string", format="date"),
    "overdue": {"type": "boolean", "description": "Open and due before today (Europe/London)"},
    "due_status": {"enum": ["overdue", "due soon", None]},
    "state": {"type": "string", "enum": ["ready", "completed", "cancelled"]},
    "created_at": DATE_TIME,
    "completed_at": _nullable("string", format="date-time"),
    "completed_by": _nullable("string", description="Username"),
    "links": {"type": "object", "additionalProperties": False, "required": ["self", "case"],
              "properties": {"self": {"type": "string"}, "case": {"type": "string"}}},
}


def _task(**more: Any) -> dict[str, Any]:
    """A task object, optionally with more members (each required)."""
    properties = TASK_PROPERTIES | more
    return {"type": "object", "additionalProperties": False, "required": list(properties), "properties": properties}


CASE = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "reference", "offender", "category", "category_code", "level", "status", "lead_agency",
                 "lead_officer", "custody", "release_date", "next_review_due", "exit_reason", "exit_date", "area",
                 "visor_reference", "open_tasks", "links"],
    "properties": {
        "id": {"type": "integer"}, "reference": {"type": "string"},
        "offender": {"type": "object", "additionalProperties": False,
                     "required": ["name", "date_of_birth", "pnc_id", "crn"],
                     "properties": {"name": {"type": "string"}, "date_of_birth": _nullable("string", format="date"),
                                    "pnc_id": _nullable("string"), "crn": _nullable("string")}},
        "category": {"type": "integer", "enum": [1, 2, 3, 4]},
        "category_code": {"type": "string", "enum": ["M1", "M2", "M3", "M4"]},
        "level": {"type": ["integer", "null"], "enum": [1, 2, 3, None]},
        "status": {"type": "string", "enum": ["identified", "referred", "screening", "level 1", "level 2", "level 3",
                                              "exited", "not eligible"]},
        "lead_agency": {"type": "string"},
        "lead_officer": _nullable("string", description="Username"),
        "custody": {"type": "boolean"},
        "release_date": _nullable("string", format="date"),
        "next_review_due": _nullable("string", format="date"),
        "exit_reason": _nullable("string"),
        "exit_date": _nullable("string", format="date"),
        "area": {"type": "string", "description": "MAPPA area code"},
        "visor_reference": _nullable("string"),
        "open_tasks": {"type": "array", "items": _ref("Task"), "description": "Every open task, whoever holds it"},
        "links": {"type": "object", "additionalProperties": False, "required": ["self", "history", "tasks"],
                  "properties": {"self": {"type": "string"}, "history": {"type": "string"},
                                 "tasks": {"type": "string"}}},
    },
}

EVENT = {
    "type": "object", "additionalProperties": False,
    "required": ["at", "kind", "summary", "actor", "instance_id", "detail"],
    "properties": {
        "at": DATE_TIME,
        "kind": {"type": "string", "description": "e.g. referral_submitted, task_completed, case_updated"},
        "summary": {"type": "string"},
        "actor": _nullable("string", description="Username; null for the system"),
        "instance_id": _nullable("integer", description="The process instance (phase) it happened in"),
        "detail": {"type": "object"},
    },
}

FORM = {
    "type": "object", "additionalProperties": False, "required": ["key", "schema"],
    "properties": {"key": _nullable("string"),
                   "schema": {"type": "object", "description": "JSON Schema (draft 2020-12) of the form's data"}},
}

ERROR = {
    "type": "object", "additionalProperties": False, "required": ["error"],
    "properties": {"error": {
        "type": "object", "additionalProperties": False, "required": ["status", "message"],
        "properties": {
            "status": {"type": "integer"}, "message": {"type": "string"},
            "errors": {"type": "array", "description": "Only on 422", "items": _ref("FieldError")},
        },
    }},
}

FIELD_ERROR = {
    "type": "object", "additionalProperties": False, "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "description": "Path in the request, e.g. offender.name, data.decision, case"},
        "message": {"type": "string"},
    },
}

SCHEMAS = {
    "ReferralRequest": REFERRAL_IN,
    "Case": CASE,
    "Task": _task(),
    "TaskDetail": _task(form=FORM),
    "TaskList": {"type": "object", "additionalProperties": False, "required": ["tasks"],
                 "properties": {"tasks": {"type": "array", "items": _ref("Task")}}},
    "CompleteRequest": {"type": "object", "additionalProperties": False, "required": ["data"],
                        "properties": {"data": {"type": "object", "description": "Answers to the task's form; only "
                                                "fields the form declares"}}},
    "CompleteResponse": _task(next_tasks={"type": "array", "items": _ref("Task"),
                                          "description": "The caller's inbox for this case after completing"}),
    "History": {"type": "object", "additionalProperties": False, "required": ["case_id", "events"],
                "properties": {"case_id": {"type": "integer"},
                               "events": {"type": "array", "items": _ref("Event"), "description": "Newest first"}}},
    "Event": EVENT,
    "Error": ERROR,
    "FieldError": FIELD_ERROR,
}

RESPONSES = {
    "Unauthorized": _json(_ref("Error"), "No bearer token, or an unknown or revoked one"),
    "Forbidden": _json(_ref("Error"), "The caller's role does not allow this, or the task is for another role"),
    "NotFound": _json(_ref("Error"), "Not found, or in another MAPPA area (never disclosed)"),
    "Conflict": _json(_ref("Error"), "The task was completed already or is claimed by someone else: the message "
                                     "says by whom"),
    "Invalid": _json(_ref("Error"), "Invalid request: error.errors lists each field path and message"),
}

TASK_ID = _id_param("task_id", "Task id")
CASE_ID = _id_param("case_id", "Case id")


def _task_action(summary: str, description: str) -> dict[str, Any]:
    return {"post": {"operationId": summary.split()[0].lower() + "Task", "summary": summary,
                     "description": description, "tags": ["tasks"], "parameters": [TASK_ID],
                     "responses": {"200": _json(_ref("Task"), "The task"), **_errors(401, 403, 404, 409)}}}


PATHS = {
    "/cases": {"post": {
        "operationId": "createCase", "summary": "Refer a case", "tags": ["cases"],
        "description": "Opens a MAPPA case in the caller's area and starts its lifecycle (needs cases:refer).",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ReferralRequest")}}},
        "responses": {
            "201": {**_json(_ref("Case"), "The new case"),
                    "headers": {"Location": {"description": "The case's URL", "schema": {"type": "string"}}}},
            **_errors(401, 403, 422),
        },
    }},
    "/cases/{case_id}": {"get": {
        "operationId": "getCase", "summary": "A case with its open tasks", "tags": ["cases"],
        "parameters": [CASE_ID], "responses": {"200": _json(_ref("Case"), "The case"), **_errors(401, 403, 404)},
    }},
    "/cases/{case_id}/history": {"get": {
        "operationId": "getCaseHistory", "summary": "Who did what when, across all phases", "tags": ["cases"],
        "parameters": [CASE_ID], "responses": {"200": _json(_ref("History"), "Events"), **_errors(401, 403, 404)},
    }},
    "/tasks": {"get": {
        "operationId": "listTasks", "summary": "The caller's inbox", "tags": ["tasks"],
        "description": "Tasks assigned to the caller, and unclaimed tasks whose role and area match theirs.",
        "parameters": [
            {"name": "case", "in": "query", "schema": {"type": "integer"}, "description": "Only this case's tasks"},
            {"name": "step", "in": "query", "schema": {"type": "string"}, "description": "Only tasks with this name"},
            {"name": "due", "in": "query", "schema": {"type": "string", "enum": ["overdue", "soon", "later", "none"]}},
            {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["due", "-due"], "default": "due"}},
        ],
        "responses": {"200": _json(_ref("TaskList"), "Tasks"), **_errors(401, 403, 422)},
    }},
    "/tasks/{task_id}": {"get": {
        "operationId": "getTask", "summary": "A task with its form's JSON Schema", "tags": ["tasks"],
        "parameters": [TASK_ID],
        "responses": {"200": _json(_ref("TaskDetail"), "The task"), **_errors(401, 403, 404)},
    }},
    "/tasks/{task_id}/claim": _task_action("Claim a task", "Assigns the task to the caller."),
    "/tasks/{task_id}/release": _task_action("Release a task", "Only the holder can release a task."),
    "/tasks/{task_id}/complete": {"post": {
        "operationId": "completeTask", "summary": "Complete a task with its form's data", "tags": ["tasks"],
        "description": "Validates data against the form's schema, then advances the process. Of several racing "
                       "completions exactly one succeeds; the others get 409.",
        "parameters": [TASK_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CompleteRequest")}}},
        "responses": {"200": _json(_ref("CompleteResponse"), "The completed task and the caller's next tasks"),
                      **_errors(401, 403, 404, 409, 422)},
    }},
    "/openapi.json": {"get": {
        "operationId": "getOpenApi", "summary": "This document", "tags": ["meta"], "security": [],
        "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document")},
    }},
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "MAPPA Flow API", "version": "1.0.0",
             "description": "MAPPA cases and task inboxes. Create a token with `flask mappa token create USERNAME` "
                            "or on your account page, and send it as `Authorization: Bearer <token>`. Case data is "
                            "scoped to the caller's MAPPA area; every read is access-logged."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "tags": [{"name": "cases"}, {"name": "tasks"}, {"name": "meta"}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "An API token (mf_...)"}},
        "schemas": SCHEMAS,
        "responses": RESPONSES,
    },
}
