"""The small forms on a case (early review, release date, address, transfer, lead, agreed action) as JSON Schemas.

They go through the same machinery as task forms (services.forms parses and checks the page's answers;
components/schema_form.html renders them); the lifecycle services then check the rules that need the case.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services import forms
from services.lifecycle import ACTION_ROLES, EARLY_REVIEW_REASONS
from services.minutes_sections import ACTION_DESCRIPTION_MAX
from services.models import Area, User
from workflows.lanes import role_name

REASON = {"type": "string", "title": "Why is this changing?", "minLength": 1, "maxLength": 8000,
          "x-widget": "textarea", "description": "This is kept in the case history.",
          "x-required-message": "Enter why this is changing"}


def _schema(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "x-order": list(properties), "required": required,
            "properties": properties}


def _choice(title: str, labels: dict[str, str], message: str, widget: str = "radios") -> dict[str, Any]:
    return {"type": "string", "title": title, "enum": list(labels), "x-labels": labels, "x-widget": widget,
            "x-required-message": message}


def early_review() -> dict[str, Any]:
    return _schema(["reason", "detail"], {
        "reason": _choice("Why is an early review needed?", EARLY_REVIEW_REASONS,
                          "Select why an early review is needed"),
        "detail": {"type": "string", "title": "What has happened?", "minLength": 1, "maxLength": 8000,
                   "x-widget": "textarea", "x-required-message": "Enter what has happened",
                   "description": "Say when it happened and what each agency already knows."},
    })


def release_date() -> dict[str, Any]:
    return _schema(["release_date", "reason"], {
        "release_date": {"type": "string", "format": "date", "title": "New earliest release date",
                         "description": "For example, 27 3 2027",
                         "x-required-message": "Enter the new earliest release date"},
        "reason": REASON,
    })


def address() -> dict[str, Any]:
    return _schema(["address", "moved_on", "reason"], {
        "address": {"type": "string", "title": "New address", "minLength": 1, "maxLength": 1000,
                    "x-widget": "textarea",
                    "description": "Include the postcode. For approved premises, give its name.",
                    "x-required-message": "Enter the new address"},
        "moved_on": {"type": "string", "format": "date", "title": "Date the offender moved there",
                     "description": "For example, 27 11 2026", "x-date": "past",
                     "x-required-message": "Enter the date the offender moved there"},
        "reason": {**REASON, "title": "Why did the offender move?",
                   "x-required-message": "Enter why the offender moved"},
    })


def transfer(areas: Iterable[Area]) -> dict[str, Any]:
    return _schema(["to_area", "reason"], {
        "to_area": _choice("Which MAPPA area is taking the case?", {a.code: a.name for a in areas},
                           "Select the MAPPA area taking the case"),
        "reason": {**REASON, "title": "Why is the case moving?", "x-required-message": "Enter why the case is moving"},
    })


def lead(officers: Iterable[User]) -> dict[str, Any]:
    agencies = forms.load_form("referral")["properties"]["lead_agency"]["enum"]
    return _schema(["lead_agency", "reason"], {
        "lead_agency": _choice("Lead agency", {a: a for a in agencies}, "Select the lead agency", "select"),
        "lead_officer": {**_choice("Lead officer", {u.username: f"{u.display_name} ({u.agency})" for u in officers},
                                   "Select the lead officer", "select"),
                         "description": "Leave blank if nobody is named yet"},
        "reason": REASON,
    })


def agreed_action() -> dict[str, Any]:
    return _schema(["description", "owner_role", "due"], {
        "description": {"type": "string", "title": "What has been agreed?", "minLength": 1,
                        "maxLength": ACTION_DESCRIPTION_MAX,
                        "x-widget": "textarea", "x-required-message": "Enter the action"},
        "owner_role": _choice("Which agency owns the action?", {r: role_name(r) for r in ACTION_ROLES},
                              "Select the agency role that owns the action", "select"),
        "due": {"type": "string", "format": "date", "title": "Action due date", "x-date": "future",
                "description": "For example, 27 3 2027", "x-required-message": "Enter the date the action is due"},
    })
