"""The API's named JSON Schemas (app.api.contract.Model), declared once: each validates requests (bodies and query
strings) and is a component of /api/v1/openapi.json, whose paths come from the ``@operation``s of the views."""

from __future__ import annotations

from typing import Any

from app.api.contract import SCHEMAS, Model, error_responses, nullable, ref
from app.routing import MAX_ID
from services import annual_export, disclosures, forms, smb, smb_plan
from services import tasks as task_service
from services.area_tasks import BANDS, SORTS
from services.auth import TOKEN_STATUSES
from services.case_search import LIMIT, MAX_QUERY
from services.cases import CATEGORY_CODES, STATUSES
from services.levels import CATEGORIES, LEVELS
from services.lifecycle import EARLY_REVIEW_REASONS
from services.meeting_words import AGENDA_KINDS, ATTENDANCE_STATUSES, MEETING_STATUSES, MINUTES_STATUSES
from services.minutes_sections import (
    ACTION_DESCRIPTION_MAX,
    ACTION_OWNERS,
    ACTIONS_MAX,
    ALL_SECTIONS,
    LEVEL_DECISIONS,
    OWNER_AGENCY_MAX,
    RATIONALE_MAX,
    TEXT_SECTION_MAX,
    TEXT_SECTIONS,
)
from services.models import MEETING_LINK_MAX, MEETING_VENUE_MAX
from services.outcomes import CUSTODY_REASONS, OUTCOMES
from services.reminders import RULES as REMINDER_RULES
from services.sfo import STATUSES as SFO_STATUSES
from services.studio.compare import CHANGE_KINDS
from services.studio.drafts import DRAFT_STATUSES, VERSION_STATUSES
from services.studio.findings import SEVERITIES
from services.studio.trials import TRIAL_STATUSES
from services.visor import KINDS as VISOR_KINDS
from services.vocabulary import TASK_STATES
from workflows.lanes import ACTION_OWNER_ROLES, DTC_AGENCIES, LEAD_AGENCIES, LEAD_ROLES, ROLE_BY_KEY, ROLE_NAMES

_ref = ref
_nullable = nullable


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_errors = error_responses


DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}

FLAG = {"type": "boolean"}

# API body names -> referral form fields (forms/referral.json): the form declares these fields once (type, title,
# vocabulary, messages); the API takes them as they are, the offender's under ``offender``.
OFFENDER_FIELDS = {"name": "offender_name", "date_of_birth": "date_of_birth", "pnc_id": "pnc_id", "crn": "crn",
                   "visor_reference": "visor_reference"}
REFERRAL_FIELDS = ("category", "lead_agency", "level_requested", "custody", "release_date", "referral_reason",
                   "level3_reason", "rosh", "senior_resources_needed", "sentence_date", "licence_end",
                   "notification_end", "notification_indefinite", "victims_flag", "children_flag",
                   "vulnerable_adults_flag")
ROUTES = ("referral", "identification")  # how a case is opened: a MAPPA A referral, or identified as eligible
_FORM_FIELDS = forms.load_form("identification")["properties"] | forms.load_form("referral")["properties"]


def _form_field(name: str, **api: Any) -> dict[str, Any]:
    """A referral form field as the API takes it (its description for API clients, when given, instead)."""
    return {**_FORM_FIELDS[name], **api}


OFFENDER_IN = {
    "type": "object", "additionalProperties": False, "required": ["name"],
    "properties": {api: _form_field(form) for api, form in OFFENDER_FIELDS.items()},
}
_REFERRAL_NOTES = {
    "release_date": "Required when custody is true; refused when custody is false",
    "sentence_date": "Required for identification",
    "licence_end": "Licence or hospital order end: category 2 cases exit then",
    "notification_end": "Notification period end: category 1 cases exit then",
    "notification_indefinite": "Category 1 with indefinite notification: reviewed at 15 years (8 if under 18 at "
                               "conviction)",
    "level_requested": "Referral only; 2 when not given",
    "level3_reason": "What Level 2 cannot deliver; required when level_requested is 3",
    "rosh": "Risk of serious harm; required for a referral",
    "referral_reason": "Required for a referral",
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
                   "not given. The fields are the referral and identification forms' (forms/referral.json, "
                   "forms/identification.json), with their titles and messages.",
    "properties": {
        "route": {"type": "string", "enum": list(ROUTES), "default": "referral",
                  "description": "identification takes no level_requested, referral_reason, level3_reason, rosh or "
                                 "senior_resources_needed, and needs sentence_date"},
        "offender": OFFENDER_IN,
        "area": {"type": "string", "description": "Area code; when given it must be the caller's own area"},
        **{name: _form_field(name, **({"description": _REFERRAL_NOTES[name]} if name in _REFERRAL_NOTES else {}))
           for name in REFERRAL_FIELDS},
    },
    "allOf": [
        _when_route({"const": "referral"}, "referral_reason", "rosh"),
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
    {"reason": {"type": "string", "enum": list(EARLY_REVIEW_REASONS)},
     "detail": {"type": "string", "pattern": "\\S", "maxLength": 8000, "description": "What has happened"}})
RELEASE_DATE_IN = _request(
    "Custody cases only; the Responsible Authority (offender manager, police, prison) or the MAPPA coordinator. "
    "Steps not yet done are re-planned from the new date; finished work is kept.",
    ["release_date", "reason"], {"release_date": DATE, "reason": REASON})
ADDRESS_IN = _request(
    "The offender lives somewhere new: the Responsible Authority (offender manager, police, prison) or the MAPPA "
    "coordinator records it (else 403); the case's ViSOR user gets an 'Update ViSOR' task with it.",
    ["address", "moved_on", "reason"],
    {"address": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "The new address, with postcode"},
     "moved_on": {**DATE, "description": "The day the offender moved there (today or before)"}, "reason": REASON})
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
    {"description": {"type": "string", "minLength": 1, "maxLength": ACTION_DESCRIPTION_MAX},
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
    "state": {"type": "string", "enum": list(TASK_STATES)},
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
                 "lead_officer", "custody", "release_date", "address", "address_since", "sentence_date", "licence_end",
                 "notification_end",
                 "notification_indefinite", "notification_review_due", "flags", "next_review_due", "exit_reason",
                 "exit_date", "area", "visor_reference", "open_tasks", "visor_pending", "links"],
    "properties": {
        "id": {"type": "integer"}, "reference": {"type": "string"},
        "offender": {"type": "object", "additionalProperties": False,
                     "required": ["name", "date_of_birth", "pnc_id", "crn"],
                     "properties": {"name": {"type": "string"}, "date_of_birth": _nullable("string", format="date"),
                                    "pnc_id": _nullable("string"), "crn": _nullable("string")}},
        "category": {"type": "integer", "enum": list(CATEGORIES)},
        "category_code": {"type": "string", "enum": list(CATEGORY_CODES.values())},
        "level": {"type": ["integer", "null"], "enum": [*LEVELS, None]},
        "status": {"type": "string", "enum": list(STATUSES)},
        "lead_agency": {"type": "string"},
        "lead_officer": _nullable("string", description="Username"),
        "custody": {"type": "boolean"},
        "release_date": _nullable("string", format="date"),
        "address": _nullable("string", description="Where the offender lives now, once a change is recorded"),
        "address_since": _nullable("string", format="date"),
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
        "visor_pending": {"type": "array", "description": "What ViSOR has not been told yet, oldest first",
                          "items": {"type": "object", "additionalProperties": False,
                                    "required": ["kind", "summary", "happened_at", "due", "overdue"],
                                    "properties": {"kind": {"type": "string", "enum": list(VISOR_KINDS)},
                                                   "summary": {"type": "string"},
                                                   "happened_at": {"type": "string", "format": "date-time"},
                                                   "due": _nullable("string", format="date",
                                                                    description="When the Update ViSOR task is due"),
                                                   "overdue": {"type": "boolean"}}}},
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
            "type": "object", "additionalProperties": False, "required": [*CASE_SUMMARY_PROPERTIES, "critical"],
            "properties": CASE_SUMMARY_PROPERTIES | {"critical": {
                "type": "boolean", "description": "A critical public protection case (flag approved, not ended)"}}},
            "description": f"Next review first; at most {LIMIT}"},
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
    {"area": {"type": "string", "minLength": 1, "description": "The caller's own MAPPA area code"},
     "level": {"type": "integer", "enum": [2, 3]},
     "starts_at": {**DATE_TIME, "description": "ISO 8601 with an offset (-12:00 to +14:00), in the future, "
                                               "before 2200"},
     "chair": {"type": "string", "minLength": 1,
               "description": "Username of a MAPP meeting chair in the caller's area"},
     "venue": {"type": "string", "maxLength": MEETING_VENUE_MAX},
     "online_link": {"type": "string", "maxLength": MEETING_LINK_MAX},
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
        "kind": {"type": "string", "enum": list(AGENDA_KINDS)},
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
        "status": {"type": "string", "enum": list(ATTENDANCE_STATUSES)},
        "updated_at": DATE_TIME,
    },
}
MEETING_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"}, "title": {"type": "string"},
    "area": {"type": "string", "description": "MAPPA area code"}, "level": {"type": "integer", "enum": [2, 3]},
    "starts_at": DATE_TIME, "ends_at": DATE_TIME, "venue": _nullable("string"), "online_link": _nullable("string"),
    "chair": {"type": "string", "description": "Username"},
    "status": {"type": "string", "enum": list(MEETING_STATUSES)},
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
SECTION_VALUES: dict[str, Any] = {key: {"type": "string", "maxLength": TEXT_SECTION_MAX} for key in TEXT_SECTIONS} | {
    "actions": {"type": "array", "maxItems": ACTIONS_MAX, "items": {
        "type": "object", "required": ["description"], "additionalProperties": False,
        "description": "Checked when saved (422 at sections.actions.N.description, .owner_role or .due); the owner "
                       "and due date may be left empty while the minutes are written, but are needed to submit them",
        "properties": {"description": {"type": "string", "minLength": 1, "maxLength": ACTION_DESCRIPTION_MAX},
                       "owner_role": {"type": "string", "description": "One of " + ", ".join(ACTION_OWNERS)},
                       "owner_agency": {"type": "string", "maxLength": OWNER_AGENCY_MAX},
                       "due": {"type": ["string", "null"], "description": "YYYY-MM-DD, not in the past"}}}},
    "level_decision": {"type": ["object", "null"], "additionalProperties": False, "properties": {
        "decision": {"enum": [*LEVEL_DECISIONS, "", None], "x-error-path": "parent",
                     "description": "422 at sections.level_decision when not one of these"},
        "rationale": {"type": ["string", "null"], "maxLength": RATIONALE_MAX,
                      "description": "The meeting review's rationale when the minutes are approved"}}},
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
        "status": {"type": "string", "enum": list(MINUTES_STATUSES)},
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
        "status": {"type": "string", "enum": list(TOKEN_STATUSES)},
        "created_at": DATE_TIME, "expires_at": DATE_TIME,
        "last_used_at": _nullable("string", format="date-time"), "revoked_at": _nullable("string", format="date-time"),
    },
}

NOTIFICATION = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "rule", "title", "body", "task_id", "case_id", "created_at", "read_at"],
    "properties": {
        "id": {"type": "integer"},
        "rule": {"type": "string", "enum": list(REMINDER_RULES),
                 "description": "overdue: a step you hold (or your role's, unclaimed) is late; escalation: a step "
                                "is late beyond the area's escalation working days (line managers, coordinators); "
                                "digest: your steps late or due soon, once a day"},
        "title": {"type": "string"}, "body": {"type": "string", "description": "Case reference and step only"},
        "task_id": _nullable("integer"), "case_id": _nullable("integer"),
        "created_at": DATE_TIME, "read_at": _nullable("string", format="date-time"),
    },
}

# --- studio: comparisons and migrations --------------------------------------------------------------------------

CHANGE_KIND = {"type": "string", "enum": list(CHANGE_KINDS)}
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
VERSION = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
MIGRATION_IN = _request(
    "Move the instances running or in error of version `from` of a model to version `to` (all of them, or "
    "`instance`); one in error keeps its incident until it is retried, on the new version. With dry_run only the "
    "plan is returned. A real migration moves every instance or none (409 with the reasons).",
    ["model", "from", "to", "dry_run"],
    {"model": {"type": "string", "pattern": "\\S", "description": "The model's key (process id), e.g. mappa_review"},
     "from": VERSION, "to": VERSION, "dry_run": {"type": "boolean"},
     "instance": {**VERSION, "description": "One process instance only"}})
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

AREA_AGENCY = {
    "type": "object", "additionalProperties": False,
    "required": ["agency", "name", "statute", "roles", "works_with_area", "contact_name", "contact_email",
                 "memorandum", "mou_signed_on", "mou_review_on", "mou_reference"],
    "properties": {"agency": {"type": "string", "enum": [a.key for a in DTC_AGENCIES]},
                   "name": {"type": "string", "description": "As meetings invite it and its people's agency"},
                   "statute": {"type": "string", "description": "The CJA 2003 s.325(6) entry it answers to"},
                   "roles": {"type": "array", "items": {"type": "string"}, "description": "Its role keys"},
                   "works_with_area": {"type": "boolean", "description": "False: not invited to the area's "
                                       "meetings; no one in the area can be given its roles"},
                   "contact_name": _nullable("string"), "contact_email": _nullable("string"),
                   "memorandum": {"type": "string", "enum": ["Not recorded", "In force", "Review overdue"]},
                   "mou_signed_on": _nullable("string", format="date"),
                   "mou_review_on": _nullable("string", format="date"),
                   "mou_reference": _nullable("string")}}

_NAMED: dict[str, Any] = {
    "AreaAgency": AREA_AGENCY,
    "AreaAgencyList": {"type": "object", "additionalProperties": False, "required": ["area", "agencies"],
                       "properties": {"area": {"type": "string", "description": "MAPPA area code"},
                                      "agencies": {"type": "array", "items": _ref("AreaAgency"),
                                                   "description": "Every s.325(6) agency, in the statute's order"}}},
    "ReferralRequest": REFERRAL_IN,
    "EarlyReviewRequest": EARLY_REVIEW_IN,
    "ReleaseDateRequest": RELEASE_DATE_IN,
    "AddressRequest": ADDRESS_IN,
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
    "ReassignRequest": {"type": "object", "required": ["assignee"], "additionalProperties": False,
                        "properties": {"assignee": {"type": "string", "description": "Username"},
                                       "reason": {"type": ["string", "null"]}}},
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

RESPONSES: dict[str, Any] = {
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

LOCATION = {"Location": {"description": "The new resource's URL", "schema": {"type": "string"}}}
ETAG = {"ETag": {"description": "The minutes' version: send it back as If-Match", "schema": {"type": "string"}}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
            "description": "The ETag of the minutes as you last read them"}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$"},
    "description": "Your own unique text (a UUID) for this change. Send the same request again with the same key "
                   "(say, after a dropped connection) to get the first answer again, marked Idempotent-Replayed: "
                   "true, with nothing done twice; the same key with a different request is refused (422). "
                   "Keys are kept for 24 hours.",
}


def attachment(mimetype: str, what: str) -> tuple[dict[str, Any], str]:
    """A document answered as an attachment: its media type and Content-Disposition."""
    return ({"headers": {"Content-Disposition": {"schema": {"type": "string"}}},
             "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}}},
            f"{what} ({mimetype}), as an attachment")


ANNUAL_QUERY = Model("AnnualStatisticsQuery", {"type": "object", "additionalProperties": False, "properties": {
    "year_ending": {**DATE, "description": "A 31 March (default: the last one passed)"},
    "format": {"type": "string", "enum": list(annual_export.FORMATS), "default": "json"}}})
ANNUAL_ANSWER = ({"content": {
    "application/json": {"schema": _ref("AnnualStatistics")},
    **{mime.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
       for fmt, mime in annual_export.FORMATS.items() if fmt != "json"}}}, "The tables")




# --- SMB pack (services.smb_pack): aggregated figures only, for the SMB and its lay advisers ----------------------
SMB_PACK_QUERY = Model("SmbPackQuery", {"type": "object", "additionalProperties": False, "properties": {
    "year_ending": {**DATE, "description": "A 31 March (default: the last one passed)"}}})
SMB_AUDIT_TOOL = {"type": "object", "additionalProperties": False,
                  "required": ["kind", "title", "sampled", "audited", "questions"],
                  "properties": {"kind": {"type": "string", "enum": list(smb.AUDIT_FORMS)}, "title": {"type": "string"},
                                 "sampled": {"type": "integer"}, "audited": {"type": "integer"},
                                 "questions": {"type": "array", "items": {
                                     "type": "object", "additionalProperties": False,
                                     "required": ["key", "title", "counts"],
                                     "properties": {"key": {"type": "string"}, "title": {"type": "string"},
                                                    "counts": {"type": "object", "description": "Answer -> how many",
                                                               "additionalProperties": {"type": "integer"}}}}}}}
SMB_PLAN_ACTION = {"type": "object", "additionalProperties": False,
                   "required": ["title", "owner_role", "due_on", "status", "overdue"],
                   "properties": {"title": {"type": "string"},
                                  "owner_role": {"type": "string", "enum": list(smb_plan.PLAN_OWNERS)},
                                  "due_on": DATE, "status": {"type": "string", "enum": list(smb_plan.PLAN_STATUSES)},
                                  "overdue": {"type": "boolean"}}}
SMB_PACK = Model("SmbPack", _request(
    "The SMB pack of the caller's area: the annual statistics, the audit summary (null: no sample drawn for the "
    "year) and the business plan. Names no offender, meeting or officer.",
    ["area", "year_ending", "marking", "tables", "audit", "plan"],
    {"area": {"type": "string"}, "year_ending": DATE, "marking": {"type": "string", "const": "OFFICIAL-SENSITIVE"},
     "tables": {"type": "array", "items": ANNUAL_TABLE},
     "audit": {"type": ["array", "null"], "items": SMB_AUDIT_TOOL},
     "plan": {"type": "array", "items": SMB_PLAN_ACTION}}))

# --- process models (the studio) ----------------------------------------------------------------------------------

FINDING = {
    "type": "object", "additionalProperties": False, "required": ["file", "element_id", "severity", "message", "kind"],
    "properties": {
        "file": {"type": "string"}, "element_id": _nullable("string", description="The BPMN/DMN element's id"),
        "severity": {"type": "string", "enum": list(SEVERITIES), "description": "Errors stop publishing"},
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
    "status": {"type": "string", "enum": list(DRAFT_STATUSES)},
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
    "retired_by": _nullable("string"), "status": {"type": "string", "enum": list(VERSION_STATUSES)},
    "running_instances": {"type": "integer", "description": "Instances running on this version"},
}
MODEL_SCHEMAS: dict[str, Any] = {
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
                        "properties": {"from_version": {"type": "integer", "minimum": 1,
                                                        "description": "Default: the latest"}}},
    "DraftRequest": {"type": "object", "required": ["files"], "properties": {"files": {**FILES, "minProperties": 1}}},
    "Published": {"type": "object", "additionalProperties": False, "required": ["key", "version"],
                  "properties": {"key": {"type": "string"}, "version": {"type": "integer"}}},
    "StaleDraft": {"type": "object", "additionalProperties": False, "required": ["error", "current"],
                   "properties": {"error": STALE_ERROR, "current": _ref("Draft")}},
}
DRAFT_ETAG = {"ETag": {"description": "The draft's version: send it back as If-Match", "schema": {"type": "string"}}}
IF_MATCH_DRAFT = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"},
                  "description": "The draft's ETag as you read it"}
MODEL_FILE = ({"headers": {"Content-Disposition": {"schema": {"type": "string"}}},
               "content": {"application/xml": {"schema": {"type": "string"}},
                           "application/json": {"schema": {"type": "object"}}}}, "The file, as an attachment")
MODEL_UPLOAD = {"required": True, "content": {
    "application/xml": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}}}}}


# --- trial runs of drafts and versions (the studio) ------------------------------------------------------------

TRIAL_SCHEMAS: dict[str, Any] = {
    "Trial": {"type": "object", "additionalProperties": False, "required": [
        "trial", "key", "draft", "version", "status", "error", "path", "ready", "time", "next_timer", "started_by",
        "started_at"], "properties": {
        "trial": {"type": "integer", "description": "The trial's id"}, "key": {"type": "string"},
        "draft": _nullable("integer"), "version": _nullable("integer"),
        "status": {"type": "string", "enum": list(TRIAL_STATUSES)},
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

# --- the area work list (services.area_tasks) -------------------------------------------------------------------------


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
AREA_TASK_SCHEMAS: dict[str, Any] = {
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


def _query(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {**schema, "description": description}


AREA_TASK_QUERY = Model("AreaTaskQuery", {"type": "object", "properties": {
    "overdue": _query(FALSE, "Only tasks past their due date"),
    "due_soon": _query(FALSE, "Only tasks due today or in the next 3 days"),
    "unclaimed": _query(FALSE, "Only tasks nobody holds"),
    "role": _query({"type": "string", "enum": sorted(ROLE_BY_KEY)}, "Only tasks for this role"),
    "agency": _query({"type": "string"}, "Only tasks for the roles of this agency"),
    "assignee": _query({"type": "string"}, "Only tasks held by this username ('unclaimed': nobody)"),
    "step": _query({"type": "string"}, "Only tasks with this name"),
    "case": _query({"type": "string"}, "Only this case's tasks (its reference)"),
    "level": _query({"type": "integer", "minimum": 1, "maximum": 3}, "Only cases at this level"),
    "category": _query({"type": "integer", "minimum": 1, "maximum": 4}, "Only cases of this category"),
    "band": _query({"type": "string", "enum": list(BANDS)}, "Only tasks overdue by this many days"),
    "sort": _query({"type": "string", "enum": list(SORTS), "default": "due"}, "Order of the list"),
    "page": _query({"type": "integer", "minimum": 1, "default": 1}, "Page number"),
}})


# Request bodies whose members sent as null count as not given.
_NULL_IS_ABSENT = {"ReferralRequest", "EarlyReviewRequest", "ReleaseDateRequest", "AddressRequest", "TransferRequest",
                   "LeadRequest",
                   "ActionRequest", "OutcomeRequest", "ReassignRequest", "MeetingRequest"}
MODELS: dict[str, Model] = {name: Model(name, schema, null_is_absent=name in _NULL_IS_ABSENT) for name, schema in (
    _NAMED | MODEL_SCHEMAS | TRIAL_SCHEMAS | AREA_TASK_SCHEMAS).items()}
CHAIR_REQUEST = Model("ChairRequest", {
    "type": "object", "additionalProperties": False, "required": ["chair", "reason"],
    "properties": {"chair": {"type": "string", "description": "Username of a MAPP meeting chair in the area"},
                   "reason": {"type": "string", "minLength": 1}}})
MEETING_QUERY = Model("MeetingQuery", {"type": "object", "properties": {
    "area": {"type": "string", "description": "Must be the caller's own area code when given"},
    "from": {"type": "string", "description": "Starting at or after: a date (YYYY-MM-DD, London) or a date-time with "
                                              "an offset"},
    "to": {"type": "string", "description": "Starting before: a date-time with an offset, or a date (the whole day "
                                            "included)"}}})
IMPORT_QUERY = Model("ImportQuery", {"type": "object", "properties": {
    "key": {"type": "string", "description": "Make it a draft of this model: the file replaces the latest version's "
                                             "file of its kind"},
    "filename": {"type": "string", "description": "The file's name when sent as the raw body"}}})
COMPARE_QUERY = Model("CompareQuery", {"type": "object", "properties": {
    "from": {**VERSION, "description": "The older version (required)"},
    "to": {**VERSION, "description": "The version to compare with (or give draft)"},
    "draft": {**VERSION, "description": "A draft of the model to compare with (instead of to)"}}})
CASE_QUERY = Model("CaseQuery", {"type": "object", "properties": {
    "q": {"type": "string", "maxLength": MAX_QUERY,
          "description": "Search: every word part of the offender's name, or part of the case reference, or the whole "
                         "NDelius CRN, ViSOR reference or PNC ID (19/12345A finds 2019/0012345A). Case and spaces are "
                         f"ignored; empty lists every case. Longer than {MAX_QUERY} characters: 422 at q"},
    "status": {"type": "string", "enum": list(STATUSES), "description": "Only cases with this status"},
    "critical": {"type": "boolean", "default": False,
                 "description": "true: only critical public protection cases (flag approved, not ended)"}}})
TASK_QUERY = Model("InboxQuery", {"type": "object", "properties": {
    "case": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "Only this case's tasks (its id)"},
    "step": {"type": "string", "description": "Only tasks with this name"},
    "due": {"type": "string", "enum": list(task_service.DUES),
            "description": "; ".join(f"{key}: {text}" for key, text in task_service.DUES.items())},
    "sort": {"type": "string", "enum": list(task_service.SORT_NAMES), "default": "due"},
    "show": {"type": "string", "enum": list(task_service.SHOWS), "default": "all",
             "description": "; ".join(f"{key}: {text}" for key, text in task_service.SHOWS.items())
             + " (a value not listed is a 422 at show)"},
    "limit": {"type": "integer", "minimum": 1, "maximum": task_service.API_PAGE_SIZE,
              "default": task_service.API_PAGE_SIZE,
              "description": "At most this many tasks, the first in the sort order"}}})



def document(paths: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document: the declared operations' paths (app.api.contract.paths) and every named schema."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "MAPPA Flow API", "version": "1.0.0",
                 "description": "MAPPA cases, task inboxes and MAPP meetings. Create a token with `flask mappa token "
                                "create USERNAME` or on your account page, and send it as `Authorization: Bearer "
                                "<token>`. Case data is scoped to the caller's MAPPA area; every read is "
                                "access-logged."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": "cases"}, {"name": "tasks"}, {"name": "settings"}, {"name": "meetings"}, {"name": "tokens"},
                 {"name": "notifications"}, {"name": "models"}, {"name": "statistics"}, {"name": "meta"},
                 {"name": "csods"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "An API token (mf_...)"}},
            "schemas": dict(SCHEMAS),
            "responses": RESPONSES,
        },
    }


# --- registered sex offender notification (services.rso: the event's fields are its form's) ---------------------
def _rso_request() -> dict[str, Any]:
    from services import rso

    schema = rso.event_schema()
    return {**schema, "description": "A registered sex offender's notification event on a category 1 case, recorded "
            "by the police public protection unit. requirement opens the notification record (the period by the "
            "s.82 table) and makes the initial notification due; initial, periodic and home_visit complete the "
            "task due for them (409 when none is); change resets the annual date (an address also goes to "
            "ViSOR); travel is late unless notified 7 days before departure (or the area's short notice); breach "
            "starts a police investigation. Dates are YYYY-MM-DD.",
            "required": ["case_id", "kind"],
            "properties": {"case_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                                       "x-required-message": "Enter the case id"}, **schema["properties"]}}


_RSO_EVENT = {"type": "object", "additionalProperties": False,
              "required": ["id", "case_id", "kind", "change", "occurred_on", "notified_on", "due", "late", "details",
                           "due_next"],
              "properties": {"id": {"type": "integer"}, "case_id": {"type": "integer"}, "kind": {"type": "string"},
                             "change": nullable("string"), "occurred_on": nullable("string", format="date"),
                             "notified_on": {"type": "string", "format": "date"},
                             "due": nullable("string", format="date"), "late": {"type": "boolean"},
                             "details": {"type": "string"},
                             "due_next": {"type": "array", "description": "What the case has due now, soonest first",
                                          "items": {"type": "object", "additionalProperties": False,
                                                    "required": ["what", "due", "overdue"],
                                                    "properties": {"what": {"type": "string"},
                                                                   "due": nullable("string", format="date"),
                                                                   "overdue": {"type": "boolean"}}}}}}
RSO_REQUEST = Model("RsoNotificationRequest", _rso_request())
RSO_EVENT = Model("RsoNotificationEvent", _RSO_EVENT)
# --- serious further offences (services.sfo, app.api.sfo) -----------------------------------------------------------

_SFO_FORM = forms.load_form("sfo_charge")["properties"]
# API body names -> the notification form's fields (forms/sfo_charge.json declares them once)
SFO_FIELDS = {"offence": "sfo_offence", "charged_on": "sfo_charged_on", "details": "sfo_details"}
SFO_REQUEST = Model("SfoRequest", {
    "type": "object", "additionalProperties": False, "required": list(SFO_FIELDS),
    "description": "A serious further offence charge on a MAPPA case: starts its review (the MAPPA N, the SMB's "
                   "decision whether to hold a serious case review and, if so, the review's steps)",
    "properties": {api: _SFO_FORM[form] for api, form in SFO_FIELDS.items()}}, null_is_absent=True)
SFO = Model("SeriousFurtherOffence", {
    "type": "object", "additionalProperties": False,
    "required": ["id", "case_id", "offence", "charged_on", "details", "status", "scr_decision", "publication",
                 "process_instance_id", "steps"],
    "properties": {
        "id": {"type": "integer"}, "case_id": {"type": "integer"},
        "offence": {"type": "string", "enum": _SFO_FORM["sfo_offence"]["enum"]}, "charged_on": DATE,
        "details": {"type": "string"}, "status": {"type": "string", "enum": list(SFO_STATUSES)},
        "scr_decision": _nullable("string"), "publication": _nullable("string"),
        "process_instance_id": {"type": "integer"},
        "steps": {"type": "array", "items": _ref("Task"), "description": "The review's steps so far, with due dates"}}})
# -- disclosure decisions (issue 14 item 1): from the one vocabulary in services.disclosures -------------------------
DISCLOSURE_REQUEST = Model("DisclosureDecisionRequest", disclosures.request_schema())
_DISCLOSURE_TEXT = ("recipient", "recipient_organisation", "information", "offender_not_told_reason", "undertaking",
                    "deliverer", "decided_by", "delivered_by")
_DISCLOSURE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "integer"}, "case_id": {"type": "integer"}, "minutes_id": {"type": ["integer", "null"]},
    "decision": {"type": "string", "enum": list(disclosures.DECISIONS)},
    "rationale": {"type": "string", "description": "Why it is (or is not) necessary and proportionate"},
    "power": {"type": ["string", "null"], "enum": [*disclosures.POWERS, None]},
    "deliverer_role": {"type": ["string", "null"], "enum": [*disclosures.DELIVERER_ROLES, None]},
    "deliver_by": _nullable("string", format="date"),
    "offender_told_first": {"type": ["boolean", "null"]},
    "status": {"type": "string", "enum": list(disclosures.STATUSES)},
    "decided_at": DATE_TIME,
    "delivered_on": _nullable("string", format="date"),
    "delivery_method": _nullable("string"),
    "undertaking_given": {"type": ["boolean", "null"]},
} | {key: _nullable("string") for key in _DISCLOSURE_TEXT}
DISCLOSURE = Model("DisclosureDecision", {"type": "object", "additionalProperties": False,
                                          "required": list(_DISCLOSURE_PROPERTIES),
                                          "properties": _DISCLOSURE_PROPERTIES})
DISCLOSURE_LIST = Model("DisclosureDecisionList", {
    "type": "object", "additionalProperties": False, "required": ["case_id", "decisions"],
    "properties": {"case_id": {"type": "integer"}, "decisions": {"type": "array", "items": DISCLOSURE.ref,
                                                                 "description": "Newest first"}}})
