"""The facts behind the SMB performance pack and the monthly trends, for one area over a span of days: reviews and
minutes done (and whether on time), referral to first meeting, attendance by agency, and tasks overdue on a day.

Each function returns one row per thing counted, with the day it counts on, so that the annual pack sums them and
the trends put them in months. Days are Europe/London days; spans include both ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select

from services.clock import LONDON
from services.db import db
from services.models import AgendaItem, Attendance, CaseEvent, HumanTask, MappaCase, MappMeeting
from services.settings import area_settings
from workflows.calendar import ENGLAND_AND_WALES

REVIEW_HOOKS = ("meeting_review", "level1_review")
MINUTES_HOOKS = ("minutes_distribution",)
ATTENDED = ("present", "report received")


def start_of(day: date) -> datetime:
    """The UTC instant a London day begins."""
    return datetime.combine(day, time.min, LONDON).astimezone(UTC)


def end_of(day: date) -> datetime:
    """The UTC instant just before the next London day begins (the last moment of ``day``)."""
    return start_of(day + timedelta(days=1)) - timedelta(microseconds=1)


def london_day(instant: datetime) -> date:
    return instant.astimezone(LONDON).date()


@dataclass(frozen=True)
class Done:
    day: date
    on_time: bool


@dataclass(frozen=True)
class FirstMeeting:
    day: date  # the first meeting's day
    working_days: int  # from the referral to that meeting
    on_time: bool


@dataclass(frozen=True)
class Attended:
    day: date
    agency: str
    status: str


def steps_done(area_id: int, hooks: tuple[str, ...], first: date, last: date) -> list[Done]:
    """Steps declaring ``hooks`` done in the span; on time when done by the due date. A step counts on the day
    the work was done (``done_on``, the meeting for a MAPP review) where recorded, else its completion day."""
    done = []
    for completed, done_on, due in db.session.execute(steps_done_query(area_id, hooks, first)).all():
        day = done_on or london_day(completed or end_of(last))
        if first <= day <= last:
            done.append(Done(day, due is None or day <= due))
    return done


def steps_done_query(area_id: int, hooks: tuple[str, ...],
                     first: date) -> Select[datetime | None, date | None, date | None]:
    """Steps declaring ``hooks`` completed since ``first`` (done_on is never after completion, may be before)."""
    return select(HumanTask.completed_at, HumanTask.done_on, HumanTask.due_date).where(
        HumanTask.area_id == area_id, HumanTask.hook.in_(hooks), HumanTask.state == "completed",
        HumanTask.completed_at.is_not(None), HumanTask.completed_at >= start_of(first))


def first_meetings(area_id: int, first: date, last: date) -> list[FirstMeeting]:
    """Referrals whose first held Level 2/3 meeting fell in the span, and the working days it took (on time
    within the area's first_meeting_working_days)."""
    target = area_settings(area_id)["first_meeting_working_days"]
    meetings = []
    for referred_at, held_at in db.session.execute(first_meetings_query(area_id, first, last)).all():
        days = ENGLAND_AND_WALES.working_days_between(london_day(referred_at), london_day(held_at))
        meetings.append(FirstMeeting(london_day(held_at), days, days <= target))
    return meetings


def first_meetings_query(area_id: int, first: date, last: date) -> Select[Any]:
    """(referred at, first held meeting at) of the area's cases whose first held meeting fell in the span."""
    first_held = (select(AgendaItem.case_id, func.min(MappMeeting.starts_at).label("held_at"))
                  .join(MappMeeting, MappMeeting.id == AgendaItem.meeting_id)
                  .where(MappMeeting.area_id == area_id, MappMeeting.status == "held")
                  .group_by(AgendaItem.case_id).subquery())
    referred = (select(CaseEvent.case_id, func.min(CaseEvent.at).label("referred_at"))
                .join(first_held, first_held.c.case_id == CaseEvent.case_id)  # only cases with a held meeting
                .where(CaseEvent.kind == "referral_submitted").group_by(CaseEvent.case_id).subquery())
    return (select(referred.c.referred_at, first_held.c.held_at)
            .join(first_held, first_held.c.case_id == referred.c.case_id)
            .join(MappaCase, MappaCase.id == referred.c.case_id)
            .where(MappaCase.area_id == area_id, first_held.c.held_at >= start_of(first),
                   first_held.c.held_at <= end_of(last)))


def attendance(area_id: int, first: date, last: date) -> list[Attended]:
    """Each agency's invitation to a meeting held in the span, and what became of it."""
    rows = db.session.execute(select(MappMeeting.starts_at, Attendance.agency, Attendance.status)
                              .join(MappMeeting, MappMeeting.id == Attendance.meeting_id)
                              .where(MappMeeting.area_id == area_id, MappMeeting.status == "held",
                                     MappMeeting.starts_at >= start_of(first),
                                     MappMeeting.starts_at <= end_of(last))).all()
    return [Attended(london_day(starts_at), agency, status) for starts_at, agency, status in rows]


def overdue_on(area_id: int, day: date) -> int:
    """Tasks that were open and past their due date at the end of ``day`` (from when each was created and
    finished, not from today's state)."""
    return int(db.session.scalar(overdue_on_query(area_id, day)) or 0)


def overdue_on_query(area_id: int, day: date) -> Select[Any]:
    at = end_of(day)
    return select(func.count()).select_from(HumanTask).where(
        HumanTask.area_id == area_id, HumanTask.created_at <= at, HumanTask.due_date < day,
        or_(HumanTask.completed_at.is_(None), HumanTask.completed_at > at))
