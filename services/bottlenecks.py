"""Where work piles up in a published process model: per activity, how many steps wait now and how many of them are
overdue, and the median and 90th-percentile time a step took (created to completed) over a chosen period.

Figures come from the ``human_task`` projection of the user's area, for every version of the model (a step keeps
its BPMN id across versions); the diagram shown is the version new cases start on. Aggregates only: no case is
named. Percentiles interpolate between the two nearest steps, as PostgreSQL's ``percentile_cont`` does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from services import clock
from services.access import log_access
from services.catalogue import latest_model
from services.db import db
from services.errors import FieldError, NotFound, ValidationFailed
from services.models import HumanTask, ProcessInstance, ProcessModel, User
from services.studio.elements import read

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Period:
    start: date  # first day, London
    end: date  # last day, London, included

    def bounds(self) -> tuple[datetime, datetime]:
        """From the start of the first day to the start of the day after the last, London time."""
        after = self.end + timedelta(days=1)
        return (datetime.combine(self.start, time(), clock.LONDON), datetime.combine(after, time(), clock.LONDON))


@dataclass(frozen=True)
class Activity:
    bpmn_id: str
    name: str
    waiting: int  # ready now
    overdue: int  # ready now and past its due date
    completed: int  # completed within the period
    median: timedelta | None
    p90: timedelta | None
    on_diagram: bool


@dataclass(frozen=True)
class Bottlenecks:
    process_id: str
    name: str
    version: int
    xml: str
    period: Period
    activities: list[Activity]


def default_period() -> Period:
    today = clock.today()
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


def choose_period(start: date | None, end: date | None) -> Period:
    """The period a manager asked for; either end left out takes the default's."""
    default = default_period()
    period = Period(start or default.start, end or default.end)
    if period.end < period.start:
        raise ValidationFailed([FieldError("to", "The end of the period must be the same as or after its start")])
    return period


def published_models() -> list[tuple[str, str]]:
    """(key, name) of every model new cases can start on, by name."""
    rows = db.session.execute(select(ProcessModel.process_id, ProcessModel.name)
                              .where(ProcessModel.retired_at.is_(None))
                              .order_by(ProcessModel.process_id, ProcessModel.version)).all()
    return sorted(dict(rows).items(), key=lambda row: row[1])


def bottlenecks(user: User, process_id: str, period: Period) -> Bottlenecks:
    """The figures for one model in the user's area; the consultation is logged."""
    try:
        model = latest_model(process_id)
    except LookupError:
        raise NotFound(f"no published process model {process_id!r}") from None
    log_access(user, "bottlenecks_viewed", None,
               f"area {user.area_id}, model {process_id}, {period.start.isoformat()} to {period.end.isoformat()}")
    diagram_file = min(name for name in model.files if name.endswith(".bpmn"))
    xml = model.files[diagram_file]
    steps = {e.id: e.name for e in read({diagram_file: xml.encode()}).values() if e.type == "userTask"}
    waiting = _waiting(user, process_id)
    spent = _time_spent(user, process_id, period)
    gone = sorted((set(waiting) | set(spent)) - set(steps))
    names = _task_names(user, process_id, gone) if gone else {}
    ids = list(steps) + gone
    activities = []
    for bpmn_id in ids:
        open_count, late = waiting.get(bpmn_id, (0, 0))
        durations = sorted(spent.get(bpmn_id, []))
        activities.append(Activity(bpmn_id, steps.get(bpmn_id) or names.get(bpmn_id, bpmn_id), open_count, late,
                                   len(durations), percentile(durations, 0.5), percentile(durations, 0.9),
                                   bpmn_id in steps))
    return Bottlenecks(process_id, model.name, model.version, xml, period, activities)


def percentile(ordered: list[timedelta], fraction: float) -> timedelta | None:
    """Linear interpolation between the closest ranks (``percentile_cont``); None for no values."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _model_tasks(user: User, process_id: str) -> Select[Any]:
    return (select(HumanTask.bpmn_id).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .join(ProcessModel, ProcessModel.id == ProcessInstance.model_id)
            .where(ProcessModel.process_id == process_id, HumanTask.area_id == user.area_id))


def _waiting(user: User, process_id: str) -> dict[str, tuple[int, int]]:
    overdue = func.sum((HumanTask.due_date < clock.today()).cast(db.Integer))
    rows = db.session.execute(_model_tasks(user, process_id).add_columns(func.count(), overdue)
                              .where(HumanTask.state == "ready").group_by(HumanTask.bpmn_id)).all()
    return {bpmn_id: (int(count), int(late or 0)) for bpmn_id, count, late in rows}


def _time_spent(user: User, process_id: str, period: Period) -> dict[str, list[timedelta]]:
    start, after = period.bounds()
    rows = db.session.execute(_model_tasks(user, process_id).add_columns(HumanTask.created_at, HumanTask.completed_at)
                              .where(HumanTask.state == "completed", HumanTask.completed_at >= start,
                                     HumanTask.completed_at < after)).all()
    spent: dict[str, list[timedelta]] = defaultdict(list)
    for bpmn_id, created, completed in rows:
        spent[bpmn_id].append(completed - created)
    return spent


def _task_names(user: User, process_id: str, bpmn_ids: list[str]) -> dict[str, str]:
    """Names of steps no longer on the diagram (a newer version dropped them), as their tasks were called."""
    rows = db.session.execute(_model_tasks(user, process_id).add_columns(func.max(HumanTask.name))
                              .where(HumanTask.bpmn_id.in_(bpmn_ids)).group_by(HumanTask.bpmn_id)).all()
    return {bpmn_id: name for bpmn_id, name in rows}
