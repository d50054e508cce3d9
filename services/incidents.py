"""Process incidents: instances stopped by a failing script, condition or timer, for the process owner."""

from __future__ import annotations

from sqlalchemy import select

from services import clock
from services.access import log_access
from services.db import db
from services.errors import NotFound
from services.instances import ENGINE, load, lock, record, save
from services.models import MappaCase, ProcessInstance, User


def open_incidents(user: User) -> list[ProcessInstance]:
    rows = list(db.session.scalars(
        select(ProcessInstance).join(MappaCase, MappaCase.id == ProcessInstance.case_id)
        .where(ProcessInstance.status == "error", MappaCase.area_id == user.area_id)
        .order_by(ProcessInstance.started_at.desc())))
    log_access(user, "incidents_viewed", None, f"{len(rows)} incidents")
    return rows


def retry(user: User, instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    case = db.session.get(MappaCase, instance.case_id) if instance else None
    if instance is None or case is None or case.area_id != user.area_id or instance.status != "error":
        raise NotFound("incident not found")
    instance = lock(instance_id)
    wf = load(instance)
    result = ENGINE.retry(wf, clock.now())
    log_access(user, "incident_retried", case.id, f"instance {instance.id}")
    record(case, "incident_retried", "Failed step retried", user, instance, {})
    save(instance, case, wf, result, user)
    return instance
