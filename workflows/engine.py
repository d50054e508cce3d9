"""Start, advance, serialise and inspect process instances. No persistence here: callers store the state."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException, WorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows.calendar import ENGLAND_AND_WALES, WorkingCalendar
from workflows.clock import engine_time
from workflows.coverage import COVERAGE
from workflows.lanes import LANE_ROLES
from workflows.limits import ScriptLimitExceeded, ScriptLimits
from workflows.registry import ParsedModel, StepDefinition
from workflows.scripting import restricted_script_engine

LONDON = ZoneInfo("Europe/London")
KNOWN_ROLES = frozenset(LANE_ROLES.values())
MAX_TREE_DEPTH = 800
_WORKING_DAYS = re.compile(r"^(\d+)WD$", re.IGNORECASE)


class EngineError(Exception):
    """A script, condition or timer failed inside the engine; the instance is left in error."""

    def __init__(self, message: str, task_name: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.task_name = task_name
        self.line = line


class NotWaiting(Exception):
    """No step of the process is waiting for that message."""


class TaskNotReady(Exception):
    """The task does not exist or is not waiting for a person."""


@dataclass
class CompletedStep:
    bpmn_id: str
    name: str
    kind: str
    data: dict[str, Any]


@dataclass
class StepResult:
    completed: list[CompletedStep] = field(default_factory=list)
    error: EngineError | None = None

    @property
    def data_changes(self) -> dict[str, Any]:
        """Data as left by the steps completed, later steps winning."""
        merged: dict[str, Any] = {}
        for step in self.completed:
            merged.update(step.data)
        return merged


@dataclass(frozen=True)
class UserTaskInfo:
    task_id: str
    step: StepDefinition
    data: dict[str, Any]


def _register_date(registry: Any) -> None:
    registry.register(date, lambda d: {"value": d.isoformat()}, lambda dct: date.fromisoformat(dct["value"]))


class Engine:
    """Thin, typed wrapper over SpiffWorkflow 3.2 with restricted scripts and an injectable clock."""

    def __init__(self, calendar: WorkingCalendar = ENGLAND_AND_WALES, limits: ScriptLimits | None = None) -> None:
        self.calendar = calendar
        self.script_engine = restricted_script_engine(calendar, limits)
        registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        _register_date(registry)
        self.serializer = BpmnWorkflowSerializer(registry)

    # -- lifecycle -----------------------------------------------------------------------------------------
    def start(self, model: ParsedModel, data: dict[str, Any], now: datetime) -> tuple[BpmnWorkflow, StepResult]:
        wf = BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=self.script_engine)
        COVERAGE.track(wf, model.checksum)
        wf.task_tree.data.update(data)
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        return wf, self._run(wf, now, StepResult())

    def complete(self, wf: BpmnWorkflow, task_id: str, data: dict[str, Any], now: datetime) -> StepResult:
        task = self._ready_user_task(wf, task_id)
        result = StepResult()
        with engine_time(now):
            task.data.update(data)
            try:
                task.run()
            except Exception as err:  # noqa: BLE001 - any failure of a step is the instance's incident
                result.error = _engine_error(err)
                return result
        result.completed.append(_completed(task))
        return self._run(wf, now, result)

    def fire_due_timers(self, wf: BpmnWorkflow, now: datetime) -> StepResult:
        return self._run(wf, now, StepResult())

    def retry(self, wf: BpmnWorkflow, now: datetime) -> StepResult:
        """Re-run a task left in ERROR (after the model or data has been fixed)."""
        result = StepResult()
        with engine_time(now):
            try:  # resetting re-evaluates the step (a timer's expression): it may fail again
                for task in wf.get_tasks(state=TaskState.ERROR):
                    wf.reset_from_task_id(task.id)
            except Exception as err:  # noqa: BLE001 - any failure of a step is the instance's incident
                result.error = _engine_error(err)
                return result
        return self._run(wf, now, result)

    def _run(self, wf: BpmnWorkflow, now: datetime, result: StepResult) -> StepResult:
        def did_complete(task: Task) -> None:
            if task.task_spec.bpmn_id is not None:
                result.completed.append(_completed(task))

        with engine_time(now):
            try:
                wf.refresh_timers()
                for _ in range(10):  # a timer already due fires during the last refresh: run its branch too
                    wf.do_engine_steps(did_complete_task=did_complete)
                    if not wf.get_tasks(state=TaskState.READY, manual=False):
                        break
            except Exception as err:  # noqa: BLE001 - any failure of a step (a timer giving no date, ...) is the
                result.error = _engine_error(err)  # instance's incident, never a crash of the request or sweep
        return result

    # -- state ---------------------------------------------------------------------------------------------
    def dump(self, wf: BpmnWorkflow) -> str:
        """Serialise the instance without its specs: specs are stored once per model version."""
        if tree_depth(wf) > MAX_TREE_DEPTH:
            raise EngineError(f"instance task tree is deeper than {MAX_TREE_DEPTH}; refusing to save it")
        COVERAGE.observe(wf)
        ser = self.serializer
        ser.registry._encoder_mode = True
        try:
            dct = ser.to_dict(wf)
        finally:
            ser.registry._encoder_mode = False
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        dct[ser.VERSION_KEY] = ser.VERSION
        return json.dumps(dct, cls=ser._encoder_cls, separators=(",", ":"))

    def load(self, model: ParsedModel, state: str) -> BpmnWorkflow:
        ser = self.serializer
        dct = json.loads(state, cls=ser.json_decoder_cls)
        version = dct.pop(ser.VERSION_KEY)
        if version != ser.VERSION:
            raise EngineError(f"stored state has serializer version {version}, expected {ser.VERSION}")
        dct["spec"] = model.spec
        dct["subprocess_specs"] = model.subprocess_specs
        wf: BpmnWorkflow = ser.from_dict(dct)
        wf.script_engine = self.script_engine
        COVERAGE.track(wf, model.checksum)
        return wf

    # -- inspection ----------------------------------------------------------------------------------------
    def ready_user_tasks(self, wf: BpmnWorkflow, model: ParsedModel) -> list[UserTaskInfo]:
        tasks = wf.get_tasks(state=TaskState.READY, manual=True)
        return [UserTaskInfo(str(t.id), model.steps[t.task_spec.bpmn_id], t.data) for t in tasks]

    def due_date(self, info: UserTaskInfo, now: datetime) -> date | None:
        """The step's due date, opened at ``now``. A rule that fails raises EngineError naming the step."""
        rule = info.step.due_expression or info.step.due_in
        try:
            return self._due_date(info, now)
        except Exception as err:  # any failure: re-raised as the instance's incident, with the cause
            raise EngineError(f"due date '{rule}' could not be worked out: {type(err).__name__}: {err}",
                              info.step.name) from err

    def _due_date(self, info: UserTaskInfo, now: datetime) -> date | None:
        step = info.step
        if step.due_expression:
            with engine_time(now):  # today() in the expression is the day the step opens
                value = self.script_engine.environment.evaluate(step.due_expression, info.data)
            if value in (None, ""):
                return None
            if isinstance(value, datetime):
                return value.astimezone(LONDON).date()
            if isinstance(value, date):
                return value
            return date.fromisoformat(str(value)[:10])
        if step.due_in:
            today = now.astimezone(LONDON).date()
            match = _WORKING_DAYS.match(step.due_in.strip())
            if match:
                return self.calendar.add_working_days(today, int(match.group(1)))
            return (datetime.combine(today, datetime.min.time()) + _iso_duration(step.due_in)).date()
        return None

    def role(self, info: UserTaskInfo) -> str:
        """The lane's role, unless the step names its role in data (an action owned by an agency).

        An expression that fails, or gives no known role, raises EngineError: the task must never fall back to the
        lane's people silently."""
        expression = info.step.role_expression
        if not expression:
            return info.step.role
        value = self._route(info, expression, "role")
        if value not in KNOWN_ROLES:
            raise EngineError(f"role expression '{expression}' gave {value!r}, which is no known role",
                              info.step.name)
        return str(value)

    def _route(self, info: UserTaskInfo, expression: str, what: str) -> Any:
        try:
            return self.script_engine.environment.evaluate(expression, info.data)
        except Exception as err:  # any failure: re-raised as the instance's incident, with the cause
            raise EngineError(f"{what} expression '{expression}' failed: {type(err).__name__}: {err}",
                              info.step.name) from err

    @staticmethod
    def context(info: UserTaskInfo) -> dict[str, Any]:
        return {key: info.data[key] for key in info.step.show_data if info.data.get(key) not in (None, "")}

    def send_message(self, wf: BpmnWorkflow, name: str, payload: dict[str, Any], now: datetime) -> StepResult:
        """Deliver a BPMN message (early review requested, ...) to a waiting catch event."""
        event = BpmnEvent(MessageEventDefinition(name), payload=payload)
        if not wf.get_tasks(catches_event=event):
            raise NotWaiting(f"the process is not waiting for '{name}'")
        result = StepResult()
        with engine_time(now):
            try:
                wf.send_event(event)
            except WorkflowException as err:
                raise NotWaiting(str(err)) from None
        return self._run(wf, now, result)

    def update_open_data(self, wf: BpmnWorkflow, updates: dict[str, Any], now: datetime, *,
                         replan_timers: bool = True) -> StepResult:
        """Change data on the steps not yet done and (unless told not to) re-plan their timers; finished work is
        untouched."""
        for task in wf.get_tasks(state=TaskState.READY | TaskState.WAITING):
            task.data.update(updates)
            if task.state == TaskState.WAITING:
                # a waiting event re-inherits its parent's data on every refresh: update the parent too
                if task.parent is not None:
                    task.parent.data.update(updates)
                if replan_timers:
                    task.internal_data.pop("event_value", None)
                    task.internal_data.pop("event_fired", None)
        return self._run(wf, now, StepResult())

    def assignee(self, info: UserTaskInfo) -> str | None:
        """The username the step names in data (None: anyone with the role). A failing expression raises EngineError."""
        if not info.step.assignee_expression:
            return None
        value = self._route(info, info.step.assignee_expression, "assignee")
        return str(value) if value else None

    def next_timer_at(self, wf: BpmnWorkflow) -> datetime | None:
        """The earliest instant a waiting timer is due, read from the armed timers (plain catch events,
        boundary events and event-based gateways alike)."""
        instants = []
        for task in wf.get_tasks(state=TaskState.WAITING):
            value = task.internal_data.get("event_value")
            if isinstance(value, dict) and value.get("next"):
                value = value["next"]
            if isinstance(value, str) and value:
                try:
                    moment = datetime.fromisoformat(value)
                except ValueError:
                    continue
                instants.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        return min(instants) if instants else None

    @staticmethod
    def _ready_user_task(wf: BpmnWorkflow, task_id: str) -> Task:
        try:
            from uuid import UUID

            task = wf.get_task_from_id(UUID(task_id))
        except (TaskNotFoundException, ValueError):
            raise TaskNotReady(task_id) from None
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id)
        return task


def active_bpmn_ids(wf: BpmnWorkflow) -> list[str]:
    mask = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
    return sorted({t.task_spec.bpmn_id for t in wf.get_tasks(state=mask) if t.task_spec.bpmn_id})


def completed_bpmn_ids(wf: BpmnWorkflow) -> list[str]:
    return sorted({t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id})


def tree_depth(wf: BpmnWorkflow) -> int:
    deepest = 0
    for task in wf.tasks.values():
        if not task._children:
            deepest = max(deepest, task.depth)
    return deepest


# Steps whose data changes are facts someone decided: forms filled in, scripts and decision tables run.
_DECIDING_STEPS = frozenset({"User Task", "Manual Task", "Script Task", "Business Rule Task"})


def _changes(task: Task) -> dict[str, Any]:
    """What this step changed, not what it carried: initial or stale values must not overwrite decisions."""
    if task.task_spec.description not in _DECIDING_STEPS:
        return {}
    before = task.parent.data if task.parent is not None else {}
    return {key: value for key, value in task.data.items() if key not in before or before[key] != value}


def _completed(task: Task) -> CompletedStep:
    spec = task.task_spec
    return CompletedStep(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, spec.description or "", _changes(task))


def _engine_error(err: Exception) -> EngineError:
    """The incident of a failed step. SpiffWorkflow's own exceptions name their task; any other exception (a timer
    whose expression gave no date: ``datetime.fromisoformat`` raises a bare ValueError inside the library) names
    the innermost task its traceback passed through, which is put in ERROR so that a retry runs it again."""
    if not isinstance(err, SpiffWorkflowException):
        return _unexpected_error(err)
    task = getattr(err, "task", None)
    name = (task.task_spec.bpmn_name or task.task_spec.bpmn_id) if task is not None else None
    cause = err.__cause__ or err.__context__
    message = str(cause) if isinstance(cause, ScriptLimitExceeded) else str(err)
    notes = getattr(err, "__notes__", None)
    if notes:
        message = message + " (" + "; ".join(notes) + ")"
    return EngineError(message, name, getattr(err, "line_number", None))


def _unexpected_error(err: Exception) -> EngineError:
    task = _failing_task(err)
    detail = f"{type(err).__name__}: {err}"
    if task is None:
        return EngineError(detail)
    spec = task.task_spec
    if not task.has_state(TaskState.FINISHED_MASK):
        task._set_state(TaskState.ERROR)
    expression = getattr(getattr(spec, "event_definition", None), "expression", None)
    if isinstance(expression, str) and isinstance(spec.event_definition, TimerEventDefinition):
        detail = f"timer expression '{expression}' gave no valid date, duration or cycle: {detail}"
    return EngineError(detail, spec.bpmn_name or spec.bpmn_id or spec.name)


def _failing_task(err: BaseException) -> Task | None:
    """The innermost task on the traceback of ``err``: the step SpiffWorkflow was working on when it failed."""
    found = None
    trace = err.__traceback__
    while trace is not None:
        local = trace.tb_frame.f_locals
        candidate = local.get("my_task", local.get("task"))
        if isinstance(candidate, Task):
            found = candidate
        trace = trace.tb_next
    return found


def _iso_duration(text: str) -> timedelta:
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return TimerEventDefinition.get_timedelta_from_start(parsed)
