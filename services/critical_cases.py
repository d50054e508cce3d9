"""Critical Public Protection Cases (MAPPA guidance ch.19, MAPPA.md §12).

UNCONFIRMED: MAPPA.md could not check the current CPPC criteria and forms against the live HMPPS guidance. What is
built is what it does confirm: only Level 3 cases are considered (PC 19/2004: "the most critical Level 3 cases were
notified nationally"), and a case is notified nationally. The steps between (referral, the senior manager's
decision, the notification to HMPPS Public Protection Group, periodic review) and every time limit (area settings
``cppc_*``) are this product's reading, to be checked before relying on them.

The MAPPA coordinator flags a Level 3 case, which starts bpmn/critical_case.bpmn: the coordinator prepares the CPPC
referral, the Responsible Authority's senior manager (role ``manager``) approves or declines it, on approval the
coordinator records the national notification (who was told, when, their reference), and the flag is reviewed at
the area's interval until it is de-registered. Each step has a deadline; a missed one is escalated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from services import clock, dates, forms
from services.access import load_case_for, log_access
from services.db import db
from services.errors import Conflict, FieldError, NotFound, ValidationFailed
from services.instances import CLOSED_STATUSES, lock_case, phase_data, record, start_phase
from services.models import CaseEvent, CriticalFlag, HumanTask, MappaCase, ProcessInstance, User
from services.permissions import SECTION_EVENTS

PHASE = "critical"
CRITICAL_LEVEL = 3  # only a Level 3 case can be a critical public protection case
FLAG_FORM = "critical_flag"
NOTIFICATION_FORM = "critical_notification"
STATUSES: dict[str, str] = {
    "referral": "CPPC referral being prepared",
    "awaiting decision": "CPPC referral awaiting the senior manager's decision",
    "critical": "Critical public protection case (national notification due)",
    "notified": "Critical public protection case (notified nationally)",
    "declined": "CPPC referral declined",
    "de-registered": "De-registered",
    "ended": "Ended: the case left MAPPA",
}
OPEN_STATUSES = ("referral", "awaiting decision", "critical", "notified")
CRITICAL_STATUSES = ("critical", "notified")
# the case history rows that make up a flag's history on the case page
HISTORY_EVENTS = tuple(kind for kind, section in SECTION_EVENTS.items() if section == "critical")  # one list


def open_flag(case_id: int) -> CriticalFlag | None:
    """The case's flag that has not ended (at most one)."""
    return db.session.scalars(select(CriticalFlag).where(CriticalFlag.case_id == case_id,
                                                         CriticalFlag.status.in_(OPEN_STATUSES))).first()


def refusal(case: MappaCase) -> str | None:
    """Why this case cannot be flagged now, or None."""
    if case.status in CLOSED_STATUSES:
        return f"This case is closed ({case.status}): it cannot be flagged as a critical public protection case"
    if case.level != CRITICAL_LEVEL:
        at = f"Level {case.level}" if case.level else "no level yet"
        return f"Only a Level 3 case can be a critical public protection case: this case is at {at}"
    if open_flag(case.id) is not None:
        return "This case is already flagged as a critical public protection case"
    return None


def flag_case(user: User, case_id: int, data: dict[str, Any]) -> CriticalFlag:
    """Flag a Level 3 case (checked whole first: nothing is written unless all of it is right) and start the CPPC
    referral."""
    case = load_case_for(user, case_id, "critical:flag", event="case_viewed")
    # two flags at once queue on the case row, so the second sees the first one's flag
    lock_case(case)
    refused = refusal(case)
    if refused:
        raise Conflict(refused)
    errors = forms.validate(forms.load_form(FLAG_FORM), data)
    if errors:
        raise ValidationFailed(errors)
    row = CriticalFlag(case_id=case.id, status="referral", reason=str(data["critical_flag_reason"]),
                       flagged_by_id=user.id, flagged_at=clock.now())
    db.session.add(row)
    db.session.flush()
    instance = start_phase(case, PHASE, phase_data(case, {}) | {
        "critical_flag_id": row.id, "critical_flag_reason": row.reason}, user)
    row.process_instance_id = instance.id
    summary = f"Flagged as a possible critical public protection case: {row.reason}"
    record(case, "critical_flagged", summary[:400], user, instance, {"critical_flag": row.id})
    log_access(user, "critical_case_flagged", case.id, summary[:400])
    return row


def _flag_of(task: HumanTask, data: dict[str, Any]) -> CriticalFlag:
    row = db.session.get(CriticalFlag, int(data.get("critical_flag_id") or 0))
    if row is None or row.case_id != task.case_id:
        raise NotFound("critical case flag not found")
    return row


def _history(user: User, task: HumanTask, kind: str, summary: str, detail: dict[str, Any]) -> None:
    record(task.case, kind, summary[:400], user, db.session.get(ProcessInstance, task.instance_id), detail)


def on_referral(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    """The CPPC referral is prepared: it waits for the senior manager."""
    row = _flag_of(task, data)
    row.status = "awaiting decision"
    _history(user, task, "critical_referral_prepared", f"CPPC referral prepared: {data.get('cppc_risk_summary')}",
             {"critical_flag": row.id})


def on_decision(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    """The senior manager approves (the case is critical from now) or declines the referral (the flag ends)."""
    row = _flag_of(task, data)
    approved = data.get("cppc_decision") == "approve"
    row.status = "critical" if approved else "declined"
    row.decided_by_id, row.decided_at, row.decision_note = user.id, clock.now(), str(data.get("cppc_decision_note"))
    if not approved:
        row.ended_at = clock.now()
    verdict = "approved: the case is a critical public protection case" if approved else "declined"
    _history(user, task, "critical_referral_decided", f"CPPC referral {verdict}. {row.decision_note}",
             {"critical_flag": row.id, "decision": data.get("cppc_decision")})


def notification_errors(user: User, task: HumanTask, data: dict[str, Any]) -> list[FieldError]:
    """The case is notified nationally on or after the day the senior manager approved the referral."""
    row = db.session.scalars(select(CriticalFlag).where(CriticalFlag.process_instance_id == task.instance_id)).first()
    return forms.on_or_after(NOTIFICATION_FORM, "notified_on", data, row.decided_at if row else None,
                             "when the referral was approved")


def on_notification(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    """The national notification: who at HMPPS Public Protection Group was told, when, and their reference. Telling
    them shares the case outside the area, so the case's s.62 log keeps it too."""
    row = _flag_of(task, data)
    row.status, row.notified_by_id = "notified", user.id
    row.notified_to, row.notification_reference = str(data["ppg_contact"]), str(data["notification_reference"])
    row.notified_on = dates.parse_day(data.get("notified_on"))
    summary = (f"Notified to {row.notified_to} of HMPPS Public Protection Group on {dates.long_date(row.notified_on)}, "
               f"reference {row.notification_reference}")
    _history(user, task, "critical_case_notified", summary, {"critical_flag": row.id})
    log_access(user, "critical_case_notified", row.case_id, summary[:400])


def on_review(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    """The flag's review: it stays (reviewed again after the area's interval) or the case is de-registered."""
    row = _flag_of(task, data)
    keep = data.get("flag_review_decision") == "keep"
    if not keep:
        row.status, row.ended_at = "de-registered", clock.now()
    outcome = "still critical" if keep else "de-registered"
    _history(user, task, "critical_flag_reviewed", f"Critical case flag reviewed: {outcome}. "
             f"{data.get('flag_review_note')}", {"critical_flag": row.id, "decision": data.get("flag_review_decision")})


def end_with_case(case: MappaCase, actor: User | None, now: datetime) -> None:
    """A case that leaves MAPPA is no longer a critical public protection case: its open flag ends with it (its
    running phase is cancelled by the caller, with the case's other side phases)."""
    row = open_flag(case.id)
    if row is None:
        return
    row.status, row.ended_at = "ended", now
    record(case, "critical_flag_ended", f"Critical case flag ended: the case is {case.status}", actor,
           db.session.get(ProcessInstance, row.process_instance_id) if row.process_instance_id else None,
           {"critical_flag": row.id})


def flags_of(case_id: int) -> list[CriticalFlag]:
    """The case's flags, newest first (read with the case, already logged)."""
    return list(db.session.scalars(select(CriticalFlag).where(CriticalFlag.case_id == case_id)
                                   .order_by(CriticalFlag.flagged_at.desc(), CriticalFlag.id.desc())))


def history(case_id: int) -> list[CaseEvent]:
    """Every step of the case's flags, oldest first."""
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                           CaseEvent.kind.in_(HISTORY_EVENTS))
                                   .order_by(CaseEvent.at, CaseEvent.id)))


def critical_case_ids() -> Select[int]:
    """The ids of the cases that are critical public protection cases now (a subquery for the case list)."""
    return select(CriticalFlag.case_id).where(CriticalFlag.status.in_(CRITICAL_STATUSES))


def is_critical(case_id: int) -> bool:
    return any(flag.status in CRITICAL_STATUSES for flag in flags_of(case_id))
