"""Process incidents: instances stopped by a failing script, condition or timer, for the process owner.

An engine error inside a step is recorded by ``instances.save``. An instance that cannot even be run (its stored
state does not load, saving it crashed) is put in error here, in a transaction of its own, with the same
"incident_raised" history event, so the process owner sees it under /admin/incidents and retries it when fixed:
a broken model is fixed by publishing a corrected version and moving the instance to it
(services.studio.migration moves instances in error and leaves their incident open); the retry then runs the failed
step on that version. Child Sex Offender Disclosure Scheme applications keep their process on the application row
(services.csods): those in error are listed with the instances (``csods_incidents``) and retried by
``services.csods.retry``. Reminder emails the mail server refused (services.outbox keeps them to try again) are
listed beside them (``undelivered_reminders``) until they go: a wrong address is seen, not only logged. A scheduler
sweep step that fails as a whole (services.scheduler) is a ``SweepIncident``: national, so listed for the process
owner only (``sweep_incidents``), open until the step next runs cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from services import clock
from services.access import log_access
from services.db import db
from services.errors import Conflict, NotFound
from services.instances import ENGINE, load, lock, record, save
from services.models import Area, CsodsApplication, MappaCase, ProcessInstance, ReminderOutbox, SweepIncident, User
from services.permissions import in_every_area
from workflows.engine import EngineError

PERMISSION = "incidents:view"


@dataclass(frozen=True)
class CaseLabel:
    reference: str  # as a coordinator would name the case ("NO-2026-00012")
    area: str  # the MAPPA area's name: a process owner sees every area's incidents


def case_labels(rows: list[ProcessInstance | CsodsApplication]) -> dict[int, CaseLabel]:
    """The case reference and area of each incident's instance (a CSODS application names itself)."""
    ids = {row.case_id for row in rows if isinstance(row, ProcessInstance)}
    if not ids:
        return {}
    found = db.session.execute(select(MappaCase.id, MappaCase.reference, Area.name)
                               .join(Area, Area.id == MappaCase.area_id).where(MappaCase.id.in_(ids)))
    return {case_id: CaseLabel(reference, area) for case_id, reference, area in found}


def application_areas(rows: list[ProcessInstance | CsodsApplication]) -> dict[int, str]:
    """The area's name of each CSODS application among the incidents (an application is not a case)."""
    ids = {row.area_id for row in rows if isinstance(row, CsodsApplication)}
    return {area_id: name for area_id, name in db.session.execute(select(Area.id, Area.name).where(Area.id.in_(ids)))}


def _in_reach(user: User, case: MappaCase) -> bool:
    """The user's own area, or every area for a national role (services.permissions: ``every_area``)."""
    return case.area_id == user.area_id or in_every_area(user, PERMISSION)


def open_incidents(user: User) -> list[ProcessInstance | CsodsApplication]:
    query = (select(ProcessInstance).join(MappaCase, MappaCase.id == ProcessInstance.case_id)
             .where(ProcessInstance.status == "error").order_by(ProcessInstance.started_at.desc()))
    if not in_every_area(user, PERMISSION):
        query = query.where(MappaCase.area_id == user.area_id)
    rows: list[ProcessInstance | CsodsApplication] = list(db.session.scalars(query))
    rows += csods_incidents(user)
    log_access(user, "incidents_viewed", None, f"{len(rows)} incidents")
    return rows


def csods_incidents(user: User) -> list[CsodsApplication]:
    """The CSODS applications whose process is in error (the user's area's; every area's for a national role), most
    recently changed first."""
    query = (select(CsodsApplication).where(CsodsApplication.process_status == "error")
             .order_by(CsodsApplication.updated_at.desc(), CsodsApplication.id.desc()))
    if not in_every_area(user, PERMISSION):
        query = query.where(CsodsApplication.area_id == user.area_id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Undelivered:
    """A reminder email the mail server refused, still waiting to be sent (services.outbox retries it each sweep)."""

    reminder: ReminderOutbox
    recipient: User
    area: str


def undelivered_reminders(user: User) -> list[Undelivered]:
    """The reminders whose email the server refused and which are not sent yet, for the recipients of the user's area
    (every area's for a national role), the most tried first: whom to give a working address."""
    query = (select(ReminderOutbox, User, Area.name).join(User, User.id == ReminderOutbox.recipient_id)
             .join(Area, Area.id == User.area_id)
             .where(ReminderOutbox.status.in_(("pending", "sending")), ReminderOutbox.last_error.is_not(None))
             .order_by(ReminderOutbox.attempts.desc(), ReminderOutbox.id))
    if not in_every_area(user, PERMISSION):
        query = query.where(User.area_id == user.area_id)
    return [Undelivered(reminder, recipient, area) for reminder, recipient, area in db.session.execute(query)]


def sweep_incidents(user: User) -> list[SweepIncident] | None:
    """The open incidents of the sweep's steps, the latest first, for a national role (the process owner); None for
    anyone else: a sweep step belongs to no area."""
    if not in_every_area(user, PERMISSION):
        return None
    return list(db.session.scalars(select(SweepIncident).where(SweepIncident.resolved_at.is_(None))
                                   .order_by(SweepIncident.last_at.desc(), SweepIncident.id.desc())))


def open_sweep_steps() -> set[str]:
    """The steps with an open incident: the sweep resolves each when it next runs cleanly (one query a sweep)."""
    return set(db.session.scalars(select(SweepIncident.step).where(SweepIncident.resolved_at.is_(None))))


def sweep_step_failed(step: str, error: str, now: datetime) -> SweepIncident:
    """Record that ``step`` failed at ``now``: its open incident counts one more, or a new one opens (the caller
    commits; one sweeper at a time, services.sweep_lock, so there is never a second open row to race)."""
    row = db.session.scalars(select(SweepIncident).where(SweepIncident.step == step,
                                                         SweepIncident.resolved_at.is_(None))).first()
    if row is None:
        row = SweepIncident(step=step, error=error, first_at=now, last_at=now, occurrences=1)
        db.session.add(row)
        log_access(None, "sweep_incident_raised", None, f"{step}: {error}")
        return row
    row.error, row.last_at, row.occurrences = error, now, row.occurrences + 1
    return row


def sweep_step_ran(step: str, now: datetime) -> None:
    """``step`` ran cleanly at ``now``: its open incident is resolved (the caller commits)."""
    for row in db.session.scalars(select(SweepIncident).where(SweepIncident.step == step,
                                                              SweepIncident.resolved_at.is_(None))):
        row.resolved_at = now
        log_access(None, "sweep_incident_resolved", None, f"{step}: ran cleanly after {row.occurrences} failures")


def describe(err: BaseException) -> str:
    """What went wrong, for the process owner: the engine's own message, or the exception's type and text."""
    if isinstance(err, EngineError):
        return err.message
    return f"{type(err).__name__}: {err}"


def raise_incident(instance_id: int, error: str) -> ProcessInstance:
    """Put the instance in error with ``error`` and say so in the case history (the caller commits)."""
    instance = lock(instance_id)
    case = db.session.get(MappaCase, instance.case_id)
    assert case is not None
    instance.status, instance.error, instance.version = "error", error, instance.version + 1
    record(case, "incident_raised", f"Process error in {instance.model.name}", None, instance, {"error": error})
    return instance


def retry(user: User, instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    case = db.session.get(MappaCase, instance.case_id) if instance else None
    if instance is None or case is None or not _in_reach(user, case):
        raise NotFound("incident not found")
    if instance.status != "error":
        raise Conflict("This process has no open incident to retry")
    instance = lock(instance_id)
    log_access(user, "incident_retried", case.id, f"instance {instance.id}")
    record(case, "incident_retried", "Failed step retried", user, instance, {})
    try:
        wf = load(instance)
    except Exception as err:  # noqa: BLE001 - still unloadable: the incident stays open with the new reason
        instance.error, instance.version = describe(err), instance.version + 1
        record(
            case,
            "incident_raised",
            f"Process error in {instance.model.name}",
            None,
            instance,
            {"error": instance.error},
        )
        return instance
    result = ENGINE.retry(wf, clock.now())
    save(instance, case, wf, result, user)
    return instance
