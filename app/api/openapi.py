"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. Tests check it against the URL map."""

from __future__ import annotations

from typing import Any

from app.routing import MAX_ID
from services import tasks as task_service
from services.area_tasks import BANDS, SORTS
from services.case_search import LIMIT, MAX_QUERY
from services.cases import STATUSES
from services.minutes_sections import ACTION_OWNERS, ALL_SECTIONS, LEVEL_DECISIONS, TEXT_SECTIONS
from services.outcomes import CUSTODY_REASONS, OUTCOMES
from workflows.lanes import ACTION_OWNER_ROLES, LEAD_AGENCIES, LEAD_ROLES, ROLE_BY_KEY, ROLE_NAMES


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    """Error responses; an operation that takes a token (401) may also answer 429 (too many bad tokens)."""
    listed = (*statuses, 429) if 401 in statuses else statuses
    return {str(status): {"$ref": f"#/components/responses/{ERROR_RESPONSES[status]}"} for status in listed}


def _id_param(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": what,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}
ERROR_RESPONSES = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 412: "PreconditionFailed",
                   413: "TooLarge", 422: "Invalid", 428: "PreconditionRequired", 429: "TooManyRequests"}

FLAG = {"type": "boolean"}

OFFENDER_IN = {
    "type": "object", "additionalProperties": False, "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Full name"},
        "date_of_birth": DATE, "pnc_id": {"type": "string", "maxLength": 40},
        "crn": {"type": "string", "maxLength": 40, "description": "NDelius case reference number"},
        "visor_reference": {"type": "string", "maxLength": 40, "description": "If a ViSOR record already exists"},
    },
}


def _when_route(route: dict[str, Any], *required: str, given: bool = False) -> dict[str, Any]:
    """``given``: the condition holds only when route is in the body (otherwise also when it is left out)."""
    condition: dict[str, Any] = {"properties": {"route": route}} | ({"required": ["route"]} if given else {})
    return {"if": condition, "then": {"required": list(required)}}


REFERRAL_IN = {
    "type": "object", "additionalProperties": False,
    "required": ["offender", "category", "lead_agency", "custody"],
    "description": "Opens a case in the caller's own area, by a MAPPA A referral (Level 2 or 3 sought) or by "
                   "identifying an offender as MAPPA eligible (managed at Level 1 unless referred). Null counts as "
                   "not given.",
    "properties": {
        "route": {"type": "string", "enum": ["referral", "identification"], "default": "referral",
                  "description": "identification takes no level_requested, referral_reason, level3_reason, rosh or "
                                 "senior_resources_needed, and needs sentence_date"},
        "offender": OFFENDER_IN,
        "category": {"type": "integer", "enum": [1, 2, 3, 4], "description": "MAPPA category"},
        "area": {"type": "string", "description": "Area code; when given it must be the caller's own area"},
        "lead_agency": {"type": "string", "enum": list(LEAD_AGENCIES)},
        "custody": {"type": "boolean"},
        "release_date": {**DATE, "description": "Required when custody is true; refused when custody is false"},
        "sentence_date": {**DATE, "description": "Required for identification"},
        "licence_end": {**DATE, "description": "Licence or hospital order end: category 2 cases exit then"},
        "notification_end": {**DATE, "description": "Notification period end: category 1 cases exit then"},
        "notification_indefinite": {"type": "boolean", "description": "Category 1 with indefinite notification: "
                                    "reviewed at 15 years (8 if under 18 at conviction)"},
        "victims_flag": FLAG, "children_flag": FLAG, "vulnerable_adults_flag": FLAG,
        "level_requested": {"type": "integer", "enum": [2, 3], "default": 2, "description": "Referral only"},
        "level3_reason": {"type": "string", "minLength": 1, "maxLength": 8000,
                          "description": "What Level 2 cannot deliver; required when level_requested is 3"},
        "rosh": {"type": "string", "enum": ["low", "medium", "high", "very_high"],
                 "description": "Risk of serious harm; required for a referral"},
        "senior_resources_needed": {"type": "boolean"},
        "referral_reason": {"type": "string", "minLength": 1, "maxLength": 8000,
                            "description": "Required for a referral"},
    },
    "allOf": [
        _when_route({"not": {"const": "identification"}}, "referral_reason", "rosh"),
        _when_route({"const": "identification"}, "sentence_date", given=True),
    ],
}

REASON = {"type": "string", "minLength": 1, "maxLength": 8000, "description": "Why; kept in the case history"}


def _request(about: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "description": about, "required": required,
            "properties": properties}


EARLY_REVIEW_IN = _request(
    "Interrupts the wait for the next review: the review is then due within the area's early review working days.",
    ["reason", "detail"],
    {"reason": {"type": "string", "enum": ["risk_change", "breach", "recall", "arrest", "move", "intelligence"]},
     "detail": {"type": "string", "minLength": 1, "maxLength": 8000, "description": "What has happened"}})
RELEASE_DATE_IN = _request(
    "Custody cases only; the Responsible Authority (offender manager, police, prison) or the MAPPA coordinator. "
    "Steps not yet done are re-planned from the new date; finished work is kept.",
    ["release_date", "reason"], {"release_date": DATE, "reason": REASON})
TRANSFER_IN = _request(
    "Moves the case to another MAPPA area, which re-screens its level; the sending area no longer sees the case "
    "afterwards. Only the MAPPA coordinator, or a manager of the case's lead agency, may (else 403).",
    ["to_area", "reason"],
    {"to_area": {"type": "string", "description": "The receiving area's code"}, "reason": REASON})
LEAD_IN = _request(
    "Changes the lead agency, and the lead officer (a user in the case's area holding the lead agency's lead role: "
    + ", ".join(f"{agency}: {role}" for agency, role in LEAD_ROLES.items()) + "; null for none). Only "
    "the MAPPA coordinator, or a manager of the case's lead agency, may (else 403).",
    ["lead_agency", "reason"], {"lead_agency": {"type": "string", "enum": list(LEAD_AGENCIES)},
                                "lead_officer": _nullable("string", description="Username"), "reason": REASON})
ACTION_IN = _request(
    "An action agreed for the case (MAPPA coordinator, administrator or chair): a task for the owning agency role, "
    "escalated to the chair and coordinator when overdue.", ["description", "owner_role", "due"],
    {"description": {"type": "string", "minLength": 1, "maxLength": 8000},
     "owner_role": {"type": "string", "enum": list(ACTION_OWNER_ROLES),
                    "description": "The agency role that owns the action: " + ", ".join(
                        f"{key} ({ROLE_NAMES[key]})" for key in ACTION_OWNER_ROLES)},
     "due": {**DATE, "description": "Not in the past"}})
OUTCOME_IN = _request(
    "Something the national MAPPA annual statistics count, recorded in the case history with the case's level that "
    "day (the Responsible Authority or the MAPPA coordinator): " + "; ".join(f"{k} ({v})" for k, v in OUTCOMES.items()),
    ["kind", "on"],
    {"kind": {"type": "string", "enum": list(OUTCOMES)}, "on": {**DATE, "description": "The day it happened"},
     "reason": {"type": "string", "enum": list(CUSTODY_REASONS),
                "description": "Required for returned_to_custody: " + "; ".join(
                    f"{k} ({v})" for k, v in CUSTODY_REASONS.items())},
     "note": {"type": "string", "maxLength": 8000}})
ANNUAL_TABLE = {"type": "object", "additionalProperties": False, "required": ["key", "title", "columns", "rows"],
                "properties": {"key": {"type": "string"}, "title": {"type": "string"},
                               "columns": {"type": "array", "items": {"type": "string"}},
                               "rows": {"type": "array", "items": {"type": "array", "items": {
                                   "type": ["string", "integer", "number", "null"]}}}}}
ANNUAL = _request("MAPPA annual statistics for the caller's area; figures at 31 March are as the case history "
                  "recorded them on that day. Aggregates only.", ["area", "year_starting", "year_ending", "marking",
                                                                  "tables"],
                  {"area": {"type": "string"}, "year_starting": DATE, "year_ending": DATE,
                   "marking": {"type": "string", "const": "OFFICIAL-SENSITIVE"},
                   "tables": {"type": "array", "items": ANNUAL_TABLE}})

SETTING_VALUES = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                  "description": "Setting name -> whole number (the unit is in the name: weeks, months, days, "
                                 "working_days)"}
SETTINGS = _request("The caller's MAPPA area durations", ["area", "editable", "settings"],
                    {"area": {"type": "string", "description": "MAPPA area code"},
                     "editable": {"type": "boolean", "description": "Whether the caller may change them"},
                     "settings": SETTING_VALUES})
SETTINGS_IN = _request("Only the settings to change; the others keep their values", ["settings"],
                       {"settings": SETTING_VALUES})

TASK_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"}, "case_id": {"type": "integer"}, "case_reference": {"type": "string"},
    "name": {"type": "string", "description": "The step's name; filter the inbox with ?step="},
    "lane": {"type": "string", "description": "BPMN lane the step is drawn in (an action's owner is its role)"},
    "role": {"type": "string", "description": "The agency role that works the task", "enum": list(ROLE_NAMES)},
    "role_name": {"type": "string", "description": "The role in words, e.g. Police Public Protection"},
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


CASE: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "reference", "offender", "category", "category_code", "level", "status", "lead_agency",
                 "lead_officer", "custody", "release_date", "sentence_date", "licence_end", "notification_end",
                 "notification_indefinite", "notification_review_due", "flags", "next_review_due", "exit_reason",
                 "exit_date", "area", "visor_reference", "open_tasks", "links"],
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
        "sentence_date": _nullable("string", format="date"),
        "licence_end": _nullable("string", format="date"),
        "notification_end": _nullable("string", format="date"),
        "notification_indefinite": {"type": "boolean"},
        "notification_review_due": _nullable("string", format="date", description="When an indefinite "
                                             "notification is next reviewed: the case's exit review point"),
        "flags": {"type": "object", "additionalProperties": False,
                  "required": ["victims", "children", "vulnerable_adults"],
                  "properties": {"victims": FLAG, "children": FLAG, "vulnerable_adults": FLAG},
                  "description": "Identifiable victims, risks to children, risks to adults at risk"},
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

_SUMMARY_KEYS = ("id", "reference", "category", "category_code", "level", "status", "lead_agency", "next_review_due",
                 "exit_date", "area")
_OFFENDER = CASE["properties"]["offender"]
CASE_SUMMARY_PROPERTIES = {key: CASE["properties"][key] for key in _SUMMARY_KEYS} | {
    "offender": {**_OFFENDER, "required": [*_OFFENDER["required"], "visor_reference"],
                 "properties": _OFFENDER["properties"] | {"visor_reference": _nullable("string")}},
    "review_overdue": {"type": "boolean", "description": "Open (not exited or ineligible) and its next review date "
                                                         "has passed"},
    "links": {"type": "object", "additionalProperties": False, "required": ["self"],
              "properties": {"self": {"type": "string"}}},
}
CASE_LIST = {
    "type": "object", "additionalProperties": False, "required": ["cases", "total"],
    "properties": {
        "cases": {"type": "array", "maxItems": LIMIT, "items": {
            "type": "object", "additionalProperties": False, "required": list(CASE_SUMMARY_PROPERTIES),
            "properties": CASE_SUMMARY_PROPERTIES}, "description": f"Next review first; at most {LIMIT}"},
        "total": {"type": "integer", "minimum": 0, "description": "All the cases that match, even beyond the list"},
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

CONTEXT = {"type": "object", "description": "Workflow data this step shows, e.g. suggested_level, suggestion_reason, "
                                          "level_requested, early_review_reason, action_description, action_due"}

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


# --- MAPP meetings -----------------------------------------------------------------------------------------------

MEETING_IN = _request(
    "Schedules a Level 2 or 3 MAPP meeting in the caller's area (MAPPA coordinators and administrators). Give a "
    "venue, an online link or both.", ["area", "level", "starts_at", "chair"],
    {"area": {"type": "string", "description": "The caller's own MAPPA area code"},
     "level": {"type": "integer", "enum": [2, 3]},
     "starts_at": {**DATE_TIME, "description": "ISO 8601 with an offset (-12:00 to +14:00), in the future, "
                                               "before 2200"},
     "chair": {"type": "string", "description": "Username of a MAPP meeting chair in the caller's area"},
     "venue": {"type": "string", "maxLength": 200}, "online_link": {"type": "string", "maxLength": 400},
     "duration_minutes": {"type": "integer", "minimum": 15, "maximum": 600, "default": 180}})

RESEARCH_FLAG = {"type": "object", "description": "Research by an agency before the meeting: agency, by, at, "
                                                  "concern, flag_to_chair"}
AGENDA_ITEM = {
    "type": "object", "additionalProperties": False,
    "required": ["case_id", "case_reference", "offender_name", "position", "minutes_allotted", "kind",
                 "research_flags", "links"],
    "properties": {
        "case_id": {"type": "integer"}, "case_reference": {"type": "string"}, "offender_name": {"type": "string"},
        "position": {"type": "integer", "minimum": 1, "description": "Order on the agenda, from 1"},
        "minutes_allotted": {"type": "integer", "minimum": 1},
        "kind": {"type": "string", "enum": ["initial", "review", "early review"]},
        "research_flags": {"type": ["array", "null"], "items": RESEARCH_FLAG,
                           "description": "null for a role that may not read research notes (a duty-to-co-operate "
                                          "agency: services.meeting_access)"},
        "links": {"type": "object", "additionalProperties": False, "required": ["minutes"],
                  "properties": {"minutes": {"type": "string"}}},
    },
}
ATTENDANCE = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "case_id", "agency", "person", "status", "updated_at"],
    "properties": {
        "id": {"type": "integer"},
        "case_id": _nullable("integer", description="The agenda item's case; null for the whole meeting"),
        "agency": {"type": "string"}, "person": _nullable("string"),
        "status": {"type": "string", "enum": ["invited", "present", "apologies", "report received", "absent"]},
        "updated_at": DATE_TIME,
    },
}
MEETING_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"}, "title": {"type": "string"},
    "area": {"type": "string", "description": "MAPPA area code"}, "level": {"type": "integer", "enum": [2, 3]},
    "starts_at": DATE_TIME, "ends_at": DATE_TIME, "venue": _nullable("string"), "online_link": _nullable("string"),
    "chair": {"type": "string", "description": "Username"},
    "status": {"type": "string", "enum": ["scheduled", "in progress", "held", "cancelled"]},
    "series": _nullable("string", description="Shared by the meetings of one recurring slot"),
    "links": {"type": "object", "additionalProperties": False, "required": ["self", "agenda_pdf", "invite"],
              "properties": {"self": {"type": "string"}, "agenda_pdf": {"type": "string"},
                             "invite": {"type": "string"}}},
}


def _meeting(**more: Any) -> dict[str, Any]:
    properties = MEETING_PROPERTIES | more
    return {"type": "object", "additionalProperties": False, "required": list(properties), "properties": properties}


MEETING_DETAIL: dict[str, Any] = {
    "agenda": {"type": "array", "items": _ref("AgendaItem"),
               "description": "In agenda order; a duty-to-co-operate agency gets only the cases it works on"},
    "agenda_not_shown": {"type": "integer", "minimum": 0,
                         "description": "How many agenda items the caller may not see (never named)"},
    "attendance": {"type": "array", "items": _ref("Attendance"),
                   "description": "Agencies invited, by agenda item (the items shown) and for the whole meeting"},
}
SECTIONS_DESCRIPTION = ("The MAPPA C sections: " + "; ".join(f"{k} ({v})" for k, v in ALL_SECTIONS.items()))
SECTION_VALUES: dict[str, Any] = {key: {"type": "string", "maxLength": 40_000} for key in TEXT_SECTIONS} | {
    "actions": {"type": "array", "items": {
        "type": "object", "required": ["description"],
        "description": "Checked when saved (422 at sections.actions.N.description, .owner_role or .due); the owner "
                       "and due date may be left empty while the minutes are written, but are needed to submit them",
        "properties": {"description": {"type": "string", "minLength": 1},
                       "owner_role": {"type": "string", "description": "One of " + ", ".join(ACTION_OWNERS)},
                       "owner_agency": {"type": "string"},
                       "due": {"type": ["string", "null"], "description": "YYYY-MM-DD, not in the past"}}}},
    "level_decision": {"type": ["object", "null"], "properties": {
        "decision": {"enum": [*LEVEL_DECISIONS, "", None]}, "rationale": {"type": ["string", "null"]}}},
    "next_review_date": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
}
MINUTES_SECTIONS = {"type": "object", "additionalProperties": False, "required": list(ALL_SECTIONS),
                    "description": SECTIONS_DESCRIPTION + ". Sections not written yet are \"\", [] or null.",
                    "properties": SECTION_VALUES}
MINUTES = {
    "type": "object", "additionalProperties": False,
    "required": ["meeting_id", "case_id", "status", "version", "sections", "updated_at", "updated_by"],
    "properties": {
        "meeting_id": {"type": "integer"}, "case_id": {"type": "integer"},
        "status": {"type": "string", "enum": ["draft", "awaiting approval", "approved", "distributed"]},
        "version": {"type": "integer", "minimum": 0, "description": "Number of saves"},
        "sections": _ref("MinutesSections"), "updated_at": DATE_TIME,
        "updated_by": _nullable("string", description="Username of the last to save; null before the first save"),
    },
}
MINUTES_IN = _request("Only the sections to save; the others keep their saved text", ["sections"],
                      {"sections": {"type": "object", "additionalProperties": False, "properties": SECTION_VALUES,
                                    "description": SECTIONS_DESCRIPTION}})
STALE_ERROR = {"type": "object", "additionalProperties": False, "required": ["status", "message"],
               "properties": {"status": {"const": 412}, "message": {"type": "string"}}}
STALE = {
    "type": "object", "additionalProperties": False, "required": ["error", "current"],
    "properties": {"error": STALE_ERROR, "current": _ref("Minutes")},
}

TOKEN = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "name", "prefix", "owner", "status", "created_at", "expires_at", "last_used_at", "revoked_at"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "prefix": {"type": "string", "description": "The token's first characters (the rest is never stored)"},
        "owner": {"type": "string", "description": "Username of the person the token acts as"},
        "status": {"type": "string", "enum": ["active", "expired", "revoked"]},
        "created_at": DATE_TIME, "expires_at": DATE_TIME,
        "last_used_at": _nullable("string", format="date-time"), "revoked_at": _nullable("string", format="date-time"),
    },
}

NOTIFICATION = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "rule", "title", "body", "task_id", "case_id", "created_at", "read_at"],
    "properties": {
        "id": {"type": "integer"},
        "rule": {"type": "string", "enum": ["overdue", "escalation", "digest"],
                 "description": "overdue: a step you hold (or your role's, unclaimed) is late; escalation: a step "
                                "is late beyond the area's escalation working days (line managers, coordinators); "
                                "digest: your steps late or due soon, once a day"},
        "title": {"type": "string"}, "body": {"type": "string", "description": "Case reference and step only"},
        "task_id": _nullable("integer"), "case_id": _nullable("integer"),
        "created_at": DATE_TIME, "read_at": _nullable("string", format="date-time"),
    },
}

# --- studio: comparisons and migrations --------------------------------------------------------------------------

CHANGE_KIND = {"type": "string", "enum": ["added", "removed", "changed"]}
ELEMENT_CHANGE = {
    "type": "object", "additionalProperties": False, "required": ["id", "type", "name", "change", "details"],
    "properties": {
        "id": {"type": "string", "description": "Element id (in the newer version when its id changed)"},
        "type": {"type": "string", "description": "userTask, sequenceFlow, exclusiveGateway, decision, form, field..."},
        "name": {"type": "string"}, "change": CHANGE_KIND,
        "details": {"type": "array", "items": {"type": "string"},
                    "description": "What changed, readably: name, lane, form, due rule, assignee, role, hook, "
                                   "condition, timer, script, documentation, incoming and outgoing flows, rules"},
        "fields": {"type": "array", "items": _ref("ElementChange"), "description": "Forms only: changed fields"},
    },
}
COMPARISON = {
    "type": "object", "additionalProperties": False, "required": ["elements", "forms"],
    "properties": {"elements": {"type": "array", "items": _ref("ElementChange"),
                                "description": "Removed, then changed, then added; each by id"},
                   "forms": {"type": "array", "items": _ref("ElementChange"),
                             "description": "The forms the user tasks use, field by field"}},
}
VERSION = {"type": "integer", "minimum": 1}
MIGRATION_IN = _request(
    "Move the running instances of version `from` of a model to version `to` (all of them, or `instance`). With "
    "dry_run only the plan is returned. A real migration moves every instance or none (409 with the reasons).",
    ["model", "from", "to", "dry_run"],
    {"model": {"type": "string", "description": "The model's key (process id), e.g. mappa_review"},
     "from": VERSION, "to": VERSION, "dry_run": {"type": "boolean"},
     "instance": {"type": "integer", "minimum": 1, "description": "One process instance only"}})
STEP_REF = {"type": "object", "additionalProperties": False, "required": ["id", "name"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}
INSTANCE_PLAN = {
    "type": "object", "additionalProperties": False, "required": ["instance", "case", "ok", "reason", "waiting"],
    "properties": {
        "instance": {"type": "integer"}, "case": {"type": "integer", "description": "Case id"},
        "ok": {"type": "boolean"}, "reason": _nullable("string", description="Why it cannot move"),
        "waiting": {"type": "array", "description": "Each waiting task and the task it becomes", "items": {
            "type": "object", "additionalProperties": False, "required": ["task", "state", "from", "to"],
            "properties": {"task": {"type": "string", "description": "Engine task id (kept by the move)"},
                           "state": {"type": "string", "enum": ["ready", "waiting"]}, "from": STEP_REF,
                           "to": {"oneOf": [STEP_REF, {"type": "null"}], "description": "null: it would vanish"}}}},
    },
}
MIGRATION = {
    "type": "object", "additionalProperties": False, "required": ["model", "from", "to", "dry_run", "plan"],
    "properties": {"model": {"type": "string"}, "from": VERSION, "to": VERSION, "dry_run": {"type": "boolean"},
                   "plan": {"type": "array", "items": _ref("InstancePlan")}},
}
MIGRATION_REFUSED = {
    "type": "object", "additionalProperties": False, "required": ["error", "plan"],
    "properties": {
        "error": {"type": "object", "additionalProperties": False, "required": ["status", "message", "reasons"],
                  "properties": {"status": {"type": "integer"}, "message": {"type": "string"},
                                 "reasons": {"type": "array", "items": {"type": "string"}}}},
        "plan": {"type": "array", "items": _ref("InstancePlan")}},
}

SCHEMAS = {
    "ReferralRequest": REFERRAL_IN,
    "EarlyReviewRequest": EARLY_REVIEW_IN,
    "ReleaseDateRequest": RELEASE_DATE_IN,
    "TransferRequest": TRANSFER_IN,
    "LeadRequest": LEAD_IN,
    "ActionRequest": ACTION_IN,
    "OutcomeRequest": OUTCOME_IN,
    "AnnualStatistics": ANNUAL,
    "Settings": SETTINGS,
    "SettingsRequest": SETTINGS_IN,
    "Case": CASE,
    "CaseList": CASE_LIST,
    "Task": _task(),
    "TaskDetail": _task(context=CONTEXT, form=FORM),
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
    "MeetingRequest": MEETING_IN,
    "MeetingSummary": _meeting(),
    "Meeting": _meeting(**MEETING_DETAIL),
    "AgendaBuilt": _meeting(**MEETING_DETAIL, added={"type": "array", "items": _ref("AgendaItem"),
                                                     "description": "The cases this call put on the agenda"}),
    "MeetingList": {"type": "object", "additionalProperties": False, "required": ["meetings"],
                    "properties": {"meetings": {"type": "array", "items": _ref("MeetingSummary"),
                                                "description": "By start time"}}},
    "AgendaItem": AGENDA_ITEM,
    "Attendance": ATTENDANCE,
    "Minutes": MINUTES,
    "MinutesSections": MINUTES_SECTIONS,
    "MinutesRequest": MINUTES_IN,
    "StaleMinutes": STALE,
    "Error": ERROR,
    "FieldError": FIELD_ERROR,
    "Token": TOKEN,
    "TokenList": {"type": "object", "additionalProperties": False, "required": ["tokens"],
                  "properties": {"tokens": {"type": "array", "items": _ref("Token")}}},
    "Notification": NOTIFICATION,
    "NotificationList": {"type": "object", "additionalProperties": False, "required": ["unread", "notifications"],
                         "properties": {"unread": {"type": "integer", "minimum": 0},
                                        "notifications": {"type": "array", "items": _ref("Notification"),
                                                          "description": "Newest first, at most 100"}}},
    "ElementChange": ELEMENT_CHANGE,
    "Comparison": COMPARISON,
    "MigrationRequest": MIGRATION_IN,
    "InstancePlan": INSTANCE_PLAN,
    "Migration": MIGRATION,
    "MigrationRefused": MIGRATION_REFUSED,
}

RESPONSES = {
    "Unauthorized": _json(_ref("Error"), "No bearer token, or an unknown, expired or revoked one"),
    "Forbidden": _json(_ref("Error"), "The caller's role does not allow this, or the task is for another role"),
    "NotFound": _json(_ref("Error"), "Not found, or in another MAPPA area (never disclosed)"),
    "Conflict": _json(_ref("Error"), "The task was completed already or is claimed by someone else, or the case is "
                                     "not in a state that allows this (closed, no review waiting): the message says "
                                     "why"),
    "Invalid": _json(_ref("Error"), "Invalid request: error.errors lists each field path and message"),
    "PreconditionFailed": {
        **_json(_ref("StaleMinutes"), "Someone else saved since your If-Match version: nothing was saved; current "
                                      "holds what is saved now, and the ETag header its version"),
        "headers": {"ETag": {"description": "The current version", "schema": {"type": "string"}}}},
    "PreconditionRequired": _json(_ref("Error"), "No If-Match header: GET the resource first and send its ETag"),
    "TooLarge": _json(_ref("Error"), "The upload is larger than 5 MB: refused before it was read; nothing stored"),
    "TooManyRequests": {
        **_json(_ref("Error"), "Too many wrong, expired or revoked tokens from the caller's address lately: nothing "
                               "was done; try again after Retry-After seconds"),
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}},
}

TASK_ID = _id_param("task_id", "Task id")
MEETING_ID = _id_param("meeting_id", "MAPP meeting id")
ETAG = {"ETag": {"description": "The minutes' version: send it back as If-Match", "schema": {"type": "string"}}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
            "description": "The ETag of the minutes as you last read them"}
CASE_ID = _id_param("case_id", "Case id")
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$"},
    "description": "Your own unique text (a UUID) for this change. Send the same request again with the same key "
                   "(say, after a dropped connection) to get the first answer again, marked Idempotent-Replayed: "
                   "true, with nothing done twice; the same key with a different request is refused (422). "
                   "Keys are kept for 24 hours.",
}


def _case_action(operation_id: str, summary: str, schema: str, status: str = "200") -> dict[str, Any]:
    """POST /cases/{case_id}/...: changes the case (the service checks the caller's role and the case's state)."""
    return {"post": {
        "operationId": operation_id, "summary": summary, "tags": ["cases"], "parameters": [CASE_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(schema)}}},
        "responses": {status: _json(_ref("Case"), "The case afterwards"), **_errors(401, 403, 404, 409, 422)},
    }}


def _download(operation_id: str, summary: str, mimetype: str, *parameters: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"operationId": operation_id, "summary": summary, "tags": ["meetings"],
                    "parameters": list(parameters),
                    "responses": {"200": {"description": f"{summary} ({mimetype}), as an attachment",
                                          "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
                                          "content": {mimetype: {"schema": {"type": "string",
                                                                            "format": "binary"}}}},
                                  **_errors(401, 403, 404)}}}


def _task_action(summary: str, description: str) -> dict[str, Any]:
    return {"post": {"operationId": summary.split()[0].lower() + "Task", "summary": summary,
                     "description": description, "tags": ["tasks"], "parameters": [TASK_ID],
                     "responses": {"200": _json(_ref("Task"), "The task"), **_errors(401, 403, 404, 409)}}}


PATHS = {
    "/cases": {"get": {
        "operationId": "listCases", "summary": "Find cases", "tags": ["cases"],
        "description": "The cases the caller may see (their area; for duty-to-co-operate staff only the cases they "
                       "work on), next review first, as the case list page shows them. Each search is "
                       "access-logged with its number of matches.",
        "parameters": [
            {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": MAX_QUERY},
             "description": "Search: every word part of the offender's name, or part of the case reference, or "
                            "the whole NDelius CRN, ViSOR reference or PNC ID (19/12345A finds 2019/0012345A). "
                            "Case and spaces are ignored; empty lists every case. Longer than "
                            f"{MAX_QUERY} characters: 422 at q"},
            {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)},
             "description": "Only cases with this status"},
        ],
        "responses": {"200": _json(_ref("CaseList"), "The matching cases"), **_errors(401, 403, 422)},
    }, "post": {
        "operationId": "createCase", "summary": "Refer or identify a case", "tags": ["cases"],
        "description": "Opens a MAPPA case in the caller's area and starts its lifecycle (needs cases:refer): "
                       "referral and screening, or identification.",
        "parameters": [IDEMPOTENCY_KEY],
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
    "/cases/{case_id}/early-review": _case_action("requestEarlyReview", "Request an early review",
                                                  "EarlyReviewRequest"),
    "/cases/{case_id}/release-date": _case_action("changeReleaseDate", "Change the earliest release date",
                                                  "ReleaseDateRequest"),
    "/cases/{case_id}/transfer": _case_action("transferCase", "Transfer to another MAPPA area", "TransferRequest"),
    "/cases/{case_id}/lead": _case_action("changeLead", "Change lead agency or officer", "LeadRequest"),
    "/cases/{case_id}/actions": _case_action("agreeAction", "Record an agreed action", "ActionRequest", "201"),
    "/cases/{case_id}/outcomes": _case_action("recordOutcome", "Record a return to custody, breach, SFO or SCR",
                                              "OutcomeRequest", "201"),
    "/statistics/annual": {"get": {
        "operationId": "getAnnualStatistics", "summary": "MAPPA annual statistics and the SMB performance pack",
        "tags": ["statistics"],
        "description": "For the year ending 31 March (default: the last one passed), in the caller's area (needs "
                       "statistics:export). CSV, XLSX and PDF are attachments marked OFFICIAL-SENSITIVE.",
        "parameters": [
            {"name": "year_ending", "in": "query", "required": False, "schema": {**DATE, "description": "A 31 March"}},
            {"name": "format", "in": "query", "required": False,
             "schema": {"type": "string", "enum": ["json", "csv", "xlsx", "pdf"], "default": "json"}}],
        "responses": {"200": {"description": "The tables", "content": {
            "application/json": {"schema": _ref("AnnualStatistics")},
            **{mime: {"schema": {"type": "string", "format": "binary"}} for mime in (
                "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf")}}},
            **_errors(401, 403, 422)}}},
    "/settings": {
        "get": {"operationId": "getSettings", "summary": "The caller's area settings", "tags": ["settings"],
                "responses": {"200": _json(_ref("Settings"), "The settings"), **_errors(401, 403)}},
        "put": {"operationId": "updateSettings", "summary": "Change the caller's area settings",
                "description": "MAPPA coordinators only. Each value must be a whole number within the setting's "
                               "range; a 422 names each field as settings.<name>.", "tags": ["settings"],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("SettingsRequest")}}},
                "responses": {"200": _json(_ref("Settings"), "The settings afterwards"), **_errors(401, 403, 422)}},
    },
    "/tasks": {"get": {
        "operationId": "listTasks", "summary": "The caller's inbox", "tags": ["tasks"],
        "description": "Tasks assigned to the caller, and unclaimed tasks whose role and area match theirs.",
        "parameters": [
            {"name": "case", "in": "query", "schema": {"type": "integer"}, "description": "Only this case's tasks"},
            {"name": "step", "in": "query", "schema": {"type": "string"}, "description": "Only tasks with this name"},
            {"name": "due", "in": "query", "schema": {"type": "string", "enum": list(task_service.DUES)},
             "description": "; ".join(f"{key}: {text}" for key, text in task_service.DUES.items())},
            {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(task_service.SORT_NAMES),
                                                       "default": "due"}},
            {"name": "show", "in": "query", "schema": {"type": "string", "enum": list(task_service.SHOWS),
                                                       "default": "all"},
             "description": "; ".join(f"{key}: {text}" for key, text in task_service.SHOWS.items())
                            + " (a value not listed is a 422 at show)"},
            {"name": "limit", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": task_service.API_PAGE_SIZE,
                        "default": task_service.API_PAGE_SIZE},
             "description": "At most this many tasks, the first in the sort order"},
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
    "/tasks/{task_id}/reassign": {"post": {
        "operationId": "reassignTask", "summary": "Hand a task to a named person", "tags": ["tasks"],
        "description": "The holder delegates it, or a MAPPA coordinator or manager reassigns it, to someone in the "
                       "area who holds the task's role.",
        "parameters": [TASK_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["assignee"], "additionalProperties": False,
            "properties": {"assignee": {"type": "string", "description": "Username"},
                           "reason": {"type": ["string", "null"]}}}}}},
        "responses": {"200": _json(_ref("Task"), "The task, now with the new assignee"),
                      **_errors(401, 403, 404, 409, 422)},
    }},
    "/tasks/{task_id}/complete": {"post": {
        "operationId": "completeTask", "summary": "Complete a task with its form's data", "tags": ["tasks"],
        "description": "Validates data against the form's schema, then advances the process. Of several racing "
                       "completions exactly one succeeds; the others get 409.",
        "parameters": [TASK_ID, IDEMPOTENCY_KEY],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CompleteRequest")}}},
        "responses": {"200": _json(_ref("CompleteResponse"), "The completed task and the caller's next tasks"),
                      **_errors(401, 403, 404, 409, 422)},
    }},
    "/openapi.json": {"get": {
        "operationId": "getOpenApi", "summary": "This document", "tags": ["meta"], "security": [],
        "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document")},
    }},
}


MEETING_PATHS = {
    "/meetings": {
        "post": {
            "operationId": "scheduleMeeting", "summary": "Schedule a MAPP meeting", "tags": ["meetings"],
            "description": "MAPPA coordinators and administrators. The meeting is in the caller's area.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("MeetingRequest")}}},
            "responses": {
                "201": {**_json(_ref("Meeting"), "The new meeting, with an empty agenda"),
                        "headers": {"Location": {"description": "The meeting's URL", "schema": {"type": "string"}}}},
                **_errors(401, 403, 422)},
        },
        "get": {
            "operationId": "listMeetings", "summary": "MAPP meetings in the caller's area", "tags": ["meetings"],
            "description": "A duty-to-co-operate agency lists only the meetings it is invited to or works on a "
                           "case at.",
            "parameters": [
                {"name": "area", "in": "query", "schema": {"type": "string"},
                 "description": "Must be the caller's own area code when given"},
                {"name": "from", "in": "query", "schema": {"type": "string"},
                 "description": "Starting at or after: a date (YYYY-MM-DD, London) or a date-time with an offset"},
                {"name": "to", "in": "query", "schema": {"type": "string"},
                 "description": "Starting before: a date-time with an offset, or a date (the whole day included)"},
            ],
            "responses": {"200": _json(_ref("MeetingList"), "Meetings by start time"), **_errors(401, 403, 422)},
        },
    },
    "/meetings/{meeting_id}": {"get": {
        "operationId": "getMeeting", "summary": "A meeting with its agenda and attendance", "tags": ["meetings"],
        "description": "Need to know (services.meeting_access): the Responsible Authority and the MAPPA unit see "
                       "the whole agenda with research notes; a duty-to-co-operate agency sees a meeting only if it "
                       "is invited or works on a case on it (404 otherwise), and only those cases' items. Its "
                       "papers, minutes and recordings are refused to it (403).",
        "parameters": [MEETING_ID], "responses": {"200": _json(_ref("Meeting"), "The meeting"),
                                                  **_errors(401, 403, 404)},
    }},
    "/meetings/{meeting_id}/chair": {"put": {
        "operationId": "changeMeetingChair", "summary": "Name another chair for the meeting", "tags": ["meetings"],
        "description": "MAPPA coordinators and administrators. Only the meeting's chair approves its minutes; when "
                       "they cannot, name another chair of the area with the reason. Approvals waiting for the "
                       "meeting's minutes, and later ones, go to the new chair (services.meeting_chair).",
        "parameters": [MEETING_ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["chair", "reason"],
            "properties": {"chair": {"type": "string", "description": "Username of a MAPP meeting chair in the area"},
                           "reason": {"type": "string", "minLength": 1}}}}}},
        "responses": {"200": _json(_ref("Meeting"), "The meeting, with its new chair"),
                      **_errors(401, 403, 404, 422)},
    }},
    "/meetings/{meeting_id}/agenda/build": {"post": {
        "operationId": "buildAgenda", "summary": "Put the cases due on the agenda", "tags": ["meetings"],
        "description": "MAPPA coordinators and administrators, before the meeting starts. Adds the cases at the "
                       "meeting's level and area whose meeting or review falls due, in due-date order, invites "
                       "their agencies and starts research. A case is on one upcoming agenda at most: cases booked "
                       "on another meeting not yet held (whose day has not passed) are not added, and concurrent "
                       "builds each get a 200 with what they added.",
        "parameters": [MEETING_ID],
        "responses": {"200": _json(_ref("AgendaBuilt"), "The meeting, and the items added"),
                      **_errors(401, 403, 404, 409)},
    }},
    "/meetings/{meeting_id}/open": {"post": {
        "operationId": "openMeeting", "summary": "Open the meeting (MAPPA D statement read)", "tags": ["meetings"],
        "description": "Coordinators, administrators and chairs. Records the confidentiality and diversity statement "
                       "as read and starts the minutes of each case on the agenda, due within the area's drafting "
                       "deadline from the meeting. Opening a meeting already in progress changes nothing.",
        "parameters": [MEETING_ID],
        "responses": {"200": _json(_ref("Meeting"), "The meeting, in progress"), **_errors(401, 403, 404, 409)},
    }},
    "/meetings/{meeting_id}/close": {"post": {
        "operationId": "closeMeeting", "summary": "Close the meeting: it has been held", "tags": ["meetings"],
        "description": "Coordinators, administrators and chairs, for a meeting in progress. Its cases can go on "
                       "later agendas again and open research tasks for it are cancelled (in each case's history).",
        "parameters": [MEETING_ID],
        "responses": {"200": _json(_ref("Meeting"), "The meeting, held"), **_errors(401, 403, 404, 409)},
    }},
    "/meetings/{meeting_id}/agenda.pdf": _download("getAgendaPdf", "The agenda", "application/pdf", MEETING_ID),
    "/meetings/{meeting_id}/invite.ics": _download("getMeetingInvite", "Calendar invitation", "text/calendar",
                                                   MEETING_ID),
    "/meetings/{meeting_id}/minutes/{case_id}": {
        "get": {
            "operationId": "getMinutes", "summary": "One offender's minutes, by section", "tags": ["meetings"],
            "parameters": [MEETING_ID, CASE_ID],
            "responses": {"200": {**_json(_ref("Minutes"), "The minutes (a draft is started if none)"),
                                  "headers": ETAG}, **_errors(401, 403, 404)},
        },
        "put": {
            "operationId": "saveMinutes", "summary": "Save some sections of the minutes", "tags": ["meetings"],
            "description": "MAPPA coordinators, administrators and chairs, while the minutes are a draft. Needs "
                           "If-Match: if someone else saved since, 412 with what is saved now (nothing is "
                           "overwritten). Sections not sent keep their text.",
            "parameters": [MEETING_ID, CASE_ID, IF_MATCH],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("MinutesRequest")}}},
            "responses": {"200": {**_json(_ref("Minutes"), "The minutes as saved"), "headers": ETAG},
                          **_errors(401, 403, 404, 409, 412, 422, 428)},
        },
    },
    "/meetings/{meeting_id}/minutes/{case_id}.pdf": _download("getMinutesPdf", "The minutes", "application/pdf",
                                                              MEETING_ID, CASE_ID),
}

TOKEN_PATHS = {
    "/tokens": {"get": {
        "operationId": "listTokens", "summary": "The caller's API tokens", "tags": ["tokens"],
        "description": "Newest first, expired and revoked ones too. Tokens are made on the account page (or by "
                       "`flask mappa token create`), never through the API.",
        "responses": {"200": _json(_ref("TokenList"), "Tokens"), **_errors(401, 403)}}},
    "/area/tokens": {"get": {
        "operationId": "listAreaTokens", "summary": "API tokens in use in the caller's area", "tags": ["tokens"],
        "description": "MAPPA coordinators and managers: every token of the area's people that is neither expired "
                       "nor revoked.",
        "responses": {"200": _json(_ref("TokenList"), "Tokens"), **_errors(401, 403)}}},
    "/tokens/{token_id}/revoke": {"post": {
        "operationId": "revokeToken", "summary": "Revoke an API token", "tags": ["tokens"],
        "description": "Your own token, or (MAPPA coordinators and managers) any token of your area's people; "
                       "from then on it gets 401. Revoking a revoked token changes nothing.",
        "parameters": [_id_param("token_id", "API token id")],
        "responses": {"200": _json(_ref("Token"), "The token, revoked"), **_errors(401, 403, 404)}}},
}

NOTIFICATION_PATHS = {
    "/notifications": {"get": {
        "operationId": "listNotifications", "summary": "The caller's notifications, with the unread count",
        "tags": ["notifications"],
        "description": "Reminders, escalations and daily digests sent to the caller (each also by email when they "
                       "have an address). Reading them here does not mark them read; the Notifications page does.",
        "responses": {"200": _json(_ref("NotificationList"), "Notifications"), **_errors(401, 403)}}},
}

# --- process models (the studio) ----------------------------------------------------------------------------------

FINDING = {
    "type": "object", "additionalProperties": False, "required": ["file", "element_id", "severity", "message", "kind"],
    "properties": {
        "file": {"type": "string"}, "element_id": _nullable("string", description="The BPMN/DMN element's id"),
        "severity": {"type": "string", "enum": ["error", "warning"], "description": "Errors stop publishing"},
        "message": {"type": "string"},
        "kind": {"type": "string", "description": "xml, parse, lane, form, due, gateway, timer, flow, script, hook, "
                                                  "data (xml, parse and script errors also refuse an import)"},
    },
}
CHECKS = {"type": "array", "items": _ref("Finding")}
FILES = {"type": "object", "additionalProperties": {"type": "string"},
         "description": "File name -> text: .bpmn, .dmn and forms/<key>.json (JSON Schema forms)"}
DRAFT_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"}, "key": {"type": "string", "description": "The process id"},
    "name": {"type": "string"}, "base_version": _nullable("integer"),
    "version": {"type": "integer", "description": "Saves so far"}, "etag": {"type": "string"},
    "status": {"type": "string", "enum": ["draft", "published", "discarded"]},
    "published_version": _nullable("integer"), "created_by": {"type": "string"}, "updated_by": {"type": "string"},
    "created_at": DATE_TIME, "updated_at": DATE_TIME,
}
DRAFT_SUMMARY = {"type": "object", "additionalProperties": False, "required": list(DRAFT_PROPERTIES),
                 "properties": DRAFT_PROPERTIES}
DRAFT = {"type": "object", "additionalProperties": False, "required": [*DRAFT_PROPERTIES, "files"],
         "properties": DRAFT_PROPERTIES | {"files": FILES}}
VERSION_PROPERTIES: dict[str, Any] = {
    "version": {"type": "integer"}, "name": {"type": "string"}, "published_at": DATE_TIME,
    "published_by": {"type": "string"}, "retired_at": _nullable("string", format="date-time"),
    "retired_by": _nullable("string"), "status": {"type": "string", "enum": ["published", "retired"]},
    "running_instances": {"type": "integer", "description": "Instances running on this version"},
}
MODEL_SCHEMAS = {
    "Finding": FINDING,
    "DraftSummary": DRAFT_SUMMARY,
    "Draft": DRAFT,
    "CheckedDraft": {"type": "object", "additionalProperties": False, "required": ["draft", "checks"],
                     "properties": {"draft": _ref("Draft"), "checks": CHECKS}},
    "VersionSummary": {"type": "object", "additionalProperties": False, "required": [*VERSION_PROPERTIES, "files"],
                       "properties": VERSION_PROPERTIES | {"files": {"type": "array", "items": {"type": "string"}}}},
    "Version": {"type": "object", "additionalProperties": False,
                "required": ["key", *VERSION_PROPERTIES, "files", "checks"],
                "properties": {"key": {"type": "string"}, **VERSION_PROPERTIES, "files": FILES, "checks": CHECKS}},
    "RetiredVersion": {"type": "object", "additionalProperties": False, "required": ["key", *VERSION_PROPERTIES],
                       "properties": {"key": {"type": "string"}, **VERSION_PROPERTIES,
                                      "files": {"type": "array", "items": {"type": "string"}}}},
    "ModelList": {"type": "object", "additionalProperties": False, "required": ["models"], "properties": {"models": {
        "type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["key", "name", "versions", "drafts"],
            "properties": {"key": {"type": "string"}, "name": {"type": "string"},
                           "versions": {"type": "array", "items": _ref("VersionSummary")},
                           "drafts": {"type": "array", "items": _ref("DraftSummary")}}}}}},
    "NewDraftRequest": {"type": "object", "additionalProperties": False,
                        "properties": {"from_version": {"type": "integer", "description": "Default: the latest"}}},
    "DraftRequest": {"type": "object", "required": ["files"], "properties": {"files": FILES}},
    "Published": {"type": "object", "additionalProperties": False, "required": ["key", "version"],
                  "properties": {"key": {"type": "string"}, "version": {"type": "integer"}}},
    "StaleDraft": {"type": "object", "additionalProperties": False, "required": ["error", "current"],
                   "properties": {"error": STALE_ERROR, "current": _ref("Draft")}},
}
MODEL_KEY = {"name": "key", "in": "path", "required": True, "description": "Process id, e.g. mappa_referral",
             "schema": {"type": "string"}}
VERSION_N = {"name": "n", "in": "path", "required": True, "description": "Version number",
             "schema": {"type": "integer", "minimum": 1}}
DRAFT_ID = _id_param("draft_id", "Draft id")
DRAFT_ETAG = {"ETag": {"description": "The draft's version: send it back as If-Match", "schema": {"type": "string"}}}


def _model_op(operation_id: str, summary: str, parameters: list[dict[str, Any]], responses: dict[str, Any],
              **more: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "summary": summary, "tags": ["models"], "parameters": parameters,
            "responses": responses, **more}


def _checked_draft(status: str, description: str) -> dict[str, Any]:
    return {status: {**_json(_ref("CheckedDraft"), description), "headers": DRAFT_ETAG}}


MODEL_PATHS = {
    "/models": {"get": _model_op("listModels", "Process models, their versions (running instances) and drafts", [],
                                 {"200": _json(_ref("ModelList"), "Models"), **_errors(401, 403)})},
    "/models/import": {"post": _model_op(
        "importModel", "Import a .bpmn or .dmn file as a draft", [
            {"name": "key", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "Make it a draft of this model: the file replaces the latest version's file of its kind"},
            {"name": "filename", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "The file's name when sent as the raw body"}],
        {**_checked_draft("201", "The draft and its checks (failing checks stop only publishing)"),
         **_errors(401, 403, 413, 422)},
        description="The file as the raw body (Content-Type: application/xml) or the multipart field `file`, at most "
                    "5 MB. Refused (422 on `file`, or on the element id) when unsafe (DTDs, entities), not BPMN/DMN, "
                    "not parseable, or holding code the sandbox refuses; nothing is stored then.",
        requestBody={"required": True, "content": {
            "application/xml": {"schema": {"type": "string"}},
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"}}}}}})},
    "/models/{key}/versions/{n}": {"get": _model_op(
        "getModelVersion", "One version: its files and checks", [MODEL_KEY, VERSION_N],
        {"200": _json(_ref("Version"), "The version"), **_errors(401, 403, 404)})},
    "/models/{key}/versions/{n}/files/{name}": {"get": _model_op(
        "downloadModelFile", "Download a file of a version", [MODEL_KEY, VERSION_N, {
            "name": "name", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "File name, e.g. referral.bpmn or forms/referral.json"}],
        {"200": {"description": "The file, as an attachment",
                 "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
                 "content": {"application/xml": {"schema": {"type": "string"}},
                             "application/json": {"schema": {"type": "object"}}}},
         **_errors(401, 403, 404)})},
    "/models/{key}/versions/{n}/retire": {"post": _model_op(
        "retireModelVersion", "Retire a version: no new instance starts on it; running ones carry on",
        [MODEL_KEY, VERSION_N], {"200": _json(_ref("RetiredVersion"), "The version"), **_errors(401, 403, 404)})},
    "/models/{key}/drafts": {"post": _model_op(
        "createDraft", "Start a draft from a version", [MODEL_KEY],
        {**_checked_draft("201", "The draft and its checks"), **_errors(401, 403, 404, 422)},
        requestBody={"required": False, "content": {"application/json": {"schema": _ref("NewDraftRequest")}}})},
    "/models/{key}/drafts/{draft_id}": {
        "get": _model_op("getDraft", "A draft and its checks", [MODEL_KEY, DRAFT_ID],
                         {**_checked_draft("200", "The draft"), **_errors(401, 403, 404)}),
        "put": _model_op(
            "saveDraft", "Save a draft (failing checks are allowed; they are returned)",
            [MODEL_KEY, DRAFT_ID, {"name": "If-Match", "in": "header", "required": True,
                                   "schema": {"type": "string"}, "description": "The draft's ETag as you read it"}],
            {**_checked_draft("200", "The draft as saved, and its checks"),
             "412": {**_json(_ref("StaleDraft"), "Saved by someone else since your If-Match: nothing was saved; "
                                                 "current holds the draft as saved now"), "headers": DRAFT_ETAG},
             **_errors(401, 403, 404, 409, 422, 428)},
            requestBody={"required": True, "content": {"application/json": {"schema": _ref("DraftRequest")}}}),
    },
    "/models/{key}/drafts/{draft_id}/publish": {"post": _model_op(
        "publishDraft", "Publish a draft as the next version: new instances start on it", [MODEL_KEY, DRAFT_ID],
        {"201": _json(_ref("Published"), "The new version"), **_errors(401, 403, 404, 409, 422)},
        description="Refused (422, each error on its element id) while a check fails; 409 when the draft is "
                    "already published or the same as the latest version.")},
}

MIGRATION_PATHS = {
    "/models/{key}/compare": {"get": {
        "operationId": "compareModelVersions", "summary": "What changed between two versions of a model, or "
                                                         "between a version and a draft",
        "tags": ["models"],
        "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"},
                        "description": "The model's key (process id)"},
                       *({"name": name, "in": "query", "required": name == "from", "schema": VERSION,
                          "description": what} for name, what in (
                           ("from", "The older version"), ("to", "The version to compare with (or give draft)"),
                           ("draft", "A draft of the model to compare with (instead of to)")))],
        "responses": {"200": _json(_ref("Comparison"), "Added, removed and changed elements and form fields"),
                      **_errors(401, 403, 404, 422)}}},
    "/instances/migrate": {"post": {
        "operationId": "migrateInstances", "summary": "Preview or migrate running instances to another version",
        "tags": ["models"],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("MigrationRequest")}}},
        "responses": {"200": _json(_ref("Migration"), "The plan per instance (carried out unless dry_run)"),
                      "409": _json(_ref("MigrationRefused"), "Some instance cannot move: nothing was moved; the "
                                   "reasons name the instance and the task"),
                      **_errors(401, 403, 422)}}},
}


# --- trial runs of drafts and versions (the studio) ------------------------------------------------------------

TRIAL_SCHEMAS = {
    "Trial": {"type": "object", "additionalProperties": False, "required": [
        "trial", "key", "draft", "version", "status", "error", "path", "ready", "time", "next_timer", "started_by",
        "started_at"], "properties": {
        "trial": {"type": "integer", "description": "The trial's id"}, "key": {"type": "string"},
        "draft": _nullable("integer"), "version": _nullable("integer"),
        "status": {"type": "string", "enum": ["running", "completed", "error"]},
        "error": _nullable("string", description="Why the trial stopped (a failing or runaway script, ...)"),
        "path": {"type": "array", "items": {"type": "string"},
                 "description": "BPMN ids completed, in order (gateways included: the branch taken shows)"},
        "ready": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["id", "bpmn_id", "name", "lane", "form_key"],
            "properties": {"id": {"type": "string"}, "bpmn_id": {"type": "string"}, "name": {"type": "string"},
                           "lane": {"type": "string"}, "form_key": _nullable("string")}}},
        "time": {**DATE_TIME, "description": "The trial's own clock"},
        "next_timer": _nullable("string", format="date-time"), "started_by": {"type": "string"},
        "started_at": DATE_TIME}},
    "TrialData": {"type": "object", "properties": {"data": {
        "type": "object", "description": "Sample data: the start data, or the task's form answers"}}},
    "TrialTime": {"type": "object", "properties": {"to": {
        **DATE_TIME, "description": "Move the trial's clock to this time (default: to its next timer)"}}},
}
TRIAL_ID = _id_param("trial_id", "Trial id")


def _trial_op(operation_id: str, summary: str, parameters: list[dict[str, Any]], status: str, body: str,
              *errors: int) -> dict[str, Any]:
    return _model_op(operation_id, summary, parameters, {status: _json(_ref("Trial"), "The trial"),
                                                         **_errors(401, 403, 404, *errors)},
                     requestBody={"required": False, "content": {"application/json": {"schema": _ref(body)}}})


TRIAL_PATHS = {
    "/models/{key}/drafts/{draft_id}/trials": {"post": _trial_op(
        "startDraftTrial", "Start a trial run of a draft (not a case: no inbox, no history)", [MODEL_KEY, DRAFT_ID],
        "201", "TrialData", 422)},
    "/models/{key}/versions/{n}/trials": {"post": _trial_op(
        "startVersionTrial", "Start a trial run of a published version", [MODEL_KEY, VERSION_N], "201", "TrialData",
        422)},
    "/trials/{trial_id}": {"get": _model_op("getTrial", "A trial you started: its path and ready tasks", [TRIAL_ID],
                                            {"200": _json(_ref("Trial"), "The trial"), **_errors(401, 403, 404)})},
    "/trials/{trial_id}/tasks/{task_id}/complete": {"post": _trial_op(
        "completeTrialTask", "Complete a ready task of a trial with sample data (validated against its form)",
        [TRIAL_ID, {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"},
                    "description": "The ready task's id"}], "200", "TrialData", 409, 422)},
    "/trials/{trial_id}/timers": {"post": _trial_op(
        "moveTrialTime", "Move a trial's clock forward and fire the timers due by then", [TRIAL_ID], "200",
        "TrialTime", 409, 422)},
}

# --- the area work list (services.area_tasks) -------------------------------------------------------------------------


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


FALSE = {"type": "boolean", "default": False}
COUNT = {"type": "integer", "minimum": 0}
AREA_TASK_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"}, "case_id": {"type": "integer"}, "case_reference": {"type": "string"},
    "level": _nullable("integer"), "category": {"type": "integer"}, "step": {"type": "string"},
    "role": {"type": "string"}, "role_name": {"type": "string"}, "agency": {"type": "string"},
    "assignee": {"type": ["string", "null"], "description": "Username of the holder; null when unclaimed"},
    "assigned_at": {"type": ["string", "null"], "format": "date-time"},
    "days_held": {"type": ["integer", "null"], "description": "Days since the holder got the task"},
    "due": {"type": ["string", "null"], "format": "date"},
    "days_overdue": {**COUNT, "description": "Days past the due date (Europe/London); 0 when not overdue"},
    "overdue": {"type": "boolean"}, "due_soon": {"type": "boolean"},
}
AREA_TASK_SCHEMAS = {
    "AreaTask": {"type": "object", "additionalProperties": False, "required": list(AREA_TASK_PROPERTIES),
                 "properties": AREA_TASK_PROPERTIES},
    "AreaTaskList": {
        "type": "object", "additionalProperties": False,
        "required": ["tasks", "page", "pages", "page_size", "counts"],
        "properties": {
            "tasks": {"type": "array", "items": _ref("AreaTask")},
            "page": {"type": "integer", "minimum": 1}, "pages": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer"},
            "counts": {"type": "object", "additionalProperties": False,
                       "required": ["open", "overdue", "due_soon", "unclaimed"],
                       "description": "Of all the tasks the filter matches, not only this page",
                       "properties": {k: COUNT for k in ("open", "overdue", "due_soon", "unclaimed")}}},
    },
}
AREA_TASK_PATHS = {
    "/area-tasks": {"get": {
        "operationId": "listAreaTasks", "summary": "Every open task in the caller's area", "tags": ["tasks"],
        "description": "MAPPA managers and coordinators: the area's open tasks with who holds them, their due date "
                       "and days overdue, most overdue first, 50 a page. Filters combine.",
        "parameters": [
            _query("overdue", FALSE, "Only tasks past their due date"),
            _query("due_soon", FALSE, "Only tasks due today or in the next 3 days"),
            _query("unclaimed", FALSE, "Only tasks nobody holds"),
            _query("role", {"type": "string", "enum": sorted(ROLE_BY_KEY)}, "Only tasks for this role"),
            _query("agency", {"type": "string"}, "Only tasks for the roles of this agency"),
            _query("assignee", {"type": "string"}, "Only tasks held by this username ('unclaimed': nobody)"),
            _query("step", {"type": "string"}, "Only tasks with this name"),
            _query("case", {"type": "string"}, "Only this case's tasks (its reference)"),
            _query("level", {"type": "integer", "minimum": 1, "maximum": 3}, "Only cases at this level"),
            _query("category", {"type": "integer", "minimum": 1, "maximum": 4}, "Only cases of this category"),
            _query("band", {"type": "string", "enum": list(BANDS)}, "Only tasks overdue by this many days"),
            _query("sort", {"type": "string", "enum": list(SORTS), "default": "due"}, "Order of the list"),
            _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number"),
        ],
        "responses": {"200": _json(_ref("AreaTaskList"), "One page of tasks and the counts"),
                      **_errors(401, 403, 422)},
    }},
}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "MAPPA Flow API", "version": "1.0.0",
             "description": "MAPPA cases, task inboxes and MAPP meetings. Create a token with `flask mappa token "
                            "create USERNAME` or on your account page, and send it as `Authorization: Bearer "
                            "<token>`. Case data is scoped to the caller's MAPPA area; every read is access-logged."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "tags": [{"name": "cases"}, {"name": "tasks"}, {"name": "settings"}, {"name": "meetings"}, {"name": "tokens"},
             {"name": "notifications"}, {"name": "models"}, {"name": "statistics"},
             {"name": "meta"}],
    "paths": PATHS | MEETING_PATHS | TOKEN_PATHS | NOTIFICATION_PATHS | MODEL_PATHS | MIGRATION_PATHS | TRIAL_PATHS
    | AREA_TASK_PATHS,
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "An API token (mf_...)"}},
        "schemas": SCHEMAS | MODEL_SCHEMAS | TRIAL_SCHEMAS | AREA_TASK_SCHEMAS,
        "responses": RESPONSES,
    },
}
