"""Monthly trends for managers and the SMB (issue 11 item 5): reviews held on time, minutes distributed on time,
referral to first meeting, attendance by agency and tasks overdue at each month's end, over a chosen span of
months. Each trend is a table (every number a chart shows) and the one figure per month that its chart plots."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from services import clock, dates, performance
from services.access import log_access
from services.annual import Cell, Table, percent
from services.errors import FieldError, ValidationFailed
from services.models import User

MAX_MONTHS = 36


@dataclass(frozen=True)
class Trend:
    table: Table
    plotted: str  # the column the chart plots
    points: list[tuple[str, float | None]]  # (month, value); None: nothing to measure that month


def months_between(first: date, last: date) -> list[date]:
    """The first day of each month from ``first``'s month to ``last``'s."""
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def month_end(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def parse_span(start: str | None, end: str | None) -> tuple[date, date]:
    """``YYYY-MM`` months, both ends included; by default the twelve months up to this one."""
    this_month = clock.today().replace(day=1)
    errors, months = [], []
    for field, raw, default in (("from", start, (this_month - timedelta(days=335)).replace(day=1)),
                                ("to", end, this_month)):
        try:
            months.append(date.fromisoformat(f"{raw}-01") if raw else default)
        except ValueError:
            errors.append(FieldError(field, "Enter a month like 2026-04"))
    if not errors and not dates.in_range(months[0]):
        errors.append(FieldError("from", f"Enter a first month {dates.RANGE_TEXT}"))
    elif not errors and not months[0] <= months[1] <= this_month:
        errors.append(FieldError("from", "The first month must not be after the last, nor the last in the future"))
    elif not errors and len(months_between(months[0], months[1])) > MAX_MONTHS:
        errors.append(FieldError("from", f"Choose at most {MAX_MONTHS} months"))
    if errors:
        raise ValidationFailed(errors)
    return months[0], months[1]


def _label(month: date) -> str:
    return month.strftime("%b %Y")


def trends(user: User, first_month: date, last_month: date) -> list[Trend]:
    log_access(user, "trends_viewed", None, f"area {user.area_id} {first_month:%Y-%m} to {last_month:%Y-%m}")
    area_id, months = user.area_id, months_between(first_month, last_month)
    first, last = months[0], month_end(months[-1])
    return [
        _on_time("reviews", "Reviews held on time", performance.steps_done(
            area_id, performance.REVIEW_HOOKS, first, last), months),
        _on_time("minutes", "Minutes distributed on time", performance.steps_done(
            area_id, performance.MINUTES_HOOKS, first, last), months),
        _first_meetings(performance.first_meetings(area_id, first, last), months),
        _attendance(performance.attendance(area_id, first, last), months),
        _overdue(area_id, months),
    ]


def _month(day: date) -> date:
    return day.replace(day=1)


def _on_time(key: str, title: str, done: list[performance.Done], months: list[date]) -> Trend:
    by_month: dict[date, list[bool]] = defaultdict(list)
    for row in done:
        by_month[_month(row.day)].append(row.on_time)
    rows: list[list[Cell]] = []
    for month in months:
        flags = by_month[month]
        rows.append([_label(month), len(flags), sum(flags), percent(sum(flags), len(flags))])
    return _trend(Table(key, title, ["Month", "Done", "On time", "Percent on time"], rows), "Percent on time")


def _first_meetings(meetings: list[performance.FirstMeeting], months: list[date]) -> Trend:
    by_month: dict[date, list[performance.FirstMeeting]] = defaultdict(list)
    for row in meetings:
        by_month[_month(row.day)].append(row)
    rows: list[list[Cell]] = []
    for month in months:
        held = by_month[month]
        rows.append([_label(month), len(held), median([m.working_days for m in held]) if held else None,
                     sum(1 for m in held if m.on_time)])
    return _trend(Table("first_meeting", "Referral to first Level 2 or 3 meeting",
                        ["Month", "First meetings", "Median working days", "Within target"], rows),
                  "Median working days")


def _attendance(rows: list[performance.Attended], months: list[date]) -> Trend:
    agencies = sorted({r.agency for r in rows})
    invited: Counter[tuple[date, str]] = Counter()
    came: Counter[tuple[date, str]] = Counter()
    for row in rows:
        invited[_month(row.day), row.agency] += 1
        came[_month(row.day), row.agency] += row.status in performance.ATTENDED
    table: list[list[Cell]] = []
    for month in months:
        all_invited = sum(invited[month, a] for a in agencies)
        all_came = sum(came[month, a] for a in agencies)
        table.append([_label(month), *[percent(came[month, a], invited[month, a]) for a in agencies],
                      percent(all_came, all_invited)])
    return _trend(Table("attendance", "Attendance at Level 2 and 3 meetings by agency (percent attended: present or "
                                      "report received)", ["Month", *agencies, "All agencies"], table), "All agencies")


def _overdue(area_id: int, months: list[date]) -> Trend:
    today = clock.today()
    rows: list[list[Cell]] = [[_label(month), performance.overdue_on(area_id, min(month_end(month), today))]
                              for month in months]
    return _trend(Table("overdue", "Tasks overdue at the end of each month (this month: today)",
                        ["Month", "Overdue tasks"], rows), "Overdue tasks")


def _trend(table: Table, plotted: str) -> Trend:
    column = table.columns.index(plotted)
    points = [(str(row[0]), None if row[column] is None else float(row[column] or 0)) for row in table.rows]
    return Trend(table, plotted, points)
