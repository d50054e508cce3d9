"""Process instances of a case: start a phase, save state with optimistic locking, keep projections in step.

Saving an instance rewrites, in the same transaction, the human_task inbox projection, the case's projected
facts and its history. When a phase ends, the next phase starts as a new instance ("continue as new").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import Any, cast

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import CursorResult, Update, bindparam, func, insert, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from services import clock, levels, visor
from services.catalogue import PHASES, latest_model, parsed
from services.db import db
from services.errors import Conflict, FieldError, ValidationFailed
from services.models import CaseEvent, HumanTask, MappaCase, ProcessInstance, ProcessModel, User
from services.settings import area_settings
from workflows import Engine, StepResult
from workflows.engine import EngineError, NotWaiting, UserTaskInfo
from workflows.lanes import visor_role

ENGINE = Engine()


def limit_scripts(seconds: float) -> None:
    """Set the time limit of each BPMN script and expression (the size limits keep their defaults)."""
    environment = ENGINE.script_engine.environment
    environment.limits = replace(environment.limits, seconds=seconds)

# Workflow data keys projected onto the case row, with their types.
CASE_FIELDS: dict[str, type] = {
    "category": int, "status": str, "notification_review_due": date,
    "level": int, "next_review_due": date, "exit_reason": str, "exit_date": date,
    "visor_reference": str, "pnc_id": str, "licence_end": date, "notification_end": date, "custody": bool,
}


def start_phase(case: MappaCase, phase: str, data: dict[str, Any], actor: User | None) -> ProcessInstance:
    row = latest_model(PHASES[phase])
    model = parsed(row)
    now = clock.now()
    wf, result = ENGINE.start(model, {"case_id": case.id, **data}, now)
    sequence = (db.session.scalar(select(func.max(ProcessInstance.sequence)).where(ProcessInstance.case_id == case.id))
                or 0) + 1
    instance = ProcessInstance(case_id=case.id, model_id=row.id, phase=phase, sequence=sequence, status="running",
                               state="{}", version=0, started_at=now)
    instance.model = row
    db.session.add(instance)
    db.session.flush()
    record(case, "phase_started", f"{row.name} started", actor, instance, {"model_version": row.version})
    save(instance, case, wf, result, actor, open_tasks=[])  # a new instance has no tasks yet
    return instance


def lock(instance_id: int) -> ProcessInstance:
    """Take the instance row for writing (FOR UPDATE on PostgreSQL; SQLite transactions begin IMMEDIATE).

    The model version's files are not read: the parsed model and its forms are cached by checksum
    (services.catalogue.parsed, services.forms.version_form) and load them only the first time."""
    return db.session.scalars(_LOCK_INSTANCE, {"instance_id": instance_id}).one()


# Built once: a statement object keeps its cache key, which SQLAlchemy otherwise works out anew for every request.
_LOCK_INSTANCE = (select(ProcessInstance).where(ProcessInstance.id == bindparam("instance_id"))
                  .with_for_update(of=ProcessInstance)
                  .options(joinedload(ProcessInstance.model, innerjoin=True).defer(ProcessModel.files))
                  .execution_options(populate_existing=True))
_LOCK_OPEN_TASKS = (select(HumanTask)
                    .where(HumanTask.instance_id == bindparam("instance_id"), HumanTask.state == "ready")
                    .with_for_update(of=HumanTask).execution_options(populate_existing=True))


def lock_case(case: MappaCase) -> MappaCase:
    """Take the case row for writing and read it afresh: changes of one case made at once queue here, and the second
    sees what the first wrote. FOR NO KEY UPDATE, as the access-log and history rows already written in this
    transaction hold key-share locks on the case row."""
    return db.session.scalars(select(MappaCase).where(MappaCase.id == case.id)
                              .with_for_update(of=MappaCase, key_share=True)
                              .execution_options(populate_existing=True)).one()


def lock_open_tasks(instance: ProcessInstance) -> list[HumanTask]:
    """The instance's open (ready) tasks, taken for writing and read afresh, after ``lock``: what ``save`` is to
    project onto (pass them as its ``open_tasks``), and none of them can be claimed, handed on or finished by
    anyone else until this transaction ends."""
    return list(db.session.scalars(_LOCK_OPEN_TASKS, {"instance_id": instance.id}))


def load(instance: ProcessInstance) -> BpmnWorkflow:
    return ENGINE.load(parsed(instance.model), instance.state)


def save(instance: ProcessInstance, case: MappaCase, wf: BpmnWorkflow, result: StepResult,
         actor: User | None, completed_task_uuid: str | None = None,
         open_tasks: list[HumanTask] | None = None, *, still_in_error: bool = False) -> None:
    """Write the instance's state (versioned UPDATE) and rewrite its projections. ``open_tasks``: its ready
    human_task rows when the caller already holds them (lock_open_tasks), else they are read here. The history it
    records is written in one INSERT (history_batch). ``still_in_error``: the instance keeps its open incident
    (moved to another version while in error, it waits for the process owner's retry)."""
    with history_batch():
        _save(instance, case, wf, result, actor, completed_task_uuid, open_tasks, still_in_error)


def _save(instance: ProcessInstance, case: MappaCase, wf: BpmnWorkflow, result: StepResult,
          actor: User | None, completed_task_uuid: str | None, open_tasks: list[HumanTask] | None,
          still_in_error: bool) -> None:
    now = clock.now()
    try:
        state = ENGINE.dump(wf)
    except EngineError as err:
        result.error = err
        state = instance.state
    model = parsed(instance.model)
    ready = ENGINE.ready_user_tasks(wf, model)
    routes = _routes(ready)
    if result.error is None:
        result.error = next((route for route in routes.values() if isinstance(route, EngineError)), None)
    if open_tasks is None:
        open_tasks = list(db.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "ready")))
    dues, due_error = _due_dates(instance, ready, routes, open_tasks, now)
    handover = result.data_changes.get("start_phase")
    phase_error = _unknown_phase(result, str(handover)) if handover and str(handover) not in PHASES else None
    # a due date or next phase that cannot be worked out is an incident too (the instance is in error, listed for
    # the process owner), but the step's work stands: its tasks still reach their people
    kept = EngineError(instance.error or "in error") if still_in_error and instance.status == "error" else None
    error = result.error or due_error or phase_error or kept
    finished = wf.is_completed() and error is None
    status = "error" if error else ("completed" if finished else "running")
    seen = instance.version
    values: dict[str, Any] = {
        "state": state, "version": seen + 1, "status": status, "next_timer_at": ENGINE.next_timer_at(wf),
        "error": describe_error(error) if error else None, "ended_at": now if finished else None,
    }
    # on the session's connection, as a Core statement: no autoflush here, the changes of the step (history,
    # projections) are written together when the session next flushes
    changed = cast(CursorResult[Any], db.session.connection().execute(
        _SAVE_STATE, {"instance_id": instance.id, "seen": seen} | {f"new_{key}": value for key, value in values.items()}
    )).rowcount
    if changed != 1:
        raise Conflict("this case was changed by someone else at the same moment; reload and try again")
    for key, value in values.items():  # already written by the versioned UPDATE: no second UPDATE from the ORM
        set_committed_value(instance, key, value)
    if error and error is not kept:
        record(case, "incident_raised", f"Process error in {error.task_name or instance.model.name}", None, instance,
               {"error": describe_error(error)})
    _project_tasks(instance, case, ready, routes, dues, actor, completed_task_uuid, now, open_tasks)
    was_open = case.status not in CLOSED_STATUSES
    tell_visor(case, visor.case_news(_project_case(case, result, actor, instance, now)), actor)
    if was_open and case.status in CLOSED_STATUSES:
        _end_side_phases(case, instance, actor, now)
    if handover and result.error is None and phase_error is None:
        _hand_over(case, instance, str(handover), result.data_changes, actor)
    if finished:
        record(case, "phase_completed", f"{instance.model.name} completed", actor, instance, {})
        _continue(case, wf.data, actor)


# The versioned UPDATE of save, built once (a statement keeps its cache key).
_SAVED_COLUMNS = ("state", "version", "status", "next_timer_at", "error", "ended_at")
_SAVE_STATE = (update(ProcessInstance)
               .where(ProcessInstance.id == bindparam("instance_id"), ProcessInstance.version == bindparam("seen"))
               .values({key: bindparam(f"new_{key}", type_=ProcessInstance.__table__.c[key].type)
                        for key in _SAVED_COLUMNS}))


def describe_error(error: EngineError) -> str:
    """An engine error for the process owner: its message, the element that failed and the line."""
    where = f" in '{error.task_name}'" if error.task_name else ""
    line = f" line {error.line}" if error.line else ""
    return f"{error.message}{where}{line}"


def _due_dates(instance: ProcessInstance, infos: list[UserTaskInfo],
               routes: dict[str, tuple[str, str | None] | EngineError], open_tasks: list[HumanTask],
               now: datetime) -> tuple[dict[str, date | None], EngineError | None]:
    """The due date of each new task (by its uuid), and the first rule that failed. An instance saved out of error
    (retried, or moved to a fixed version) also works out the due dates its open tasks lack, as of the day each
    opened."""
    existing = {t.task_uuid: t for t in open_tasks}
    dues: dict[str, date | None] = {}
    failed: EngineError | None = None
    for info in infos:
        task = existing.get(info.task_id)
        if task is None and isinstance(routes[info.task_id], EngineError):
            continue  # nobody gets the task (_project_tasks)
        if task is not None and (instance.status != "error" or task.due_date is not None
                                 or not (info.step.due_expression or info.step.due_in)):
            continue
        try:
            dues[info.task_id] = ENGINE.due_date(info, task.created_at if task is not None else now)
        except EngineError as err:
            dues[info.task_id] = None
            failed = failed or err
    return dues, failed


def _unknown_phase(result: StepResult, phase: str) -> EngineError:
    step = next((s for s in reversed(result.completed) if "start_phase" in s.data), None)
    return EngineError(f"asked to start an unknown phase '{phase}'", step.name if step else None)


def _project_tasks(instance: ProcessInstance, case: MappaCase, infos: list[UserTaskInfo],
                   routes: dict[str, tuple[str, str | None] | EngineError], dues: dict[str, date | None],
                   actor: User | None, completed_task_uuid: str | None, now: datetime,
                   open_tasks: list[HumanTask]) -> None:
    ready = {info.task_id: info for info in infos}
    existing = {t.task_uuid: t for t in open_tasks}
    for uuid, task in existing.items():
        if uuid in ready:
            if dues.get(uuid) is not None:  # worked out again, now that the rule is fixed (_due_dates)
                task.due_date = dues[uuid]
                task.overdue = bool(task.due_date and task.due_date < clock.today())
            continue
        done = uuid == completed_task_uuid
        _finish_task(task, "completed" if done else "cancelled", now, actor if done else None)
    added: list[dict[str, Any]] = []
    for uuid, info in ready.items():
        if uuid in existing:
            continue
        route = routes[uuid]
        if isinstance(route, EngineError):
            continue  # the instance is in error (_routes): nobody gets the task until the model is fixed
        role, assignee_name = route
        assignee_id = _assignee_id(case, instance, info, role, assignee_name)
        due = dues.get(uuid)  # None when its rule failed: the instance is in error, the task still goes out
        added.append(dict(
            task_uuid=uuid, instance_id=instance.id, case_id=case.id, area_id=case.area_id, bpmn_id=info.step.bpmn_id,
            name=info.step.name, lane=info.step.lane, role=role, form_key=info.step.form_key,
            state="ready", assignee_id=assignee_id, assigned_at=now if assignee_id else None, due_date=due,
            overdue=bool(due and due < clock.today()), created_at=now, context=ENGINE.context(info) or None,
            hook=info.step.hook, completed_at=None, completed_by_id=None, done_on=None,
        ))
    if added:  # Core, one INSERT for them all: no ORM objects to flush (the inbox and next_tasks read them back)
        db.session.connection().execute(_ADD_TASKS, added)


_ADD_TASKS = insert(HumanTask)
_FINISH_TASK = (update(HumanTask).where(HumanTask.id == bindparam("task_id"))
                .values(state=bindparam("new_state"), completed_at=bindparam("new_completed_at"),
                        completed_by_id=bindparam("new_completed_by_id")))


def _finish_task(task: HumanTask, state: str, now: datetime, by: User | None) -> None:
    """A task leaves the inbox (one Core UPDATE); the loaded row is told what was written, as if flushed."""
    values = {"state": state, "completed_at": now, "completed_by_id": by.id if by else None}
    db.session.connection().execute(_FINISH_TASK, {"task_id": task.id} | {f"new_{k}": v for k, v in values.items()})
    for key, value in values.items():
        set_committed_value(task, key, value)
    set_committed_value(task, "completed_by", by)


def _routes(infos: list[UserTaskInfo]) -> dict[str, tuple[str, str | None] | EngineError]:
    """Each ready step's role and named assignee, worked out once per save. A role or assignee expression that
    fails puts the instance in error (its error is the first such): its task must not go to the wrong people."""
    routes: dict[str, tuple[str, str | None] | EngineError] = {}
    for info in infos:
        try:
            routes[info.task_id] = (ENGINE.role(info), ENGINE.assignee(info))
        except EngineError as err:
            routes[info.task_id] = err
    return routes


def _assignee_id(case: MappaCase, instance: ProcessInstance, info: UserTaskInfo, role: str,
                 username: str | None) -> int | None:
    """The user the step names, if they work in the case's area and hold the task's role; otherwise nobody in
    particular (anyone with the role may claim it) and the case history says why."""
    if not username:
        return None
    user = db.session.scalars(select(User).where(User.username == username, User.area_id == case.area_id)).first()
    if user is not None and role in user.roles:
        return user.id
    why = "is not a user in this area" if user is None else f"does not hold the {role.replace('_', ' ')} role"
    record(case, "task_assignment_refused", f"'{info.step.name}' not given to {username}: {why}", None, instance,
           {"task": info.step.bpmn_id, "assignee": username, "role": role})
    return None


def _coerce(kind: type, value: Any) -> Any:
    if value in (None, ""):
        return None
    if kind is date:
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return kind(value)


# Case facts that only the phase managing the case may set (custody planning proposes them only while no
# referral, review, transfer or exit phase is running).
LEVEL_FACTS = ("status", "level", "next_review_due")


def _owned_changes(case: MappaCase, instance: ProcessInstance, data: dict[str, Any],
                   actor: User | None) -> dict[str, Any]:
    """One phase holds the level at a time: a side phase (custody) may not overwrite what the managing phase set."""
    if instance.phase in MANAGEMENT_PHASES or not any(k in data for k in LEVEL_FACTS):
        return data
    owner = running_phase(case)
    if owner is None:
        return data
    withheld = {k: data[k] for k in LEVEL_FACTS if k in data}
    record(case, "level_proposal_withheld", f"{instance.model.name} proposed "
           + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in withheld.items())
           + f": not applied, {owner.model.name} holds the level", actor, instance, {"withheld": withheld})
    return {k: v for k, v in data.items() if k not in LEVEL_FACTS}


def _project_case(case: MappaCase, result: StepResult, actor: User | None, instance: ProcessInstance,
                  now: datetime) -> dict[str, list[Any]]:
    """Project the phase's decisions onto the case row; the changes made, as (old, new) per fact."""
    data = _owned_changes(case, instance, result.data_changes, actor)
    changes: dict[str, list[Any]] = {}
    for key, kind in CASE_FIELDS.items():
        if key not in data:
            continue
        try:
            value = _coerce(kind, data[key])
        except (TypeError, ValueError):
            continue
        if getattr(case, key) != value:
            changes[key] = [_plain(getattr(case, key)), _plain(value)]
            set_committed_value(case, key, value)  # written below by _write_case, not by the ORM's flush
    if ({"level", "category"} & changes.keys() and case.status not in CLOSED_STATUSES
            and not levels.allows(case.category, case.level)):
        raise ValidationFailed([FieldError("level", f"{levels.CATEGORY_3_MESSAGE}: {instance.model.name} tried to "
                                                    f"set Level {case.level} for a Category {case.category} case")])
    if changes:
        set_committed_value(case, "updated_at", now)
        _write_case(case, [*changes, "updated_at"])
        summary = ", ".join(f"{k.replace('_', ' ')} {v[1]}" for k, v in changes.items())
        record(case, "case_updated", f"Case updated: {summary}", actor, instance, {"changes": changes})
    return changes


def _write_case(case: MappaCase, keys: list[str]) -> None:
    """The case row's projected facts (already set on the loaded case as committed values) written by one Core
    UPDATE now: no second UPDATE from the ORM at its next flush."""
    statement = _CASE_UPDATES.get(tuple(keys))
    if statement is None:  # one statement per set of facts, built once: it keeps its cache key
        statement = _CASE_UPDATES.setdefault(tuple(keys), update(MappaCase).where(
            MappaCase.id == bindparam("case_id")).values(
            {key: bindparam(f"new_{key}", type_=MappaCase.__table__.c[key].type) for key in keys}))
    db.session.connection().execute(statement, {"case_id": case.id} | {f"new_{key}": getattr(case, key)
                                                                         for key in keys})


_CASE_UPDATES: dict[tuple[str, ...], Update] = {}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def exit_due(case: MappaCase) -> date | None:
    """Category 1 leaves at the end of notification, category 2 at the end of licence; 3 and 4 by decision."""
    return {1: case.notification_end or case.notification_review_due, 2: case.licence_end}.get(case.category)


def phase_data(case: MappaCase, carried: dict[str, Any]) -> dict[str, Any]:
    """Only what the next phase needs travels with it: the case facts and the area's durations."""
    settings = area_settings(case.area_id)
    return {
        "category": case.category,
        "confirmed_category": None,  # a screening may confirm (or correct) the category; unset until it does
        "new_end_date": None,  # management continuing at its exit date may name a new licence or notification end
        "level": case.level,
        "custody": case.custody,
        "release_date": _iso(case.release_date),
        "sentence_date": _iso(case.sentence_date),
        "next_review_due": _iso(case.next_review_due),
        "exit_due": _iso(exit_due(case)),
        "notification_indefinite": case.notification_indefinite and not case.notification_end,
        "lead_officer": case.lead_officer.username if case.lead_officer else None,
        "referrer": case.referrer.username if case.referrer else None,
        "visor_reference": case.visor_reference,
        "review_number": int(carried.get("review_number", 0)),
        "level_requested": carried.get("level_requested"),
        # a referral raised from a review or at release: what the screening rules and the coordinator need
        "rosh": carried.get("rosh", ""),
        "senior_resources_needed": bool(carried.get("senior_resources_needed")),
        "level3_reason": carried.get("level3_reason", ""),
        "referral_reason": carried.get("referral_reason") or carried.get("review_rationale")
        or carried.get("level_setting_rationale") or "",
        "exit_reason_suggested": carried.get("exit_reason_suggested") or "",
        "review_notice_days": settings["review_notice_days"],
        "early_review_working_days": settings["early_review_working_days"],
        "level1_review_months": settings["level1_review_months"],
        "identify_days": settings["identify_after_sentence_days"],
        "visor_days": settings["visor_after_sentence_days"],
        "level_setting_months": settings["level_setting_before_release_months"],
        "mappa_j_weeks": settings["mappa_j_before_release_weeks"],
        **settings,
    }


CLOSED_STATUSES = frozenset({"exited", "not eligible"})
# Phases that stop when the case closes; minutes of a meeting already held are still approved and distributed.
# a decided disclosure is still delivered; a critical case flag ends with the case (services/critical_cases.py); a
# closed case's sex offender notifications and home visits stop (its notification ended, or the offender died)
SIDE_PHASES_ENDED_ON_CLOSE = ("custody", "action", "research", "critical", "rso")


def _end_side_phases(case: MappaCase, closing: ProcessInstance, actor: User | None, now: datetime) -> None:
    """A closed case leaves nothing running for it: custody planning, agreed actions, agenda research, a critical
    case flag and sex offender notification stop."""
    from services import critical_cases  # critical_cases builds on this module

    critical_cases.end_with_case(case, actor, now)
    for other in db.session.scalars(select(ProcessInstance).where(
            ProcessInstance.case_id == case.id, ProcessInstance.id != closing.id,
            ProcessInstance.status.in_(("running", "error")), ProcessInstance.phase.in_(SIDE_PHASES_ENDED_ON_CLOSE))):
        cancel_phase(case, other, f"the case is {case.status}", actor, now)


def cancel_phase(case: MappaCase, instance: ProcessInstance, why: str, actor: User | None, now: datetime) -> None:
    """Stop a running side phase: it and its open tasks are cancelled, and the history says why."""
    instance.status, instance.ended_at, instance.next_timer_at = "cancelled", now, None
    for task in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                           HumanTask.state == "ready")):
        task.state, task.completed_at = "cancelled", now
    record(case, "phase_cancelled", f"{instance.model.name} ended: {why}", actor, instance, {})


# Phases that manage the case: at most one runs at a time (custody planning and actions run beside them).
MANAGEMENT_PHASES = frozenset({"identification", "referral", "review", "transfer", "exit"})


def running_phase(case: MappaCase, phases: frozenset[str] = MANAGEMENT_PHASES) -> ProcessInstance | None:
    return db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.case_id == case.id, ProcessInstance.status.in_(("running", "error")),
        ProcessInstance.phase.in_(sorted(phases))).order_by(ProcessInstance.sequence.desc())).first()


def _hand_over(case: MappaCase, source: ProcessInstance, phase: str, carried: dict[str, Any],
               actor: User | None) -> None:
    """A phase starts the next one while it goes on (custody refers for Level 2/3; screening starts the review
    period while ViSOR work finishes). If another phase already manages the case it is told, not overridden.
    ``phase`` is a known phase: _save makes an unknown one the instance's incident instead."""
    current = running_phase(case)
    if phase in MANAGEMENT_PHASES and current is not None and current.id != source.id:
        if current.phase == "review" and _ask_for_review(case, current, source, carried, actor):
            return
        record(case, "phase_not_started", f"{phase.capitalize()} not started: {current.model.name} is running",
               actor, current, {"requested_by": source.model.name})
        return
    start_phase(case, phase, phase_data(case, carried), actor)


def _ask_for_review(case: MappaCase, review: ProcessInstance, source: ProcessInstance, carried: dict[str, Any],
                    actor: User | None) -> bool:
    """The review period that holds the level is asked to review the case early (custody proposes another level)."""
    review = lock(review.id)
    wf = load(review)
    reason = str(carried.get("referral_reason") or f"{source.model.name} proposes a change of level")
    payload = {"early_review_reason": f"{source.model.name}: Level {carried.get('level_requested')} proposed",
               "early_review_detail": reason, "early_review_by": actor.username if actor else "system"}
    try:
        result = ENGINE.send_message(wf, "early_review", payload, clock.now())
    except NotWaiting:
        return False
    record(case, "early_review_requested", f"Early review requested: {payload['early_review_reason']}", actor,
           review, payload)
    save(review, case, wf, result, actor)
    return True


def _continue(case: MappaCase, final_data: dict[str, Any], actor: User | None) -> ProcessInstance | None:
    next_phase = final_data.get("next_phase")
    if next_phase not in PHASES:
        return None
    current = running_phase(case)
    if next_phase in MANAGEMENT_PHASES and current is not None:
        record(case, "phase_not_started", f"{next_phase.capitalize()} not started: {current.model.name} is running",
               actor, current, {})
        return None
    return start_phase(case, next_phase, phase_data(case, final_data), actor)


def tell_visor(case: MappaCase, news: list[tuple[str, str]], actor: User | None) -> None:
    """Meetings and changes (kind, summary) the case's ViSOR user must record: they join the case's open 'Update
    ViSOR' task, or start one for the ViSOR user of the case's lead agency (services.visor)."""
    if not news:
        return
    # one open task per case: two changes at once queue on the case row, so the second sees the first one's task
    # (FOR NO KEY UPDATE: history rows already written hold key-share locks on it)
    db.session.execute(select(MappaCase.id).where(MappaCase.id == case.id).with_for_update(key_share=True))
    instance = running_phase(case, frozenset({visor.PHASE}))
    if instance is None:
        instance = start_phase(case, visor.PHASE, phase_data(case, {}) | {"visor_role": visor_role(case.lead_agency)},
                               actor)
    visor.note(case, instance, news)
    record(case, "visor_change_noted", "For ViSOR: " + "; ".join(summary for _kind, summary in news), actor,
           instance, {"changes": [kind for kind, _summary in news]})


def record(case: MappaCase, kind: str, summary: str, actor: User | None, instance: ProcessInstance | None,
           detail: dict[str, Any]) -> None:
    """One case-history row, in the request's transaction, as a Core INSERT (no ORM object, no unit-of-work flush):
    written at once, or inside ``history_batch`` with the batch's other rows when it ends."""
    row = {"case_id": case.id, "at": clock.now(), "actor_id": actor.id if actor else None, "kind": kind,
           "summary": summary[:400], "detail": detail, "instance_id": instance.id if instance else None}
    batch = db.session.info.get(_BATCH)
    if batch is not None:
        batch.append(row)
    else:
        db.session.connection().execute(_RECORD, row)


_RECORD = insert(CaseEvent)
_BATCH = "mappa.history_batch"


@contextmanager
def history_batch() -> Iterator[None]:
    """The history rows recorded inside the block are written together when it ends (one executemany INSERT, in
    the order recorded); nested blocks join the outermost. Nothing inside may read them back before then. If the
    block raises, its rows are dropped with the transaction the caller then rolls back."""
    if db.session.info.get(_BATCH) is not None:
        yield
        return
    rows: list[dict[str, Any]] = []
    db.session.info[_BATCH] = rows
    try:
        yield
    finally:
        db.session.info.pop(_BATCH, None)
    if rows:
        db.session.connection().execute(_RECORD, rows)
