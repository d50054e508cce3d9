"""The one place that scopes case data to a user's area and role, and logs every read or change."""

from __future__ import annotations

from sqlalchemy import Select, exists, insert, or_, select

from services import clock
from services.db import db
from services.errors import NotFound
from services.models import AccessLog, HumanTask, MappaCase, User
from services.permissions import AREA_WIDE_ROLES


def case_scope(user: User) -> Select[MappaCase]:
    """All cases this user may see: their area, and for duty-to-co-operate staff only cases they work on."""
    query = select(MappaCase).where(MappaCase.area_id == user.area_id)
    if user.roles & AREA_WIDE_ROLES:
        return query
    holds_task = exists().where(HumanTask.case_id == MappaCase.id, HumanTask.assignee_id == user.id)
    role_task = exists().where(HumanTask.case_id == MappaCase.id, HumanTask.state == "ready",
                               HumanTask.role.in_(user.roles), HumanTask.area_id == user.area_id)
    return query.where(or_(MappaCase.referrer_id == user.id, MappaCase.lead_officer_id == user.id, holds_task,
                           role_task))


def load_case(user: User, case_id: int, *, event: str, detail: str | None = None) -> MappaCase:
    """The case if the user may see it (else NotFound, never Forbidden: no leak of other areas' cases)."""
    case = db.session.scalars(case_scope(user).where(MappaCase.id == case_id)).first()
    if case is None:
        log_access(user, "case_access_refused", None, f"case {case_id}")
        raise NotFound("case not found")
    log_access(user, event, case.id, detail)
    return case


def access_log_for(user: User, case_id: int, limit: int = 500) -> list[AccessLog]:
    """Who read or changed this case and when, newest first (itself a logged consultation)."""
    case = load_case(user, case_id, event="case_access_log_viewed")
    return list(db.session.scalars(select(AccessLog).where(AccessLog.case_id == case.id)
                                   .order_by(AccessLog.at.desc(), AccessLog.id.desc()).limit(limit)))


def log_access(user: User | None, event: str, case_id: int | None, detail: str | None = None) -> None:
    db.session.add(AccessLog(at=clock.now(), user_id=user.id if user else None, event=event, case_id=case_id,
                             detail=detail[:400] if detail else None))


def log_case_list(user: User, event: str, case_ids: list[int], detail: str | None = None) -> None:
    """A list view consults many cases: one row per case shown (one bulk insert)."""
    at = clock.now()
    rows = [{"at": at, "user_id": user.id, "event": event, "case_id": cid, "detail": detail}
            for cid in dict.fromkeys(case_ids)]
    if rows:
        db.session.execute(insert(AccessLog), rows)
