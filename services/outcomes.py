"""What happened to a MAPPA offender that the national annual statistics count: returns to custody, breaches of
notification requirements, serious further offences and serious case reviews (MAPPA.md §16). Each is recorded
in the case history as an event of its own kind, with the day it happened and the category and level the
history had for the case that day."""

from __future__ import annotations

from datetime import date
from typing import Any

from services import clock
from services.access import load_case_for
from services.case_history_at import case_facts_at
from services.errors import FieldError, ValidationFailed
from services.instances import record
from services.models import MappaCase, User
from services.performance import end_of

OUTCOMES: dict[str, str] = {
    "returned_to_custody": "Returned to custody",
    "notification_breach": "Cautioned or convicted for breach of notification requirements",
    "serious_further_offence": "Charged with a serious further offence",
    "serious_case_review": "MAPPA serious case review commissioned",
}
CUSTODY_REASONS: dict[str, str] = {
    "licence_breach": "Breach of licence",
    "order_breach": "Breach of a restrictive order (SHPO, SRO or other)",
    "further_offence": "Further offence",
}


def record_outcome(user: User, case_id: int, kind: str, on: date | None, reason: str | None,
                   note: str) -> None:
    """Record one outcome on a case the user may act on; the case's level that day is kept with it."""
    case = load_case_for(user, case_id, "cases:record_outcome", event="case_outcome_recorded")
    errors = []
    if kind not in OUTCOMES:
        errors.append(FieldError("kind", "Choose what happened"))
    if on is None:
        errors.append(FieldError("on", "Enter the date it happened"))
    elif on > clock.today():
        errors.append(FieldError("on", "The date it happened must be today or in the past"))
    if kind == "returned_to_custody" and reason not in CUSTODY_REASONS:
        errors.append(FieldError("reason", "Choose why the offender was returned to custody"))
    if errors:
        raise ValidationFailed(errors)
    assert on is not None
    note_outcome(case, user, kind, on, note, reason)


def note_outcome(case: MappaCase, user: User, kind: str, on: date, note: str, reason: str | None = None) -> None:
    """The outcome in the case history, with the category and level the case had that day (already checked: the
    serious further offence process records its charge and its serious case review this way, services.sfo)."""
    then = case_facts_at(case, end_of(on))
    detail: dict[str, Any] = {"on": on.isoformat(), "category": then.category, "level": then.level, "note": note}
    if kind == "returned_to_custody":
        detail["reason"] = reason
    label = OUTCOMES[kind] + (f" ({CUSTODY_REASONS[reason].lower()})" if reason in CUSTODY_REASONS else "")
    record(case, kind, f"{label} on {on.isoformat()}", user, None, detail)
