"""Trial runs: a process owner tries a draft (or a published version) on the real engine before publishing it.

A trial is not a case: its serialised workflow is kept in ``model_trial`` only, owned by whoever started it (no
MappaCase, no HumanTask inbox rows, no history). Ready user tasks are completed with sample data validated against
their forms as real tasks are; "move time" moves the trial's own clock and fires the timers due by then; the path
lists the BPMN ids completed, in order (gateways included, so the branch taken shows). Scripts run under the same
time and size limits as live instances: a runaway script ends the trial in error with the reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from services import clock, forms
from services.access import log_access
from services.catalogue import REGISTRY
from services.db import db
from services.errors import Conflict, FieldError, NotFound, ValidationFailed
from services.instances import ENGINE
from services.models import ModelTrial, User
from services.studio.drafts import draft_files, load_draft, version_files
from workflows import ParsedModel, StepResult
from workflows.engine import EngineError, TaskNotReady, UserTaskInfo
from workflows.registry import ModelError, checksum_of

TRIAL_STATUSES = ("running", "completed", "error")  # ModelTrial.status: running until it ends or a script fails
JUST_PAST = timedelta(seconds=1)


def _parsed(process_id: str, files: dict[str, bytes]) -> ParsedModel:
    try:
        return REGISTRY.get(process_id, files)
    except ModelError as err:
        raise ValidationFailed([FieldError("file", str(err))]) from None


def start_trial(user: User, process_id: str, *, draft_id: int | None = None, version: int | None = None,
                data: dict[str, Any] | None = None) -> ModelTrial:
    """Start a trial of a draft (``draft_id``) or of a published ``version`` with ``data`` as the start data."""
    files = draft_files(load_draft(draft_id, process_id)) if draft_id is not None else \
        version_files(process_id, version or 0)
    model = _parsed(process_id, files)
    now = clock.now()
    wf, result = ENGINE.start(model, dict(data or {}), now)
    trial = ModelTrial(process_id=process_id, draft_id=draft_id, version=version, checksum=model.checksum,
                       state="{}", path=[], trial_time=now, status="running", started_by=user.username,
                       started_at=now, updated_at=now)
    db.session.add(trial)
    _save(trial, wf, result, now)
    what = f"draft {draft_id}" if draft_id is not None else f"version {version}"
    log_access(user, "trial_started", None, f"{process_id} {what}: trial {trial.id}")
    return trial


def load_trial(user: User, trial_id: int) -> ModelTrial:
    """The trial, to the process owner who started it; anyone else is told it does not exist."""
    trial = db.session.get(ModelTrial, trial_id)
    if trial is None or trial.started_by != user.username:
        raise NotFound(f"no trial {trial_id}")
    return trial


def view_trial(user: User, trial_id: int) -> tuple[ModelTrial, list[dict[str, Any]]]:
    trial = load_trial(user, trial_id)
    log_access(user, "trial_viewed", None, f"trial {trial.id}")
    return trial, ready_tasks(trial)


def complete_task(user: User, trial_id: int, task_id: str, data: dict[str, Any]) -> ModelTrial:
    """Complete a ready user task with sample ``data``, validated against the task's form like a real task."""
    trial = _running(user, trial_id)
    files, model = _model(trial)
    wf = ENGINE.load(model, trial.state)
    info = next((i for i in ENGINE.ready_user_tasks(wf, model) if i.task_id == task_id), None)
    if info is None:
        raise NotFound(f"no ready task {task_id} in trial {trial.id}")
    errors = forms.validate(_form(info, files), data)
    if errors:
        raise ValidationFailed(errors)
    try:
        result = ENGINE.complete(wf, task_id, dict(data), trial.trial_time)
    except TaskNotReady:
        raise NotFound(f"no ready task {task_id} in trial {trial.id}") from None
    _save(trial, wf, result, trial.trial_time)
    log_access(user, "trial_task_completed", None, f"trial {trial.id}: {info.step.bpmn_id}")
    return trial


def move_time(user: User, trial_id: int, to: datetime | None) -> ModelTrial:
    """Move the trial's clock forward (to ``to``, or just past its next timer) and fire the timers due by then."""
    trial = _running(user, trial_id)
    _, model = _model(trial)
    wf = ENGINE.load(model, trial.state)
    next_timer = ENGINE.next_timer_at(wf)
    target = to or (next_timer + JUST_PAST if next_timer else None)  # a timer fires once its instant has passed
    if target is None:
        raise ValidationFailed([FieldError("to", "No timer is waiting in this trial: say which time to move to")])
    if target < trial.trial_time:
        raise ValidationFailed([FieldError("to", f"Time only moves forward: the trial is at "
                                                 f"{trial.trial_time.isoformat()}")])
    _save(trial, wf, ENGINE.fire_due_timers(wf, target), target)
    log_access(user, "trial_time_moved", None, f"trial {trial.id} to {target.isoformat()}")
    return trial


def ready_tasks(trial: ModelTrial) -> list[dict[str, Any]]:
    if trial.status != "running":
        return []
    _, model = _model(trial)
    wf = ENGINE.load(model, trial.state)
    return [{"id": info.task_id, "bpmn_id": info.step.bpmn_id, "name": info.step.name, "lane": info.step.lane,
             "form_key": info.step.form_key} for info in ENGINE.ready_user_tasks(wf, model)]


def ready_forms(trial: ModelTrial) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each ready task with the form it asks (the draft's own form first, as for real tasks)."""
    if trial.status != "running":
        return []
    files, model = _model(trial)
    wf = ENGINE.load(model, trial.state)
    return [({"id": info.task_id, "bpmn_id": info.step.bpmn_id, "name": info.step.name, "lane": info.step.lane},
             _form(info, files)) for info in ENGINE.ready_user_tasks(wf, model)]


def trial_files(trial: ModelTrial) -> dict[str, str]:
    """The files the trial runs (its draft's, or its version's)."""
    return _model(trial)[0]


def next_timer(trial: ModelTrial) -> datetime | None:
    if trial.status != "running":
        return None
    _, model = _model(trial)
    return ENGINE.next_timer_at(ENGINE.load(model, trial.state))


def my_trials(user: User) -> list[ModelTrial]:
    return list(db.session.scalars(select(ModelTrial).where(ModelTrial.started_by == user.username)
                                   .order_by(ModelTrial.id)))


def _running(user: User, trial_id: int) -> ModelTrial:
    trial = load_trial(user, trial_id)
    if trial.status != "running":
        raise Conflict(f"trial {trial.id} has ended ({trial.status}): start a new trial")
    return trial


def _model(trial: ModelTrial) -> tuple[dict[str, str], ParsedModel]:
    """The files the trial runs, refused when its draft has been saved since the trial started."""
    if trial.draft_id is not None:
        files = draft_files(load_draft(trial.draft_id, trial.process_id))
    else:
        files = version_files(trial.process_id, trial.version or 0)
    if checksum_of(files) != trial.checksum:
        raise Conflict(f"the draft was saved since trial {trial.id} started: start a new trial of it")
    return {name: data.decode() for name, data in files.items()}, _parsed(trial.process_id, files)


def _form(info: UserTaskInfo, files: dict[str, str]) -> dict[str, Any]:
    if not info.step.form_key:
        return {"type": "object", "properties": {}}
    try:
        return forms.task_form(info.step.form_key, files)
    except NotFound:
        raise ValidationFailed([FieldError("form", f"'{info.step.name}' names form {info.step.form_key!r}, which "
                                                   "neither the draft nor forms/ has")]) from None


def _save(trial: ModelTrial, wf: Any, result: StepResult, now: datetime) -> None:
    try:
        trial.state = ENGINE.dump(wf)
    except EngineError as err:
        result.error = result.error or err
    trial.path = [*trial.path, *(step.bpmn_id for step in result.completed)]
    trial.trial_time, trial.updated_at = now, clock.now()
    if result.error is not None:
        where = f" in '{result.error.task_name}'" if result.error.task_name else ""
        trial.status, trial.error = "error", f"{result.error.message}{where}"
    elif wf.is_completed():
        trial.status = "completed"
    db.session.flush()
