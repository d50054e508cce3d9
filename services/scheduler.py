"""The scheduler sweep: fire due BPMN timers and mark overdue tasks. One holder of the lease at a time."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from services import clock
from services.db import db
from services.errors import Conflict
from services.instances import ENGINE, load, lock, record, save
from services.models import HumanTask, MappaCase, ProcessInstance, SchedulerLease

LEASE = "sweep"
LEASE_LENGTH = timedelta(minutes=2)
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
BATCH = 200


@dataclass
class SweepReport:
    ran: bool = True
    timers_fired: int = 0
    tasks_marked_overdue: int = 0
    recordings_deleted: int = 0
    errors: list[str] = field(default_factory=list)


def acquire_lease(now: datetime, holder: str = HOLDER) -> bool:
    got = cast(CursorResult[Any], db.session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == LEASE, (SchedulerLease.expires_at < now) | (SchedulerLease.holder == holder))
        .values(holder=holder, expires_at=now + LEASE_LENGTH)
    )).rowcount
    if got:
        db.session.commit()
        return True
    if db.session.get(SchedulerLease, LEASE) is not None:
        db.session.rollback()
        return False
    try:
        db.session.add(SchedulerLease(name=LEASE, holder=holder, expires_at=now + LEASE_LENGTH))
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return False


def release_lease(holder: str = HOLDER) -> None:
    db.session.execute(update(SchedulerLease).where(SchedulerLease.name == LEASE, SchedulerLease.holder == holder)
                       .values(expires_at=datetime(2000, 1, 1, tzinfo=clock.now().tzinfo)))
    db.session.commit()


def sweep(now: datetime | None = None) -> SweepReport:
    """Run one sweep as of ``now`` (the injected clock when omitted). Cost follows what is due."""
    now = now or clock.now()
    report = SweepReport()
    if not acquire_lease(now):
        report.ran = False
        return report
    try:
        with clock_override(now):
            _fire_timers(now, report)
            _mark_overdue(now, report)
            _purge_recordings(now, report)
    finally:
        release_lease()
    return report


def _fire_timers(now: datetime, report: SweepReport) -> None:
    seen: set[int] = set()
    while True:
        due = [i for i in db.session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now)
            .order_by(ProcessInstance.next_timer_at).limit(BATCH)) if i not in seen]
        db.session.rollback()
        if not due:
            return
        for instance_id in due:
            seen.add(instance_id)
            try:
                _fire_one(instance_id, now, report)
                db.session.commit()
            except Conflict as err:
                db.session.rollback()
                report.errors.append(f"instance {instance_id}: {err.message}")


def _fire_one(instance_id: int, now: datetime, report: SweepReport) -> None:
    instance = lock(instance_id)
    if instance.status != "running" or instance.next_timer_at is None or instance.next_timer_at > now:
        return  # another sweep got there first: firing is idempotent
    case = db.session.get(MappaCase, instance.case_id)
    assert case is not None
    wf = load(instance)
    result = ENGINE.fire_due_timers(wf, now)
    if result.completed:
        report.timers_fired += 1
        record(case, "timer_fired", f"{instance.model.name}: timer fired", None, instance,
               {"steps": [s.name for s in result.completed]})
    save(instance, case, wf, result, None)


def _mark_overdue(now: datetime, report: SweepReport) -> None:
    today = now.astimezone(clock.LONDON).date()
    rows = list(db.session.scalars(select(HumanTask).where(
        HumanTask.state == "ready", HumanTask.overdue.is_(False), HumanTask.due_date < today).limit(5000)))
    for task in rows:
        task.overdue = True
        case = db.session.get(MappaCase, task.case_id)
        if case is not None:
            record(case, "task_overdue", f"'{task.name}' is overdue (due {task.due_date})", None, None,
                   {"task": task.id})
    db.session.execute(update(HumanTask).where(HumanTask.state == "ready", HumanTask.overdue.is_(True),
                                               HumanTask.due_date >= today).values(overdue=False))
    report.tasks_marked_overdue = len(rows)
    db.session.commit()


def _purge_recordings(now: datetime, report: SweepReport) -> None:
    from services.recordings import purge_expired

    report.recordings_deleted = purge_expired(now.astimezone(clock.LONDON).date())
    db.session.commit()


class clock_override:
    """Make services' clock read ``now`` while a sweep for another instant runs (``tick --now``)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.previous: datetime | None = None

    def __enter__(self) -> None:
        c = clock.current_clock()
        self.previous = c._fixed
        c.set(self.now)

    def __exit__(self, *exc: object) -> None:
        clock.current_clock().set(self.previous)
