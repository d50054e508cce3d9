"""Reminders and escalation, each exactly once (recorded in services.outbox before anything is sent).

Three rules, run by every sweep (services.scheduler):
- **overdue**: a step past its due date: its holder is told, or if nobody holds it, the area's people of its role
  (none in the area: its MAPPA coordinators);
- **escalation**: a step more than the area's ``escalation_working_days`` working days past its due date: the
  holder's line manager (the area's managers of the holder's agency; unheld, of the agencies of the role's people)
  and the area's MAPPA coordinators;
- **digest**: from 07:00 (London) each day, one message per person listing their steps that are late or due soon.

Emails and notifications name the case reference and the step only, never the offender.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, and_, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from services import clock, outbox
from services.db import db
from services.models import HumanTask, ReminderOutbox, User
from services.outbox import Reminder
from services.settings import DEFAULTS, changed_in_areas
from services.tasks import DUE_SOON_DAYS
from workflows.calendar import ENGLAND_AND_WALES
from workflows.lanes import role_name

RULES = ("overdue", "escalation", "digest")  # the rules, as ReminderOutbox.rule and Notification.rule name them
DIGEST_FROM = time(7, 0)
BATCH = 500


@dataclass
class RemindReport:
    recorded: dict[str, int] = field(default_factory=lambda: {"overdue": 0, "escalation": 0, "digest": 0})
    sent: int = 0
    errors: list[str] = field(default_factory=list)


def remind(now: datetime) -> RemindReport:
    """Record every reminder now due that is not recorded yet (one commit per batch of tasks, and for the digests),
    then send what waits."""
    report = RemindReport()
    today = now.astimezone(clock.LONDON).date()
    people = _People()
    _record_overdue(today, now, people, report)
    _record_escalations(today, now, people, report)
    if now.astimezone(clock.LONDON).time() >= DIGEST_FROM:
        _record_digests(today, now, people, report)
    delivery = outbox.deliver(now)
    report.sent, report.errors = delivery.sent, delivery.errors
    return report


class _People:
    """The active people of each area, loaded once per sweep."""

    def __init__(self) -> None:
        self._by_area: dict[int, list[User]] = {}

    def of_area(self, area_id: int) -> list[User]:
        if area_id not in self._by_area:
            self._by_area[area_id] = list(db.session.scalars(
                select(User).where(User.area_id == area_id, User.active.is_(True)).order_by(User.id)))
        return self._by_area[area_id]

    def holders(self, task: HumanTask) -> list[User]:
        """Who holds the step: its assignee, or the area's people of its role while nobody has claimed it."""
        if task.assignee is not None:
            return [task.assignee] if task.assignee.active else []
        return [u for u in self.of_area(task.area_id) if task.role in u.roles]

    def coordinators(self, area_id: int) -> list[User]:
        return [u for u in self.of_area(area_id) if "coordinator" in u.roles]

    def escalate_to(self, task: HumanTask) -> list[User]:
        agencies = {u.agency.casefold() for u in self.holders(task)}
        return [u for u in self.of_area(task.area_id) if "coordinator" in u.roles
                or ("manager" in u.roles and u.agency.casefold() in agencies)]


def unreminded_query(mark: InstrumentedAttribute[datetime | None], due_before: date,
                     after: tuple[date, int] | None = None,
                     only: ColumnElement[bool] | None = None) -> Select[HumanTask]:
    """The country's ready tasks due before ``due_before`` whose reminder under a rule is not recorded yet (``mark``,
    the task's column saying when it was), in (due date, id) order from just past ``after``: a range of that rule's
    partial index, whatever the table's statistics and however many tasks wait."""
    query = (select(HumanTask).options(joinedload(HumanTask.case), joinedload(HumanTask.assignee))
             .where(HumanTask.state == "ready", mark.is_(None), HumanTask.due_date < due_before))
    if after is not None:
        query = query.where(tuple_(HumanTask.due_date, HumanTask.id) > tuple_(*after))
    if only is not None:
        query = query.where(only)
    return query.order_by(HumanTask.due_date, HumanTask.id).limit(BATCH)


def _unreminded(mark: InstrumentedAttribute[datetime | None], due_before: date,
                only: ColumnElement[bool] | None = None) -> Iterator[list[HumanTask]]:
    """Every such task, a batch at a time (the caller commits each); a task nobody could be told about stays
    unmarked and is passed over by the next batch, read again by the next sweep."""
    after: tuple[date, int] | None = None
    while True:
        batch = list(db.session.scalars(unreminded_query(mark, due_before, after, only)))
        if not batch:
            return
        last = batch[-1]
        assert last.due_date is not None
        after = (last.due_date, last.id)
        yield batch
        if len(batch) < BATCH:
            return


def _record_overdue(today: date, now: datetime, people: _People, report: RemindReport) -> None:
    for batch in _unreminded(HumanTask.overdue_reminded_at, today):
        for task in batch:
            # nobody of its role: the coordinators
            holders = people.holders(task) or people.coordinators(task.area_id)
            whose = ("You hold it." if task.assignee
                     else f"Nobody has claimed it: it waits for a {role_name(task.role)}.")
            reminder = _about(task, "overdue", f"Overdue: {task.name} ({task.case.reference})",
                              f"The step '{task.name}' on case {task.case.reference} was due on "
                              f"{_day(task.due_date)} and is overdue. {whose}")
            report.recorded["overdue"] += sum(outbox.record(reminder, person, now) for person in holders)
            if holders:  # nobody to tell: it is read again by the next sweep, for whoever joins the area
                task.overdue_reminded_at = now
        db.session.commit()


def escalation_cutoff(today: date, working_days: int) -> date:
    """The latest due date escalated today: more than ``working_days`` working days after it have passed."""
    due = today - timedelta(days=1)
    while ENGLAND_AND_WALES.working_days_between(due, today) <= working_days:
        due -= timedelta(days=1)
    return due


def _record_escalations(today: date, now: datetime, people: _People, report: RemindReport) -> None:
    # Only the tasks escalated today under their own area's setting are read: a task still within its area's days
    # is not read sweep after sweep while it waits (at national size that was thousands of rows a minute).
    default, changed = DEFAULTS["escalation_working_days"], changed_in_areas("escalation_working_days")
    groups: dict[int, list[int]] = defaultdict(list)
    for area_id, days in changed.items():
        groups[days].append(area_id)
    cutoffs = {days: escalation_cutoff(today, days) + timedelta(days=1) for days in {default, *groups}}
    due_before = max(cutoffs.values())
    only: ColumnElement[bool] | None = None
    if changed:
        only = or_(and_(HumanTask.area_id.not_in(sorted(changed)), HumanTask.due_date < cutoffs[default]),
                   *(and_(HumanTask.area_id.in_(sorted(areas)), HumanTask.due_date < cutoffs[days])
                     for days, areas in groups.items()))
    for batch in _unreminded(HumanTask.escalated_at, due_before, only):
        for task in batch:  # each is due for escalation under its own area's setting (the query's ``only``)
            _escalate(task, changed.get(task.area_id, default), now, people, report)
        db.session.commit()


def _escalate(task: HumanTask, days: int, now: datetime, people: _People, report: RemindReport) -> None:
    held = f"held by {task.assignee.display_name}" if task.assignee else f"unclaimed ({role_name(task.role)})"
    reminder = _about(task, "escalation", f"Escalation: {task.name} ({task.case.reference}) is overdue",
                      f"The step '{task.name}' on case {task.case.reference}, {held}, was due on "
                      f"{_day(task.due_date)} and is still not done more than {days} working days later.")
    recipients = people.escalate_to(task)
    report.recorded["escalation"] += sum(outbox.record(reminder, person, now) for person in recipients)
    if recipients:
        task.escalated_at = now


def _record_digests(today: date, now: datetime, people: _People, report: RemindReport) -> None:
    key = f"day:{today.isoformat()}"
    done = set(db.session.scalars(select(ReminderOutbox.recipient_id).where(ReminderOutbox.rule == "digest",
                                                                            ReminderOutbox.key == key)))
    if done:
        return  # the day's digests were made by an earlier sweep: one morning list a day, not the country's due
        # steps read again every minute (a step first due later in the day is in tomorrow's digest)
    lines: dict[int, list[str]] = defaultdict(list)
    whom: dict[int, User] = {}
    for task in db.session.scalars(
        select(HumanTask).options(joinedload(HumanTask.case), joinedload(HumanTask.assignee))
        .where(HumanTask.state == "ready", HumanTask.due_date <= today + timedelta(days=DUE_SOON_DAYS))
        .order_by(HumanTask.due_date, HumanTask.id)
    ):
        assert task.due_date is not None
        state = "overdue since" if task.due_date < today else "due"
        for person in people.holders(task):
            if person.id not in done:
                whom[person.id] = person
                lines[person.id].append(f"- {task.case.reference}: {task.name}: {state} {_day(task.due_date)}")
    for person_id, listed in lines.items():
        reminder = Reminder("digest", key, f"Your MAPPA steps late or due on {_day(today)}",
                            f"Your steps that are late or due within {DUE_SOON_DAYS} days:\n" + "\n".join(listed))
        report.recorded["digest"] += outbox.record(reminder, whom[person_id], now)
    db.session.commit()


def _about(task: HumanTask, rule: str, subject: str, body: str) -> Reminder:
    return Reminder(rule, f"task:{task.id}", subject, body, task_id=task.id, case_id=task.case_id)


def _day(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "no date"
