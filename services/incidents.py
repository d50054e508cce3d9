"""Process incidents: instances stopped by a failing script, condition or timer, for the process owner.

An engine error inside a step is recorded by ``instances.save``. An instance that cannot even be run (its stored
state does not load, saving it crashed) is put in error here, in a transaction of its own, with the same
"incident_raised" history event, so the process owner sees it under /admin/incidents and retries it when fixed:
a broken model is fixed by publishing a corrected version and moving the instance to it
(services.studio.migration moves instances in error and leaves their incident open); the retry then runs the failed
step on that version.
"""

from __future__ import annotations

from sqlalchemy import select

from services import clock
from services.access import log_access
from services.db import db
from services.errors import Conflict, NotFound
from services.instances import ENGINE, load, lock, record, save
from services.models import MappaCase, ProcessInstance, User
from workflows.engine import EngineError


def case_references(rows: list[ProcessInstance]) -> dict[int, str]:
    """The case reference of each incident's instance, to name it as a coordinator would ("NO-2026-00012")."""
    ids = {row.case_id for row in rows}
    if not ids:
        return {}
    found = db.session.execute(select(MappaCase.id, MappaCase.reference).where(MappaCase.id.in_(ids)))
    return {case_id: reference for case_id, reference in found}


def open_incidents(user: User) -> list[ProcessInstance]:
    rows = list(
        db.session.scalars(
            select(ProcessInstance)
            .join(MappaCase, MappaCase.id == ProcessInstance.case_id)
            .where(ProcessInstance.status == "error", MappaCase.area_id == user.area_id)
            .order_by(ProcessInstance.started_at.desc())
        )
    )
    log_access(user, "incidents_viewed", None, f"{len(rows)} incidents")
    return rows


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
    if instance is None or case is None or case.area_id != user.area_id:
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
