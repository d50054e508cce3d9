"""The overdue dashboard: overdue and due-soon counts by step, agency, role and person, ageing in bands of days
overdue, cases whose next review is overdue or has no meeting booked, and meetings whose minutes are late.

Every task figure is a count of the area work list (services.area_tasks) under a filter, so each links to it.
Aggregates name no offender; the case lists show references only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select

from services import clock
from services.access import log_access, log_case_list
from services.area_tasks import BANDS, UNCLAIMED, band_condition, count_where, due_soon_condition
from services.db import db
from services.models import AgendaItem, HumanTask, MappaCase, MappMeeting, Minutes, User
from workflows.lanes import agency_of, role_name

MANAGED_LEVELS = ("level 2", "level 3")  # cases a MAPP meeting reviews
MINUTES_HOOKS = ("minutes_draft", "minutes_approval", "minutes_revision", "minutes_distribution")


@dataclass(frozen=True)
class Line:
    """One row of a breakdown: ``key`` is the work-list filter value, ``label`` what the page shows."""

    key: str
    label: str
    open: int
    overdue: int
    due_soon: int


@dataclass(frozen=True)
class CaseDue:
    case_id: int
    reference: str
    level: int | None
    next_review_due: date | None


@dataclass(frozen=True)
class LateMinutes:
    meeting_id: int
    starts_at: datetime
    level: int
    late_steps: int
    oldest_due: date


@dataclass(frozen=True)
class Dashboard:
    on: date
    by_step: list[Line]
    by_agency: list[Line]
    by_role: list[Line]
    by_person: list[Line]
    ageing: dict[str, int]
    review_overdue: list[CaseDue]
    no_meeting_booked: int  # a count: the cases are listed by the case list (no_meeting_condition)
    late_minutes: list[LateMinutes]

    @property
    def overdue(self) -> int:
        return sum(line.overdue for line in self.by_step)

    @property
    def due_soon(self) -> int:
        return sum(line.due_soon for line in self.by_step)


def dashboard(user: User) -> Dashboard:
    today = clock.today()
    log_access(user, "overdue_dashboard_viewed", None, f"area {user.area_id}")
    review_overdue = _review_overdue(user, today)
    # the cases it names (reference, level, review date) are read: one row each in their own access logs
    log_case_list(user, "overdue_dashboard_viewed", [c.case_id for c in review_overdue], "review overdue")
    groups = _task_groups(user, today)
    names = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_([g["assignee"] for g in groups if g["assignee"]]))).all())
    usernames = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(names))).all())
    return Dashboard(
        on=today,
        by_step=_lines(groups, lambda g: (g["step"], g["step"])),
        by_agency=_lines(groups, lambda g: (agency_of(g["role"]), agency_of(g["role"]) or g["role"])),
        by_role=_lines(groups, lambda g: (g["role"], role_name(g["role"]))),
        by_person=_lines(groups, lambda g: (usernames[g["assignee"]], names[g["assignee"]]) if g["assignee"]
                         else (UNCLAIMED, "Unclaimed")),
        ageing={band: sum(g[band] for g in groups) for band in BANDS},
        review_overdue=review_overdue, no_meeting_booked=int(db.session.scalar(
            select(func.count()).select_from(MappaCase).where(
                MappaCase.area_id == user.area_id, no_meeting_condition(user, today))) or 0),
        late_minutes=_late_minutes(user, today),
    )


def _task_groups(user: User, today: date) -> list[dict[str, Any]]:
    """The area's open tasks counted by (step, role, assignee): one statement, a few hundred rows at most."""
    rows = db.session.execute(task_groups_query(user, today)).all()
    keys = ["step", "role", "assignee", "open", "overdue", "due_soon", *BANDS]
    return [{k: (int(v or 0) if i >= 3 else v) for i, (k, v) in enumerate(zip(keys, row, strict=True))}
            for row in rows]


def task_groups_query(user: User, today: date) -> Any:
    total = count_where
    return select(
        HumanTask.name, HumanTask.role, HumanTask.assignee_id, func.count(), total(HumanTask.due_date < today),
        total(due_soon_condition(today)), *(total(band_condition(band, today)) for band in BANDS),
    ).where(HumanTask.area_id == user.area_id, HumanTask.state == "ready").group_by(
        HumanTask.name, HumanTask.role, HumanTask.assignee_id)


def _lines(groups: list[dict[str, Any]], key: Any) -> list[Line]:
    """Sum the groups by ``key(group) -> (filter value, label)``; most overdue first."""
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for group in groups:
        total = sums[key(group)]
        for i, figure in enumerate(("open", "overdue", "due_soon")):
            total[i] += group[figure]
    lines = [Line(k, label, *figures) for (k, label), figures in sums.items()]
    return sorted(lines, key=lambda line: (-line.overdue, -line.due_soon, -line.open, line.label))


def _case_due(query: Any) -> list[CaseDue]:
    return [CaseDue(*row) for row in db.session.execute(query.order_by(
        MappaCase.next_review_due.is_(None), MappaCase.next_review_due, MappaCase.reference)).all()]


def _managed(user: User) -> Any:
    return select(MappaCase.id, MappaCase.reference, MappaCase.level, MappaCase.next_review_due).where(
        MappaCase.area_id == user.area_id, MappaCase.status.in_(MANAGED_LEVELS))


def _review_overdue(user: User, today: date) -> list[CaseDue]:
    return _case_due(_managed(user).where(MappaCase.next_review_due < today))


def no_meeting_condition(user: User, today: date) -> Any:
    """SQL on mappa_case: a Level 2 or 3 case not booked on the agenda of one of the area's meetings still to come
    (the dashboard counts them in the area; the case list shows them)."""
    start = datetime.combine(today, datetime.min.time(), clock.LONDON)
    booked = select(AgendaItem.case_id).join(MappMeeting, MappMeeting.id == AgendaItem.meeting_id).where(
        AgendaItem.booked.is_(True), MappMeeting.area_id == user.area_id, MappMeeting.starts_at >= start)
    return and_(MappaCase.status.in_(MANAGED_LEVELS), MappaCase.id.not_in(booked))


def _late_minutes(user: User, today: date) -> list[LateMinutes]:
    """Meetings with a minutes step (drafting, approval, revision, distribution) past its due date."""
    rows = db.session.execute(select(
        MappMeeting.id, MappMeeting.starts_at, MappMeeting.level, func.count(), func.min(HumanTask.due_date),
    ).select_from(HumanTask).join(Minutes, Minutes.process_instance_id == HumanTask.instance_id)
        .join(MappMeeting, MappMeeting.id == Minutes.meeting_id)
        .where(HumanTask.area_id == user.area_id, HumanTask.state == "ready", HumanTask.hook.in_(MINUTES_HOOKS),
               HumanTask.due_date < today)
        .group_by(MappMeeting.id, MappMeeting.starts_at, MappMeeting.level)
        .order_by(func.min(HumanTask.due_date), MappMeeting.id)).all()
    return [LateMinutes(m, at, level, int(n), oldest) for m, at, level, n, oldest in rows if oldest]
