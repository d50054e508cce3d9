"""Figures for managers and the Strategic Management Board: caseload by category and level (the shape of the
national MAPPA tables 2(a) and 2(b)), where work is waiting, and whether reviews and minutes are on time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from services import clock
from services.access import log_access
from services.cases import STATUSES
from services.db import db
from services.instances import CLOSED_STATUSES
from services.models import HumanTask, MappaCase, User

ACTIVE = tuple(status for status in STATUSES if status not in CLOSED_STATUSES)  # open cases
REVIEW_HOOKS = ("meeting_review", "level1_review")


@dataclass(frozen=True)
class WaitingStep:
    step: str
    open: int
    overdue: int
    oldest: date | None


@dataclass(frozen=True)
class OnTime:
    done: int
    on_time: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.on_time / self.done) if self.done else None


@dataclass(frozen=True)
class Snapshot:
    on: date
    by_category: dict[int, int]
    by_level: dict[int, int]
    by_status: dict[str, int]
    waiting: list[WaitingStep]
    reviews: OnTime
    minutes_drafting: OnTime
    minutes_distribution: OnTime


def snapshot(user: User) -> Snapshot:
    """Aggregates only (no offender is named), for the user's area; the consultation is logged."""
    today = clock.today()
    log_access(user, "statistics_viewed", None, f"area {user.area_id}")
    active = select(MappaCase).where(MappaCase.area_id == user.area_id, MappaCase.status.in_(ACTIVE)).subquery()
    by_category = _counts(select(active.c.category, func.count()).group_by(active.c.category))
    by_level = _counts(select(active.c.level, func.count()).where(active.c.level.is_not(None))
                       .group_by(active.c.level))
    by_status = _counts(select(MappaCase.status, func.count()).where(MappaCase.area_id == user.area_id)
                        .group_by(MappaCase.status))
    return Snapshot(
        on=today, by_category={c: by_category.get(c, 0) for c in (1, 2, 3, 4)},
        by_level={level: by_level.get(level, 0) for level in (1, 2, 3)}, by_status=by_status,
        waiting=_waiting(user, today), reviews=_on_time(user, REVIEW_HOOKS),
        minutes_drafting=_on_time(user, ("minutes_draft",)),
        minutes_distribution=_on_time(user, ("minutes_distribution",)),
    )


def _counts(query: Any) -> dict[Any, int]:
    return {key: int(count) for key, count in db.session.execute(query).all()}


def _waiting(user: User, today: date) -> list[WaitingStep]:
    """Open steps by name, most overdue first: where the work is stuck."""
    overdue = func.sum((HumanTask.due_date < today).cast(db.Integer))
    rows = db.session.execute(select(HumanTask.name, func.count(), overdue, func.min(HumanTask.created_at))
                              .where(HumanTask.area_id == user.area_id, HumanTask.state == "ready")
                              .group_by(HumanTask.name)).all()
    steps = [WaitingStep(name, count, int(late or 0), oldest.date() if oldest else None)
             for name, count, late, oldest in rows]
    return sorted(steps, key=lambda s: (-s.overdue, -s.open, s.step))


def _on_time(user: User, hooks: tuple[str, ...]) -> OnTime:
    """Steps declaring these hooks completed in the last twelve months, and how many by their due date. The day
    the work counts as done is ``done_on`` where set (a MAPP meeting review: the meeting, not the approval)."""
    since = clock.now() - timedelta(days=365)
    rows = db.session.execute(select(HumanTask.completed_at, HumanTask.done_on, HumanTask.due_date).where(
        HumanTask.area_id == user.area_id, HumanTask.hook.in_(hooks), HumanTask.state == "completed",
        HumanTask.completed_at >= since)).all()
    on_time = sum(1 for completed, done_on, due in rows if due is None or _done_day(completed, done_on) <= due)
    return OnTime(len(rows), on_time)


def _done_day(completed: datetime | None, done_on: date | None) -> date:
    if done_on is not None:
        return done_on
    return completed.astimezone(clock.LONDON).date() if completed is not None else date.max
