"""The one place that scopes case data to a user's area and role, and logs every read or change."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, event, exists, func, insert, or_, select
from sqlalchemy.orm import Session

from services import clock
from services.db import db
from services.errors import Forbidden, NotFound
from services.models import AccessLog, AgendaItem, Attendance, HumanTask, MappaCase, MappMeeting, User
from services.permissions import AREA_WIDE_ROLES, REFUSAL_EVENTS, may_on_case
from workflows.lanes import DUTY_TO_COOPERATE_ROLES, PERSONAL_ROLES, agencies_of


def case_scope(user: User) -> Select[MappaCase]:
    """All cases this user may see: their area, and for duty-to-co-operate staff only cases they work on."""
    query = select(MappaCase).where(MappaCase.area_id == user.area_id)
    if user.roles & AREA_WIDE_ROLES:
        return query
    return query.where(or_(MappaCase.referrer_id == user.id, MappaCase.lead_officer_id == user.id,
                           *_works_on(user)))


def _works_on(user: User) -> list[ColumnElement[bool]]:
    """A case a duty-to-co-operate agency works on: it holds or held a task on it (the person, or the role in
    this area), leads it, or was invited to discuss it at one of this area's MAPP meetings."""
    held_by_user = exists().where(HumanTask.case_id == MappaCase.id,
                                  or_(HumanTask.assignee_id == user.id, HumanTask.completed_by_id == user.id))
    shared_roles = sorted(user.roles - PERSONAL_ROLES)  # a referrer's task is that referrer's, not every referrer's
    held_by_role = exists().where(HumanTask.case_id == MappaCase.id, HumanTask.role.in_(shared_roles),
                                  HumanTask.area_id == user.area_id)
    agencies = sorted(a.lower() for a in agencies_of(user.roles & DUTY_TO_COOPERATE_ROLES))
    if not agencies:
        return [held_by_user, held_by_role]
    invited = exists().where(AgendaItem.case_id == MappaCase.id, Attendance.agenda_item_id == AgendaItem.id,
                             MappMeeting.id == AgendaItem.meeting_id, MappMeeting.area_id == user.area_id,
                             func.lower(Attendance.agency).in_(agencies))
    return [held_by_user, held_by_role, invited, func.lower(MappaCase.lead_agency).in_(agencies)]


def load_case(user: User, case_id: int, *, event: str, detail: str | None = None) -> MappaCase:
    """The case if the user may see it (else NotFound, never Forbidden: no leak of other areas' cases)."""
    case = _visible_case(user, case_id)
    log_access(user, event, case.id, detail)
    return case


def load_case_for(user: User, case_id: int, permission: str, *, event: str, detail: str | None = None) -> MappaCase:
    """The case if the user may see it (else NotFound) and holds ``permission`` on it (else Forbidden, logged as
    the permission's refusal event, services.permissions.REFUSAL_EVENTS)."""
    case = _visible_case(user, case_id)
    if not may_on_case(user, permission, case):
        log_access(user, REFUSAL_EVENTS.get(permission, "case_change_refused"), case.id, permission)
        raise Forbidden(f"Your role or your relationship to this case does not allow this ({permission})")
    log_access(user, event, case.id, detail)
    return case


def _visible_case(user: User, case_id: int) -> MappaCase:
    case = db.session.scalars(case_scope(user).where(MappaCase.id == case_id)).first()
    if case is None:
        log_access(user, "case_access_refused", None, f"case {case_id}")
        raise NotFound("case not found")
    return case


def case_access_log(user: User, case_id: int, limit: int = 500) -> tuple[MappaCase, list[AccessLog]]:
    """The case and who read or changed it and when, newest first (itself a logged consultation)."""
    case = load_case(user, case_id, event="case_access_log_viewed")
    return case, list(db.session.scalars(select(AccessLog).where(AccessLog.case_id == case.id)
                                   .order_by(AccessLog.at.desc(), AccessLog.id.desc()).limit(limit)))


def log_access(user: User | None, event: str, case_id: int | None, detail: str | None = None) -> None:
    """One access-log row, in the request's transaction. A refusal (an event ending ``_refused``) is also kept
    aside, so that it is logged even when the refused request's transaction is rolled back (keep_refusals)."""
    row = {"at": clock.now(), "user_id": user.id if user else None, "event": event, "case_id": case_id,
           "detail": detail[:400] if detail else None}
    db.session.connection().execute(_LOG, row)  # Core: written at once, no ORM object or unit-of-work flush
    if event.endswith("_refused"):
        db.session.info.setdefault(_REFUSALS, []).append(row)


_LOG = insert(AccessLog)
_REFUSALS = "access_refusals"


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    """Refusals committed mid-request (sign-in counters commit at once) are in the log: not to be written again."""
    session.info.pop(_REFUSALS, None)


def refusals_logged() -> bool:
    """Has this request written a refusal to the security log yet?"""
    return bool(db.session.info.get(_REFUSALS))


def keep_refusals() -> None:
    """After a rolled-back request: add its refusals again, for the request's closing commit."""
    rows = db.session.info.get(_REFUSALS, [])
    if rows:
        db.session.execute(insert(AccessLog), rows)


def forget_refusals() -> None:
    """After a committed request: its refusals are in the access log already."""
    db.session.info.pop(_REFUSALS, None)


def log_case_list(user: User, event: str, case_ids: list[int], detail: str | None = None) -> None:
    """A list view consults many cases: one row per case shown (one bulk insert)."""
    at = clock.now()
    rows = [{"at": at, "user_id": user.id, "event": event, "case_id": cid, "detail": detail}
            for cid in dict.fromkeys(case_ids)]
    if rows:
        db.session.execute(insert(AccessLog), rows)
