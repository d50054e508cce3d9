"""The area work list: every open task in a manager's or coordinator's area, who holds it, for how long and how
late it is, filtered, sorted and paged, with counts. Rows are read as columns (no ORM objects, no workflow state)
from human_task, in the order of the index ``ix_human_task_area_open`` (migration 0012)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import aliased

from services import clock
from services.access import log_case_list
from services.db import db
from services.models import HumanTask, MappaCase, User
from services.tasks import DUE_SOON_DAYS
from workflows.lanes import ROLES, agency_of, role_name

PAGE_SIZE = 50
UNCLAIMED = "unclaimed"  # the assignee filter for tasks nobody holds
# days overdue in bands (first day, last day or None for open-ended): the dashboard's ageing and the list's filter
BANDS: dict[str, tuple[int, int | None]] = {"1-7": (1, 7), "8-14": (8, 14), "15-28": (15, 28), "29+": (29, None)}
SORTS = ("due", "-due", "step", "case", "held")
Holder = aliased(User)


@dataclass(frozen=True)
class AreaTaskFilter:
    step: str | None = None
    role: str | None = None
    agency: str | None = None
    assignee: str | None = None  # a username, or UNCLAIMED
    case: str | None = None  # a case reference
    level: int | None = None
    category: int | None = None
    overdue: bool = False
    due_soon: bool = False
    unclaimed: bool = False
    band: str | None = None  # a key of BANDS
    sort: str = "due"
    page: int = 1

    def args(self, **changes: Any) -> dict[str, Any]:
        """The filter as query-string arguments (defaults left out), for links that keep or change it."""
        values = replace(self, **changes).__dict__
        default = AreaTaskFilter().__dict__
        return {key: ("true" if value is True else value) for key, value in values.items()
                if value != default[key] and value is not None}


@dataclass(frozen=True)
class AreaTask:
    id: int
    case_id: int
    case_reference: str
    level: int | None
    category: int
    step: str
    role: str
    assignee: str | None  # username
    assignee_name: str | None
    assigned_at: datetime | None
    created_at: datetime
    due: date | None
    days_overdue: int  # 0 when not overdue
    due_soon: bool

    @property
    def role_name(self) -> str:
        return role_name(self.role)

    @property
    def agency(self) -> str:
        return agency_of(self.role)

    def days_held(self, today: date) -> int | None:
        return (today - self.assigned_at.astimezone(clock.LONDON).date()).days if self.assigned_at else None


@dataclass(frozen=True)
class Counts:
    open: int
    overdue: int
    due_soon: int
    unclaimed: int


@dataclass(frozen=True)
class AreaTaskPage:
    rows: list[AreaTask]
    counts: Counts
    page: int
    pages: int


def roles_of_agency(agency: str) -> list[str]:
    return sorted(r.key for r in ROLES if r.agency.lower() == agency.lower())


def _where(user: User, f: AreaTaskFilter, today: date) -> list[Any]:
    """The conditions of the filter, on human_task (and mappa_case for case, level and category)."""
    conditions: list[Any] = [HumanTask.area_id == user.area_id, HumanTask.state == "ready"]
    optional = [
        (f.step, lambda: HumanTask.name == f.step),
        (f.role, lambda: HumanTask.role == f.role),
        (f.agency, lambda: HumanTask.role.in_(roles_of_agency(f.agency or ""))),
        (f.assignee == UNCLAIMED or f.unclaimed, lambda: HumanTask.assignee_id.is_(None)),
        (f.assignee and f.assignee != UNCLAIMED, lambda: Holder.username == f.assignee),
        (f.case, lambda: MappaCase.reference == f.case),
        (f.level is not None, lambda: MappaCase.level == f.level),
        (f.category is not None, lambda: MappaCase.category == f.category),
        (f.overdue, lambda: HumanTask.due_date < today),
        (f.due_soon, lambda: due_soon_condition(today)),
        (f.band in BANDS, lambda: band_condition(f.band or "", today)),
    ]
    return conditions + [build() for wanted, build in optional if wanted]


def band_condition(key: str, today: date) -> Any:
    """Tasks overdue by a number of days in the band ``key`` of BANDS."""
    first, last = BANDS[key]
    latest_due = HumanTask.due_date <= today - timedelta(days=first)
    return latest_due if last is None else and_(latest_due, HumanTask.due_date >= today - timedelta(days=last))


def _order(sort: str) -> list[Any]:
    """The order of the step, case and held sorts (the due sorts are read from the index, see page_query)."""
    due: list[Any] = [HumanTask.due_date.is_(None), HumanTask.due_date, HumanTask.id]  # most overdue first
    orders: dict[str, list[Any]] = {
        "step": [HumanTask.name, *due],
        "case": [MappaCase.reference, *due],
        "held": [HumanTask.assigned_at.is_(None), HumanTask.assigned_at, *due],  # longest held first
    }
    return orders.get(sort, due)


def _from(query: Any, conditions: list[Any], cases: bool = True, holder: bool = True) -> Any:
    """``query`` over human_task, joined to the case and the holder when its columns or conditions need them."""
    query = query.select_from(HumanTask)
    if cases:
        query = query.join(MappaCase, MappaCase.id == HumanTask.case_id)
    if holder:
        query = query.outerjoin(Holder, Holder.id == HumanTask.assignee_id)
    return query.where(*conditions)


def count_where(condition: Any) -> Any:
    """SQL: how many rows of the group meet ``condition``."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def due_soon_condition(today: date) -> Any:
    return and_(HumanTask.due_date >= today, HumanTask.due_date <= today + timedelta(days=DUE_SOON_DAYS))


def count_query(f: AreaTaskFilter, conditions: list[Any], today: date) -> Any:
    """How many tasks match, and of them overdue, due soon, unclaimed and dated: one statement, joined to the case
    and the holder only when the filter asks about them."""
    total = count_where
    return _from(select(func.count(), total(HumanTask.due_date < today), total(due_soon_condition(today)),
                        total(HumanTask.assignee_id.is_(None)), total(HumanTask.due_date.is_not(None))), conditions,
                 cases=f.case is not None or f.level is not None or f.category is not None,
                 holder=bool(f.assignee and f.assignee != UNCLAIMED))


def _columns(*extra: Any) -> Any:
    return select(
        HumanTask.id, HumanTask.case_id, MappaCase.reference, MappaCase.level, MappaCase.category, HumanTask.name,
        HumanTask.role, Holder.username, Holder.display_name, HumanTask.assigned_at, HumanTask.created_at,
        HumanTask.due_date, *extra)


def page_query(conditions: list[Any], sort: str, page: int, dated: int, size: int = PAGE_SIZE) -> Any:
    """One page of ``size`` matching tasks, as columns. ``dated``: how many matching tasks have a due date.

    In due order (most overdue first, or ``-due`` the reverse) the dated tasks come first, then the undated ones
    by id: each part is read straight from ``ix_human_task_area_open`` (area, due date, id) with its own limit and
    offset, never sorting every open task; only a page that holds both parts puts its own rows together."""
    first = (page - 1) * size
    if sort not in ("due", "-due"):
        return _from(_columns(), conditions).order_by(*_order(sort)).limit(size).offset(first)
    reverse = sort == "-due"
    from_dated = min(max(dated - first, 0), size)
    parts = [
        _from(_columns(literal(0).label("part")), [*conditions, HumanTask.due_date.is_not(None)])
        .order_by(*(key.desc() if reverse else key for key in (HumanTask.due_date, HumanTask.id)))
        .limit(from_dated).offset(min(first, dated)),
        _from(_columns(literal(1).label("part")), [*conditions, HumanTask.due_date.is_(None)])
        .order_by(HumanTask.id.desc() if reverse else HumanTask.id)
        .limit(size - from_dated).offset(max(first - dated, 0)),
    ]
    if from_dated in (0, size):  # the page lies in one part
        return parts[0 if from_dated else 1]
    rows = union_all(*(select(part.subquery()) for part in parts)).subquery()
    return select(rows).order_by(rows.c.part, *(key.desc() if reverse else key for key in (rows.c.due_date,
                                                                                             rows.c.id)))


def queries(user: User, f: AreaTaskFilter, today: date, dated: int = 0,
            size: int = PAGE_SIZE) -> tuple[Any, Any]:
    """The two statements of a work-list request (the count and the page, given how many matching tasks are
    dated), e.g. to explain their plans."""
    conditions = _where(user, f, today)
    return count_query(f, conditions, today), page_query(conditions, f.sort, f.page, dated, size)


def area_tasks(user: User, f: AreaTaskFilter) -> AreaTaskPage:
    """One page of the area's open tasks (managers and coordinators see the whole area); the cases shown are
    logged as consulted."""
    today = clock.today()
    conditions = _where(user, f, today)
    *figures, dated = (int(n) for n in db.session.execute(count_query(f, conditions, today)).one())
    counts = Counts(*figures)
    pages = max(1, -(-counts.open // PAGE_SIZE))
    page = min(max(f.page, 1), pages)
    rows = db.session.execute(page_query(conditions, f.sort, page, dated)).all()
    tasks = [_task(row, today) for row in rows]
    log_case_list(user, "area_tasks_viewed", [t.case_id for t in tasks],
                  f"{len(tasks)} of {counts.open} open tasks, page {page}")
    return AreaTaskPage(tasks, counts, page, pages)


def _task(row: Any, today: date) -> AreaTask:
    due = row.due_date
    return AreaTask(
        id=row.id, case_id=row.case_id, case_reference=row.reference, level=row.level, category=row.category,
        step=row.name, role=row.role, assignee=row.username, assignee_name=row.display_name,
        assigned_at=row.assigned_at, created_at=row.created_at, due=due,
        days_overdue=(today - due).days if due is not None and due < today else 0,
        due_soon=due is not None and today <= due <= today + timedelta(days=DUE_SOON_DAYS))


def step_names(user: User) -> list[str]:
    """The steps open in the area now (the filter's choices)."""
    return sorted(db.session.scalars(select(HumanTask.name).where(
        HumanTask.area_id == user.area_id, HumanTask.state == "ready").distinct()))


def holders(user: User) -> list[tuple[str, str]]:
    """(username, name) of the people holding an open task in the area (the filter's choices)."""
    return [(u, n) for u, n in db.session.execute(select(User.username, User.display_name).where(
        User.id.in_(select(HumanTask.assignee_id).where(HumanTask.area_id == user.area_id,
                                                        HumanTask.state == "ready"))).order_by(User.display_name))]


def assignable(user: User, roles: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Role -> (username, name) of the area's active people holding it: whom each listed task can go to."""
    people = db.session.execute(select(User.username, User.display_name, User.roles_text).where(
        User.area_id == user.area_id, User.active.is_(True)).order_by(User.display_name)).all()
    return {role: [(u, n) for u, n, held in people if role in held.split(",")] for role in sorted(roles)}
