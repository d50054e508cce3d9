"""Things set in motion on a case between steps: an early review (any agency on the case), a new release date,
a transfer to another area, a change of lead (each a permission on the case, services.permissions), an agreed
action."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from services import clock, forms, meetings
from services.access import load_case, load_case_for, log_access
from services.agencies import absent_agency
from services.dates import long_date
from services.db import db
from services.errors import Conflict, FieldError, NotFound, ValidationFailed
from services.instances import (
    ENGINE,
    MANAGEMENT_PHASES,
    load,
    lock,
    lock_case,
    phase_data,
    record,
    running_phase,
    save,
    start_phase,
    tell_visor,
)
from services.models import Area, HumanTask, MappaCase, ProcessInstance, User
from services.permissions import require
from workflows.engine import NotWaiting
from workflows.lanes import ACTION_OWNER_ROLES, LEAD_AGENCIES, LEAD_ROLES, role_name

EARLY_REVIEW_REASONS = {
    "risk_change": "Significant change in risk", "breach": "Breach", "recall": "Recall to custody",
    "arrest": "Arrest or charge", "move": "Change of address or move", "intelligence": "New intelligence",
    "meeting": "Reviewed at a MAPP meeting",
}
CLOSED = ("exited", "not eligible")
ACTION_ROLES = ACTION_OWNER_ROLES  # who may own an agreed action: one vocabulary (workflows.lanes)


def _open_case(user: User, case_id: int, event: str, detail: str | None = None, *,
               permission: str | None = None, starts_work: bool = False) -> MappaCase:
    """The case to change: visible to the user, holding ``permission`` on it when one is named, and open. A closed
    case's record may be corrected by the coordinator, but nothing that ``starts_work`` (a transfer's re-screening,
    an agreed action) begins on a case that has left MAPPA."""
    if permission is None:
        case = load_case(user, case_id, event=event, detail=detail)
    else:
        case = load_case_for(user, case_id, permission, event=event, detail=detail)
    if case.status in CLOSED and starts_work:
        raise Conflict(f"This case is closed ({case.status}): it has left MAPPA, so no new work can start on it")
    if case.status in CLOSED and "coordinator" not in user.roles:
        raise Conflict(f"This case is closed ({case.status}); only a MAPPA coordinator can change it")
    return case


MESSAGES = {"reason": "Enter the reason", "to_area": "Select the MAPPA area the case moves to",
            "lead_agency": "Select the lead agency"}


def _required(data: dict[str, Any], *keys: str) -> None:
    missing = [FieldError(k, MESSAGES[k]) for k in keys if not str(data.get(k) or "").strip()]
    if missing:
        raise ValidationFailed(missing)


def request_early_review(user: User, case_id: int, reason: str, detail: str) -> MappaCase:
    errors = []
    if reason not in EARLY_REVIEW_REASONS:
        errors.append(FieldError("reason", "Select why an early review is needed"))
    if not detail.strip():
        errors.append(FieldError("detail", "Enter what has happened"))
    if errors:
        raise ValidationFailed(errors)
    case = _open_case(user, case_id, "early_review_requested", reason)
    current = running_phase(case, frozenset({"review"}))
    if current is None:
        raise Conflict("There is no review period waiting for this case: its next step is already under way")
    instance = lock(current.id)
    wf = load(instance)
    payload = {"early_review_reason": EARLY_REVIEW_REASONS[reason], "early_review_detail": detail.strip(),
               "early_review_by": user.username}
    try:
        result = ENGINE.send_message(wf, "early_review", payload, clock.now())
    except NotWaiting:
        raise Conflict("The review is already under way; raise the change with the person holding it") from None
    record(case, "early_review_requested", f"Early review requested ({user.agency}): "
           f"{EARLY_REVIEW_REASONS[reason]}", user, instance, payload)
    save(instance, case, wf, result, user)
    return case


def change_release_date(user: User, case_id: int, release_date: date, reason: str) -> MappaCase:
    case = _open_case(user, case_id, "release_date_change_requested", f"{release_date}: {reason}",
                      permission="cases:change_release_date")
    _required({"reason": reason}, "reason")
    if not case.custody:
        raise ValidationFailed([FieldError("release_date", "The offender is not in custody")])
    # the referral form's rule for an earliest release date (x-date: today or later, and not years away)
    field = {"release_date": forms.load_form("referral")["properties"]["release_date"]}
    wrong = forms.date_errors({"properties": field}, {"release_date": release_date.isoformat()})
    if wrong:
        raise ValidationFailed(wrong)
    old = case.release_date
    case.release_date = release_date
    case.updated_at = clock.now()
    record(case, "case_updated", f"Release date changed from {old} to {release_date}: {reason}", user, None,
           {"changes": {"release_date": [str(old), release_date.isoformat()]}, "reason": reason})
    if old != release_date:
        tell_visor(case, [("release_date", f"Earliest release date changed from {long_date(old) if old else 'none'} "
                                           f"to {long_date(release_date)}")], user)
    current = running_phase(case, frozenset({"custody"}))
    if current is not None:
        instance = lock(current.id)
        wf = load(instance)
        result = ENGINE.update_open_data(wf, {"release_date": release_date.isoformat()}, clock.now())
        save(instance, case, wf, result, user)
        _refresh_due_dates(instance)
    return case


def change_address(user: User, case_id: int, address: str, moved_on: date, reason: str) -> MappaCase:
    """The offender lives somewhere new from ``moved_on``: the case keeps it, the history says why, and the case's
    ViSOR user is given it to record (a registered sex offender's own notification is services.rso's)."""
    case = _open_case(user, case_id, "address_change_requested", f"moved on {moved_on}",
                      permission="cases:change_address")
    address = " ".join(address.split())
    _required({"reason": reason}, "reason")
    if not address:
        raise ValidationFailed([FieldError("address", "Enter the new address")])
    if case.address == address and case.address_since == moved_on:
        raise ValidationFailed([FieldError("address", "This is already the case's address")])
    old = case.address
    case.address, case.address_since, case.updated_at = address, moved_on, clock.now()
    record(case, "case_updated", f"Address changed on {long_date(moved_on)}: {reason}", user, None,
           {"changes": {"address": [old, address], "address_since": [None, moved_on.isoformat()]}, "reason": reason})
    tell_visor(case, [("address", f"Moved on {long_date(moved_on)} to {address}")], user)
    return case


def _refresh_due_dates(instance: ProcessInstance) -> None:
    """Open steps whose due date follows the data get it worked out again (completed work keeps its dates)."""
    from services.catalogue import parsed

    wf = load(instance)
    ready = {info.task_id: info for info in ENGINE.ready_user_tasks(wf, parsed(instance.model))}
    now = clock.now()
    for task in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                           HumanTask.state == "ready")):
        info = ready.get(task.task_uuid)
        if info is not None and info.step.due_expression:
            task.due_date = ENGINE.due_date(info, now)
            task.overdue = bool(task.due_date and task.due_date < clock.today())


def transfer(user: User, case_id: int, to_area_code: str, reason: str) -> MappaCase:
    """Move a case to another MAPPA area. The sending area cannot block it; the receiving area re-screens."""
    case = _open_case(user, case_id, "case_transfer_requested", f"to {to_area_code}: {reason}",
                      permission="cases:transfer", starts_work=True)
    _required({"reason": reason, "to_area": to_area_code}, "to_area", "reason")
    target = db.session.scalars(select(Area).where(Area.code == to_area_code)).first()
    if target is None:
        raise ValidationFailed([FieldError("to_area", "Select a MAPPA area that exists")])
    if target.id == case.area_id:
        raise ValidationFailed([FieldError("to_area", "The case is already managed in that area")])
    source = case.area
    now = clock.now()
    running = _locked_for_transfer(case)
    if case.area_id != source.id:
        moved_to = db.session.get(Area, case.area_id)
        raise Conflict(f"This case was moved to {moved_to.name if moved_to else 'another area'} by someone else "
                       "at the same moment")
    meetings.leave_agendas(user, case, f"the case was transferred to {target.name}")
    for instance in running:
        instance.status, instance.ended_at, instance.next_timer_at = "cancelled", now, None
        instance.version += 1
        record(case, "phase_cancelled", f"{instance.model.name} ended by the transfer", user, instance, {})
    for task in db.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == "ready")):
        if db.session.get(ProcessInstance, task.instance_id).status == "cancelled":  # type: ignore[union-attr]
            task.state, task.completed_at = "cancelled", now
        else:
            task.area_id, task.assignee_id = target.id, None
    case.area_id, case.area = target.id, target
    case.lead_officer_id = None
    case.updated_at = now
    record(case, "case_transferred", f"Transferred from {source.name} to {target.name}: "
           f"{reason}", user, None, {"from": source.code, "to": target.code, "reason": reason})
    db.session.flush()
    start_phase(case, "transfer", phase_data(case, {}) | {"transferred_from": source.name, "transfer_reason": reason},
                user)
    return case


def _locked_for_transfer(case: MappaCase) -> list[ProcessInstance]:
    """The case's running management phases, then the case row, locked in the order a completion takes them: a
    transfer waits for a step being completed (and for the phase it starts), a second transfer for the first."""
    locked: dict[int, ProcessInstance] = {}
    while fresh := [i for i in db.session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.case_id == case.id, ProcessInstance.status.in_(("running", "error")),
            ProcessInstance.phase.in_(sorted(MANAGEMENT_PHASES))).order_by(ProcessInstance.id)) if i not in locked]:
        locked |= {instance_id: lock(instance_id) for instance_id in fresh}
    lock_case(case)
    return [instance for instance in locked.values() if instance.status in ("running", "error")]


def change_lead(user: User, case_id: int, lead_agency: str, lead_officer: str | None, reason: str) -> MappaCase:
    """The coordinator, or the lead agency's manager, names the lead agency and an officer holding its lead role."""
    case = _open_case(user, case_id, "case_lead_change_requested", f"{lead_agency} {lead_officer or ''}: {reason}",
                      permission="cases:change_lead")
    _required({"reason": reason, "lead_agency": lead_agency}, "lead_agency", "reason")
    if lead_agency not in LEAD_AGENCIES:
        raise ValidationFailed([FieldError("lead_agency", "Select a lead agency from the list")])
    officer = _lead_officer(case, lead_agency, lead_officer) if lead_officer else None
    changes: dict[str, list[str | None]] = {
        "lead_agency": [case.lead_agency, lead_agency],
        "lead_officer": [case.lead_officer.username if case.lead_officer else None, lead_officer or None]}
    moved = any(before != after for before, after in changes.values())
    case.lead_agency, case.lead_officer_id, case.lead_officer = lead_agency, officer.id if officer else None, officer
    case.updated_at = clock.now()
    record(case, "case_updated", f"Lead changed to {lead_agency}"
           f"{' (' + officer.display_name + ')' if officer else ''}: {reason}", user, None,
           {"changes": changes, "reason": reason})
    _tell_running_phases(case, {"lead_officer": lead_officer or None}, user)
    if moved:
        tell_visor(case, [("lead", f"Lead changed to {lead_agency}"
                                   f"{' (' + officer.display_name + ')' if officer else ' (no officer named)'}")], user)
    return case


def _tell_running_phases(case: MappaCase, data: dict[str, Any], user: User) -> None:
    """Steps not yet reached in the case's running phases see the change (the lead officer's steps go to the new
    lead, not the former one); their timers keep their dates."""
    for instance_id in db.session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.case_id == case.id, ProcessInstance.status == "running")).all():
        instance = lock(instance_id)
        wf = load(instance)
        save(instance, case, wf, ENGINE.update_open_data(wf, data, clock.now(), replan_timers=False), user)


def _lead_officer(case: MappaCase, lead_agency: str, username: str) -> User:
    """The named officer must work in the case's area and hold the lead agency's lead role (workflows.lanes)."""
    officer = db.session.scalars(select(User).where(User.username == username, User.area_id == case.area_id,
                                                    User.active.is_(True))).first()
    if officer is None:
        raise ValidationFailed([FieldError("lead_officer", "Select an officer in this MAPPA area")])
    if LEAD_ROLES[lead_agency] not in officer.roles:
        raise ValidationFailed([FieldError("lead_officer", f"Select an officer who works as "
                                                           f"{role_name(LEAD_ROLES[lead_agency])} to lead for "
                                                           f"{lead_agency}")])
    return officer


def agree_action(user: User, case_id: int, description: str, owner_role: str, due: date | None) -> ProcessInstance:
    require(user, "actions:agree")
    errors = []
    if not description.strip():
        errors.append(FieldError("description", "Enter the action"))
    if owner_role not in ACTION_ROLES:
        errors.append(FieldError("owner_role", "Select the agency role that owns the action"))
    elif (absent := absent_agency(user.area_id, owner_role)) is not None:
        errors.append(FieldError("owner_role", f"{absent.name} does not work with this area: select another owner"))
    if due is None:
        errors.append(FieldError("due", "Enter the date the action is due"))
    elif due < clock.today():
        errors.append(FieldError("due", "The due date cannot be in the past"))
    if errors:
        raise ValidationFailed(errors)
    case = _open_case(user, case_id, "action_agreed", starts_work=True)
    assert due is not None
    instance = start_phase(case, "action", phase_data(case, {}) | {
        "action_description": description.strip(), "owner_role": owner_role, "action_due": due.isoformat(),
        "agreed_by": user.username}, user)
    record(case, "action_agreed", f"Action for {role_name(owner_role)} due {long_date(due)}: {description.strip()}",
           user, instance, {"owner_role": owner_role, "due": due.isoformat(), "description": description.strip()})
    log_access(user, "action_agreed", case.id, description[:200])
    return instance


def case_or_404(case_id: int) -> MappaCase:
    case = db.session.get(MappaCase, case_id)
    if case is None:
        raise NotFound("case not found")
    return case
