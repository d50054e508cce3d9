"""Migrate running instances of one version of a process model to another: preview the plan, then move them.

Instances in error (an incident) move too: that is how a process owner gets one off a broken version. A moved
instance stays in error, with its incident, until the owner retries it (services.incidents.retry), which then runs
the failed step on the new version.

Per instance the plan says which waiting task becomes which task of the new version (workflows.migration, on
SpiffWorkflow's own diff). A real migration is all or nothing: when any instance cannot move, none moves and the
caller gets the reasons (409). Each instance moved is re-pinned to the new version's row, its inbox rows follow
their tasks (same ids, new names, forms, roles), and the case history and the access log say who moved it, from
which version to which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from services import clock
from services.access import log_access
from services.catalogue import parsed
from services.db import db
from services.errors import Conflict, FieldError, ValidationFailed
from services.instances import ENGINE, load, lock, record, save
from services.models import HumanTask, MappaCase, ProcessInstance, ProcessModel, User
from services.studio.compare import is_model, version_row
from workflows import EngineError, StepResult, migration
from workflows.migration import MigrationPlan, TaskMove


@dataclass
class InstancePlan:
    instance: ProcessInstance
    moves: list[TaskMove]
    problems: list[str]
    workflow: Any = field(default=None, repr=False)  # the instance as loaded and diffed, moved if the plan is ok
    found: MigrationPlan | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {"instance": self.instance.id, "case": self.instance.case_id, "ok": self.ok,
                "reason": "; ".join(self.problems) or None, "waiting": [_move_json(m) for m in self.moves]}


def _move_json(move: TaskMove) -> dict[str, Any]:
    return {"task": move.task_id, "state": move.state.lower(), "from": {"id": move.from_id, "name": move.from_name},
            "to": {"id": move.to_id, "name": move.to_name} if move.to_id else None}


class MigrationRefused(Conflict):
    """Some instance cannot move: nothing was migrated. ``plans`` says which, and why."""

    def __init__(self, plans: list[InstancePlan]) -> None:
        reasons = [f"instance {p.instance.id}: {problem}" for p in plans for problem in p.problems]
        super().__init__("Migration refused, nothing was moved: " + "; ".join(reasons))
        self.plans = plans
        self.reasons = reasons


# instances that may move: those running, and those stopped by an incident on this version
MOVABLE = ("running", "error")


def _instances(old: ProcessModel, instance_id: int | None) -> list[ProcessInstance]:
    query = select(ProcessInstance.id).where(ProcessInstance.model_id == old.id, ProcessInstance.status.in_(MOVABLE))
    if instance_id is not None:
        query = query.where(ProcessInstance.id == instance_id)
    ids = list(db.session.scalars(query.order_by(ProcessInstance.id)))
    if instance_id is not None and not ids:
        raise ValidationFailed([FieldError("instance", f"instance {instance_id} is not an instance running or in "
                                                       f"error on {old.process_id} version {old.version}")])
    return [db.session.get_one(ProcessInstance, i) for i in ids]


def _plan(instance: ProcessInstance, old: ProcessModel, new: ProcessModel) -> InstancePlan:
    if instance.model_id != old.id or instance.status not in MOVABLE:  # moved or finished since it was listed
        return InstancePlan(instance, [], [f"no longer running or in error on version {old.version}"])
    wf = load(instance)
    found = migration.plan(ENGINE, wf, parsed(new), new.version)
    return InstancePlan(instance, found.moves, found.problems, wf, found)


def preview(process_id: str, from_version: int, to_version: int, instance_id: int | None = None) -> list[InstancePlan]:
    old, new = _versions(process_id, from_version, to_version)
    return [_plan(instance, old, new) for instance in _instances(old, instance_id)]


def _versions(process_id: str, from_version: int, to_version: int) -> tuple[ProcessModel, ProcessModel]:
    if not is_model(process_id):
        raise ValidationFailed([FieldError("model", f"no process model {process_id!r}")])
    if from_version == to_version:
        raise ValidationFailed([FieldError("to", "Choose a version other than the one the instances are on")])
    return version_row(process_id, from_version, "from"), version_row(process_id, to_version, "to")


def migrate(user: User, process_id: str, from_version: int, to_version: int,
            instance_id: int | None = None) -> list[InstancePlan]:
    """Move every instance running or in error (or the one given) of ``from_version`` to ``to_version``, or none of
    them."""
    old, new = _versions(process_id, from_version, to_version)
    plans = [_plan(lock(instance.id), old, new) for instance in _instances(old, instance_id)]
    if not all(p.ok for p in plans):
        refused = MigrationRefused(plans)
        log_access(user, "instances_migration_refused", None,
                   f"{process_id} v{from_version} -> v{to_version}: {refused.reasons[0]}")
        raise refused
    for plan in plans:
        assert plan.found is not None
        _move(user, plan, migration.apply(ENGINE, plan.workflow, plan.found, parsed(new)), old, new)
    return plans


def _move(user: User, plan: InstancePlan, wf: Any, old: ProcessModel, new: ProcessModel) -> None:
    instance = plan.instance
    case = db.session.get_one(MappaCase, instance.case_id)
    instance.model_id, instance.model = new.id, new
    moved = ", ".join(f"'{m.from_name}' -> '{m.to_name}'" for m in plan.moves)
    record(case, "instance_migrated", f"{new.name} moved from version {old.version} to version {new.version}"
           + (f": {moved}" if moved else ""), user, instance,
           {"model": new.process_id, "from": old.version, "to": new.version,
            "waiting": [{"task": m.task_id, "from": m.from_id, "to": m.to_id} for m in plan.moves]})
    if instance.status == "error":  # nothing runs until the owner retries it: the incident stays open
        save(instance, case, wf, StepResult(), user, still_in_error=True)
    else:
        save(instance, case, wf, ENGINE.fire_due_timers(wf, clock.now()), user)
    _follow_tasks(instance, wf, new)
    log_access(user, "instances_migrated", case.id,
               f"{new.process_id} v{old.version} -> v{new.version}: instance {instance.id}")


def _follow_tasks(instance: ProcessInstance, wf: Any, new: ProcessModel) -> None:
    """Inbox rows of tasks that stay open take their step's name, form, lane and role in the new version."""
    ready = {info.task_id: info for info in ENGINE.ready_user_tasks(wf, parsed(new))}
    for row in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                          HumanTask.state == "ready")):
        info = ready.get(row.task_uuid)
        if info is None:
            continue
        step = info.step
        try:
            role = ENGINE.role(info)
        except EngineError:
            continue  # the instance is in error (instances.save): its row waits for the model to be fixed
        if role != row.role and row.assignee is not None and role not in row.assignee.roles:
            row.assignee_id = None  # the holder no longer holds the task's role: back to the role's inbox
        row.bpmn_id, row.name, row.lane, row.role, row.form_key, row.hook = (
            step.bpmn_id, step.name, step.lane, role, step.form_key, step.hook)
        row.context = ENGINE.context(info) or None
