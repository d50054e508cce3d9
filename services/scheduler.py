"""The scheduler sweep: fire due BPMN timers, mark overdue tasks, send reminders (services.reminders).
One sweeper at a time (services.sweep_lock).

A sweep for another instant (``tick --now``) runs under ``clock.as_of``: only the sweeping thread sees that
instant. Each instance fires in its own transaction: one that fails is rolled back, put in error as an incident
for the process owner (``services.incidents``) and left alone by later sweeps; the others still fire. A step that
fails as a whole is rolled back (each step commits only what it finished: one instance, one batch of reminders, or
the whole step), recorded as a sweep incident for the process owner, open until the step next runs cleanly; the
sweep's other steps still run.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, false, literal_column, select, true, update
from sqlalchemy.exc import OperationalError

from services import agencies, clock, csods, idempotency, incidents, reminders
from services.db import db
from services.errors import Conflict
from services.instances import ENGINE, load, lock, record, save
from services.models import HumanTask, MappaCase, ProcessInstance, SchedulerHeartbeat
from services.recordings import purge_expired
from services.sweep_lock import SweepLock

log = logging.getLogger(__name__)

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
HEARTBEAT = "sweep"
BATCH = 200
# literals (not parameters) and '=' (not IS): the planner then matches ix_human_task_ready_overdue (migration 0018)
READY: ColumnElement[str] = literal_column("'ready'", String)


@dataclass
class SweepReport:
    ran: bool = True
    timers_fired: int = 0
    tasks_marked_overdue: int = 0
    recordings_deleted: int = 0
    reminders_recorded: int = 0
    reminders_sent: int = 0
    incidents_raised: int = 0
    errors: list[str] = field(default_factory=list)


def sweep(now: datetime | None = None, held: SweepLock | None = None) -> SweepReport:
    """Run one sweep as of ``now`` (the injected clock when omitted). Cost follows what is due.

    ``held`` is the scheduler process's own lock, held for its life; without it the sweep takes the lock for its
    own length and does nothing (``ran`` False) when another process holds it.
    """
    now = now or clock.now()
    report = SweepReport()
    lock = held if held is not None and held.held else SweepLock(db.engine)
    if not lock.try_acquire():
        report.ran = False
        return report
    try:
        with clock.as_of(now):
            failing = incidents.open_sweep_steps()
            db.session.rollback()
            for step in STEPS:
                _run_step(step, now, report, failing)
    finally:
        if lock is not held:
            lock.release()
    return report


def beat(holder: str = HOLDER) -> None:
    """The scheduler's heartbeat, read by ``/readyz``: the wall-clock time of its last finished sweep."""
    row = db.session.get(SchedulerHeartbeat, HEARTBEAT)
    if row is None:
        row = SchedulerHeartbeat(name=HEARTBEAT, holder=holder, beat_at=clock.now(), sweeps=0)
        db.session.add(row)
    row.holder, row.beat_at, row.sweeps = holder, clock.now(), row.sweeps + 1
    db.session.commit()


def last_beat() -> SchedulerHeartbeat | None:
    return db.session.get(SchedulerHeartbeat, HEARTBEAT)


def _run_step(step: Callable[[datetime, SweepReport], None], now: datetime, report: SweepReport,
              failing: set[str]) -> None:
    """A step that fails is rolled back and becomes an incident; the sweep's other steps still run. A step with an
    open incident that now runs cleanly resolves it."""
    name = step.__name__
    try:
        step(now, report)
    except Exception as err:  # one failing step must not stop the sweep: it becomes an incident
        db.session.rollback()
        log.exception("sweep step %s failed", name)
        text = incidents.describe(err)
        report.errors.append(f"{name}: {text}")
        _record_step(name, report, lambda: incidents.sweep_step_failed(name, text, now))
        return
    if name in failing:
        _record_step(name, report, lambda: incidents.sweep_step_ran(name, now))


def _record_step(name: str, report: SweepReport, write: Callable[[], object]) -> None:
    """Write a step's incident in a transaction of its own; if even that fails, the log and the report keep it."""
    try:
        write()
        db.session.commit()
    except Exception as again:  # the sweep goes on: the failure is logged and reported
        db.session.rollback()
        log.exception("sweep: could not record the incident of step %s", name)
        report.errors.append(f"{name}: incident not recorded: {type(again).__name__}: {again}")


def due_timers_query(now: datetime, limit: int = BATCH) -> Any:
    """The running instances whose next timer is due, earliest first: a range of ix_process_instance_running_timer
    (status, next_timer_at), so the instances only waiting are never read. Due means the clock is past the timer's
    instant, as SpiffWorkflow judges it (strictly): one due exactly now fires at the next sweep."""
    return (select(ProcessInstance.id)
            .where(ProcessInstance.status == "running", ProcessInstance.next_timer_at < now)
            .order_by(ProcessInstance.next_timer_at)
            .limit(limit))


def _fire_timers(now: datetime, report: SweepReport) -> None:
    seen: set[int] = set()
    while True:
        due = [
            i
            for i in db.session.scalars(due_timers_query(now))
            if i not in seen
        ]
        db.session.rollback()
        if not due:
            return
        for instance_id in due:
            seen.add(instance_id)
            _fire_isolated(instance_id, now, report)


def _fire_isolated(instance_id: int, now: datetime, report: SweepReport) -> None:
    """Fire one instance in its own transaction. A lost race is retried by the next sweep; anything else that
    goes wrong with this instance makes it an incident."""
    try:
        _fire_one(instance_id, now, report)
        db.session.commit()
    except (Conflict, OperationalError) as err:  # someone changed it at the same moment, or the database was busy
        db.session.rollback()
        report.errors.append(f"instance {instance_id}: {getattr(err, 'message', None) or err}")
    except Exception as err:  # noqa: BLE001 - one broken instance must not stop the sweep: it becomes an incident
        db.session.rollback()
        _raise_incident(instance_id, err, report)


def _raise_incident(instance_id: int, err: Exception, report: SweepReport) -> None:
    text = incidents.describe(err)
    log.warning("sweep: instance %s failed and is now in error: %s", instance_id, text, exc_info=err)
    report.errors.append(f"instance {instance_id}: {text}")
    try:
        incidents.raise_incident(instance_id, text)
        db.session.commit()
        report.incidents_raised += 1
    except Exception as again:
        db.session.rollback()
        log.exception("sweep: could not record the incident of instance %s", instance_id)
        report.errors.append(f"instance {instance_id}: incident not recorded: {type(again).__name__}: {again}")


def _fire_one(instance_id: int, now: datetime, report: SweepReport) -> None:
    instance = lock(instance_id)
    if instance.status != "running" or instance.next_timer_at is None or instance.next_timer_at >= now:
        return  # another sweep got there first: firing is idempotent
    case = db.session.get(MappaCase, instance.case_id)
    assert case is not None
    wf = load(instance)
    result = ENGINE.fire_due_timers(wf, now)
    if result.completed:
        report.timers_fired += 1
        record(
            case,
            "timer_fired",
            f"{instance.model.name}: timer fired",
            None,
            instance,
            {"steps": [s.name for s in result.completed]},
        )
    save(instance, case, wf, result, None)


def _fire_csods_timers(now: datetime, report: SweepReport) -> None:
    """Child Sex Offender Disclosure Scheme applications keep their instance on the application (services.csods)."""
    fired = csods.fire_due(now)
    report.timers_fired += fired.timers
    report.incidents_raised += fired.incidents
    report.errors.extend(fired.errors)


def _mark_overdue(now: datetime, report: SweepReport) -> None:
    today = now.astimezone(clock.LONDON).date()
    rows = list(
        db.session.scalars(
            select(HumanTask)
            .where(HumanTask.state == READY, HumanTask.overdue == false(), HumanTask.due_date < today)
            .limit(5000)
        )
    )
    for task in rows:
        task.overdue = True
        case = db.session.get(MappaCase, task.case_id)
        if case is not None:
            record(
                case, "task_overdue", f"'{task.name}' is overdue (due {task.due_date})", None, None, {"task": task.id}
            )
    db.session.execute(
        update(HumanTask)
        .where(HumanTask.state == READY, HumanTask.overdue == true(), HumanTask.due_date >= today)
        .values(overdue=False)
    )
    report.tasks_marked_overdue = len(rows)
    db.session.commit()


def _remind_memorandum_reviews(now: datetime, report: SweepReport) -> None:
    """Memorandums of understanding due for review are told to their areas' coordinators (sent by ``_remind``)."""
    report.reminders_recorded += agencies.remind_memorandum_reviews(now)
    db.session.commit()


def _remind(now: datetime, report: SweepReport) -> None:
    """Reminders and escalations: recorded in the outbox first, then sent; an unsent one waits for the next sweep."""
    done = reminders.remind(now)
    report.reminders_recorded += sum(done.recorded.values())
    report.reminders_sent = done.sent
    report.errors.extend(done.errors)


def _forget_idempotency_keys(now: datetime, report: SweepReport) -> None:
    idempotency.purge(now)
    db.session.commit()


def _purge_recordings(now: datetime, report: SweepReport) -> None:
    report.recordings_deleted = purge_expired(now.astimezone(clock.LONDON).date())
    db.session.commit()


# The sweep's steps, in order, each with the name the process owner reads when it fails (/admin/incidents).
_NAMED_STEPS: tuple[tuple[Callable[[datetime, SweepReport], None], str], ...] = (
    (_fire_timers, "Process timers"),
    (_fire_csods_timers, "Child sex offender disclosure application timers"),
    (_mark_overdue, "Overdue tasks"),
    (_remind_memorandum_reviews, "Memorandum of understanding reviews"),
    (_remind, "Reminders and escalations"),
    (_purge_recordings, "Meeting recordings past their retention"),
    (_forget_idempotency_keys, "Expired idempotency keys"),
)
STEPS: tuple[Callable[[datetime, SweepReport], None], ...] = tuple(step for step, _ in _NAMED_STEPS)
STEP_LABELS: dict[str, str] = {step.__name__: label for step, label in _NAMED_STEPS}
