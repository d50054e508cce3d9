"""Move a running instance onto another version of its model with SpiffWorkflow's own diff and migration.

``plan`` aligns the instance's tasks with the new version's specs (``diff_workflow``: by BPMN id first, then by the
shape of the graph) and says, per waiting task (READY or WAITING), which task of the new version it becomes, and
why the move is refused when it is: a waiting task that would vanish or become another kind of task, a finished
task whose step no longer exists (its history could not be read back), or a subprocess the new version lacks.
``apply`` swaps the specs (``migrate_workflow``: waiting branches are reset and re-predicted, so a waiting user
task keeps its id and timers are re-armed) and checks that the moved state reads back under the new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows.engine import Engine
from workflows.registry import ParsedModel

WAITING = TaskState.READY | TaskState.WAITING


@dataclass(frozen=True)
class TaskMove:
    """One waiting task: its step in the old version and the step it becomes (None: it would vanish)."""

    task_id: str
    state: str
    from_id: str
    from_name: str
    to_id: str | None
    to_name: str | None


@dataclass
class MigrationPlan:
    moves: list[TaskMove]
    problems: list[str]
    diff: WorkflowDiff = field(repr=False)
    subprocess_diffs: dict[Any, WorkflowDiff | None] = field(repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems


def _label(spec: Any) -> str:
    return f"'{spec.bpmn_name or spec.bpmn_id}' ({spec.bpmn_id})"


def _kind(spec: Any) -> str:
    return str(spec.description or type(spec).__name__)


def _problems(diffs: list[WorkflowDiff], version: int) -> list[str]:
    problems = []
    for diff in diffs:
        for task in diff.removed:
            spec = task.task_spec
            if spec.bpmn_id is None:
                continue
            if task.state & WAITING:
                problems.append(f"waiting task {_label(spec)} does not exist in version {version}")
            elif task.state & TaskState.FINISHED_MASK:
                problems.append(f"finished step {_label(spec)} does not exist in version {version}: "
                                "the instance's history could not be read back")
            elif task.state & (TaskState.STARTED | TaskState.ERROR):
                problems.append(f"step {_label(spec)}, in progress, does not exist in version {version}")
            # predicted (future) tasks are dropped and predicted again from the new version
        for task in diff.changed:
            new = diff.alignment.get(task)
            if task.state & WAITING and new is not None and _kind(new) != _kind(task.task_spec):
                problems.append(f"waiting task {_label(task.task_spec)} would become a {_kind(new)} in version "
                                f"{version} (it is a {_kind(task.task_spec)})")
    return problems


def _moves(diffs: list[WorkflowDiff]) -> list[TaskMove]:
    moves = []
    for diff in diffs:
        for task, new in diff.alignment.items():
            if task.state & WAITING and task.task_spec.bpmn_id is not None:
                moves.append(_move(task, new))
        moves.extend(_move(task, None) for task in diff.removed
                     if task.state & WAITING and task.task_spec.bpmn_id is not None)
    return sorted(moves, key=lambda m: (m.from_id, m.task_id))


def _move(task: Task, new: Any) -> TaskMove:
    old = task.task_spec
    return TaskMove(str(task.id), TaskState.get_name(task.state), old.bpmn_id, old.bpmn_name or old.bpmn_id,
                    new.bpmn_id if new is not None else None,
                    (new.bpmn_name or new.bpmn_id) if new is not None else None)


def plan(engine: Engine, wf: BpmnWorkflow, new: ParsedModel, version: int) -> MigrationPlan:
    top, sub = diff_workflow(engine.serializer.registry, wf, new.spec, new.subprocess_specs)
    problems = [f"subprocess {wf.subprocesses[sp_id].spec.name!r} does not exist in version {version}"
                for sp_id, diff in sub.items() if diff is None]
    diffs = [top, *(d for d in sub.values() if d is not None)]
    return MigrationPlan(_moves(diffs), problems + _problems(diffs, version), top, sub)


def apply(engine: Engine, wf: BpmnWorkflow, migration: MigrationPlan, new: ParsedModel) -> BpmnWorkflow:
    """Migrate ``wf`` (only when the plan is ok) and return it as read back from its saved state."""
    if not migration.ok:
        raise ValueError("; ".join(migration.problems))
    migrate_workflow(migration.diff, wf, new.spec)
    wf.subprocess_specs = new.subprocess_specs
    for sp_id, diff in migration.subprocess_diffs.items():
        subprocess = wf.subprocesses[sp_id]
        if diff is not None:
            migrate_workflow(diff, subprocess, new.subprocess_specs[subprocess.spec.name])
    return engine.load(new, engine.dump(wf))


def renamed_steps(engine: Engine, old: ParsedModel, new: ParsedModel) -> dict[str, str]:
    """Steps whose BPMN id changed but which SpiffWorkflow aligns by their place in the graph: old id -> new id."""
    diff = SpecDiff(engine.serializer.registry, old.spec, new.spec)
    return {o.bpmn_id: n.bpmn_id for o, n in diff.alignment.items()
            if n is not None and o.bpmn_id and n.bpmn_id and o.bpmn_id != n.bpmn_id}
