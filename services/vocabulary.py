"""Words for the codes the service stores: one place that turns a field's key and value into what people read.

Field names and coded answers come from the shipped forms (each field's ``title`` and ``x-labels``), roles from
workflows.lanes, categories from services.levels; the few facts no form asks for are named here. Pages (the Jinja
filters ``human`` and ``field_label``), history sentences and task pages read these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

from services import dates, forms, levels
from workflows.lanes import ROLE_NAMES

# Facts on the case and in workflow data that no form field names, or whose form title reads as a question.
FIELD_NAMES: dict[str, str] = {
    "category": "MAPPA category", "confirmed_category": "MAPPA category", "level": "Level", "status": "Status",
    "lead_agency": "Lead agency", "lead_officer": "Lead officer", "next_review_due": "Next review due",
    "next_review_date": "Next review date", "notification_review_due": "Notification review due",
    "exit_reason": "Exit reason", "exit_date": "Exit date", "exit_due": "Exit due",
    "exit_reason_suggested": "Suggested exit reason", "crn": "NDelius CRN", "pnc_id": "PNC ID",
    "visor_reference": "ViSOR reference", "custody": "In custody", "release_date": "Earliest release date",
    "sentence_date": "Sentence date", "licence_end": "Licence or hospital order end",
    "notification_end": "Notification period end", "date_of_birth": "Date of birth", "offender_name": "Name",
    "victims_flag": "Identifiable victims", "children_flag": "Risks to children",
    "vulnerable_adults_flag": "Risks to adults at risk", "suggested_level": "Level suggested by the screening rules",
    "suggestion_reason": "Why", "level_requested": "Level of management sought",
    "level3_reason": "What Level 2 cannot deliver", "rosh": "Risk of serious harm",
    "missing_information": "Information missing from the referral", "early_review": "Early review",
    "early_review_reason": "Why an early review was requested", "early_review_detail": "What has happened",
    "early_review_by": "Early review requested by", "action_description": "Agreed action",
    "action_due": "Action due by", "owner_role": "Action owned by", "agreed_by": "Agreed by",
    "review_outcome": "Review outcome", "review_rationale": "Rationale", "transfer_reason": "Reason for the transfer",
    "transferred_from": "Transferred from", "senior_resources_needed": "Senior representation or resources needed",
    "disclosure_recipient": "Disclose to", "disclosure_information": "What is disclosed",
    "disclosure_power": "Power used", "offender_told_first": "Offender told first",
    "disclosure_undertaking": "Recipient's undertaking", "deliver_by": "Deliver by",
    "deliverer_role": "Delivered by",
    "rso_due_label": "What is due", "notify_by": "Due by", "rso_breach": "Breach",
    "sfo_offence": "Charged with", "sfo_charged_on": "Charged on", "sfo_details": "What happened",
    # critical public protection cases (bpmn/critical_case.bpmn)
    "critical_flag_reason": "Why it may be critical", "cppc_national_resources": "Needed beyond the area",
    "referral_due": "Referral due", "approval_due": "Decision due", "notification_due": "Notification due",
    "flag_review_due": "Review due",
    "audit_year": "Audit of the year", "audit_due": "Audit due by", "audit_meeting": "Meeting audited",
}
# Keys whose numbers are levels or categories, and keys whose values are role keys.
LEVEL_KEYS = frozenset({"level", "suggested_level", "level_requested", "proposed_level", "rescreen_level"})
CATEGORY_KEYS = frozenset({"category", "confirmed_category"})
ROLE_KEYS = frozenset({"owner_role", "role", "deliverer_role"})
# Case statuses (services.cases.STATUSES) and process instance statuses as people read them.
CASE_STATUSES: dict[str, str] = {
    "identified": "Identified", "referred": "Referred", "screening": "Screening", "level 1": "Level 1",
    "level 2": "Level 2", "level 3": "Level 3", "exited": "Exited", "not eligible": "Not eligible",
}
INSTANCE_STATUSES: dict[str, str] = {"running": "In progress", "completed": "Finished", "error": "Stopped by an error",
                                     "cancelled": "Ended early"}
TASK_STATES: dict[str, str] = {"ready": "Open", "completed": "Completed", "cancelled": "Cancelled"}


@cache
def _form_words() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Every shipped form's field titles and coded answers, by field key (the first form to name a key wins)."""
    titles: dict[str, str] = {}
    answers: dict[str, dict[str, str]] = {}
    for path in sorted(forms.FORMS_DIR.glob("*.json")):
        for key, prop in forms.load_form(path.stem).get("properties", {}).items():
            if "title" in prop:
                titles.setdefault(key, str(prop["title"]))
            for value, label in prop.get("x-labels", {}).items():
                answers.setdefault(key, {}).setdefault(str(value), str(label))
    return titles, answers


def field_label(key: str) -> str:
    """What a field is called: ``crn`` -> "NDelius CRN", ``rosh`` -> "Risk of serious harm"."""
    if key in FIELD_NAMES:
        return FIELD_NAMES[key]
    title = _form_words()[0].get(key)
    if title and not title.endswith("?"):
        return title
    return key.replace("_", " ").strip().capitalize()


def label_for(key: str, value: Any) -> str:
    """A field's value in words: booleans as Yes/No, ISO dates as "2 December 2026", levels, categories, roles,
    statuses and coded answers by their labels; free text unchanged."""
    if value is None or value == "":
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return dates.long_datetime(value)
    if isinstance(value, date):
        return dates.long_date(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{field_label(str(k))}: {label_for(str(k), v)}" for k, v in value.items())
    if isinstance(value, Iterable) and not isinstance(value, str):
        return ", ".join(label_for(key, v) for v in value)
    return _coded(key, value)


def _coded(key: str, value: Any) -> str:
    text = str(value)
    if key in LEVEL_KEYS and text in {"1", "2", "3"}:
        return f"Level {text}"
    if key in CATEGORY_KEYS and text.isdigit():
        return levels.CATEGORIES.get(int(text), f"Category {text}")
    if key in ROLE_KEYS:
        return ROLE_NAMES.get(text, text)
    if key == "status":
        return CASE_STATUSES.get(text, text)
    coded = _form_words()[1].get(key, {})
    if text in coded:
        return coded[text]
    if text.lower() in ("true", "false", "yes", "no") and key.endswith(("_flag", "_required", "_needed")):
        return "Yes" if text.lower() in ("true", "yes") else "No"
    return dates.long_date_text(text)


def is_coded(key: str, value: Any) -> bool:
    """Whether the value is one of a known list (a level, a category, a role, a form's coded answer)."""
    if key in LEVEL_KEYS | CATEGORY_KEYS | ROLE_KEYS:
        return True
    return str(value) in _form_words()[1].get(key, {})


def case_status(status: str) -> str:
    return CASE_STATUSES.get(status, status.capitalize())


def instance_status(status: str) -> str:
    return INSTANCE_STATUSES.get(status, status.capitalize())


def task_state(state: str) -> str:
    return TASK_STATES.get(state, state.capitalize())
