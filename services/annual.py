"""MAPPA annual statistics for a year ending 31 March, in the shape of the national annual report tables
(MAPPA.md §16): offenders by category and by level at 31 March as the recorded history had them on that day (not
as they are today), registered sexual offenders per 100,000 population, Level 2 and 3 counts, returns to custody,
breaches, serious further offences and serious case reviews recorded in the year, and the SMB performance pack.

Aggregates only: no offender is named. Every table is rows of plain values, so that the page, JSON, CSV, XLSX
and PDF all show the same figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Any

from sqlalchemy import Select, select

from services import clock, performance
from services.access import log_access
from services.case_history_at import FactsAt, facts_at, in_area_then, managed_since
from services.cases import STATUSES
from services.db import db
from services.errors import FieldError, ValidationFailed
from services.instances import CLOSED_STATUSES
from services.levels import CATEGORIES, LEVELS
from services.models import CaseEvent, User
from services.outcomes import CUSTODY_REASONS, OUTCOMES
from services.settings import area_settings

ACTIVE = tuple(status for status in STATUSES if status not in CLOSED_STATUSES)  # open cases
Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]

    def cell(self, row_label: str, column: str) -> Cell:
        """The value in the row whose first cell is ``row_label``, under ``column``."""
        row = next(r for r in self.rows if r[0] == row_label)
        return row[self.columns.index(column)]


@dataclass(frozen=True)
class Annual:
    year_ending: date
    area: str
    tables: list[Table]

    @property
    def year_starting(self) -> date:
        return year_start(self.year_ending)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def year_start(year_ending: date) -> date:
    return date(year_ending.year - 1, 4, 1)


def parse_year_ending(raw: str | None) -> date:
    """A 31 March no later than the next one; none given: the last 31 March that has passed."""
    today = clock.today()
    if not raw:
        return date(today.year if today >= date(today.year, 3, 31) else today.year - 1, 3, 31)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or (day.month, day.day) != (3, 31) or not 2001 < day.year <= today.year + 1:
        raise ValidationFailed([FieldError("year_ending", "Enter a year ending 31 March, like "
                                                          f"{today.year}-03-31, from 2002 onwards")])
    return day


def annual(user: User, year_ending: date) -> Annual:
    """The user's area's tables for the year ending ``year_ending``; the consultation is logged."""
    log_access(user, "annual_statistics_viewed", None, f"area {user.area_id} year ending {year_ending}")
    area_id = user.area_id
    first = year_start(year_ending)
    active = [f for f in facts_at(area_id, performance.end_of(year_ending)) if f.status in ACTIVE]
    return Annual(year_ending, user.area_name, [
        _by_category(active), _by_level(active), _category_by_level(active),
        _rso_rate(active, area_settings(area_id)["area_population"]), _level23(area_id, active, first, year_ending),
        _outcomes(area_id, first, year_ending), *_smb_pack(area_id, first, year_ending),
    ])


def _category_label(category: int) -> str:
    return CATEGORIES[category]


def _level_label(level: int | None) -> str:
    return f"Level {level}" if level in LEVELS else "Level not yet set"


def _by_category(active: list[FactsAt]) -> Table:
    counts = Counter(f.category for f in active)
    rows: list[list[Cell]] = [[_category_label(c), counts.get(c, 0)] for c in CATEGORIES]
    return Table("category", "Table 2(a): MAPPA offenders by category at 31 March", ["Category", "Offenders"],
                 [*rows, ["Total", len(active)]])


def _by_level(active: list[FactsAt]) -> Table:
    counts = Counter(_level_label(f.level) for f in active)
    rows: list[list[Cell]] = [[label, counts.get(label, 0)] for label in (_level_label(lv) for lv in (*LEVELS, None))]
    return Table("level", "Table 2(b): MAPPA offenders by level of management at 31 March", ["Level", "Offenders"],
                 [*rows, ["Total", len(active)]])


def _category_by_level(active: list[FactsAt]) -> Table:
    labels = [_level_label(level) for level in (*LEVELS, None)]
    counts = Counter((f.category, _level_label(f.level)) for f in active)
    rows: list[list[Cell]] = []
    for category in CATEGORIES:
        row = [counts.get((category, label), 0) for label in labels]
        rows.append([_category_label(category), *row, sum(row)])
    totals = [sum(int(r[i] or 0) for r in rows) for i in range(1, len(labels) + 2)]
    return Table("category_level", "MAPPA offenders by category and level at 31 March", ["Category", *labels,
                                                                                           "Total"],
                 [*rows, ["Total", *totals]])


def _rso_rate(active: list[FactsAt], population: int) -> Table:
    rsos = sum(1 for f in active if f.category == 1)
    rate = round(rsos * 100_000 / population, 1) if population else None
    return Table("rso_rate", "Registered sexual offenders per 100,000 population at 31 March", ["Measure", "Value"],
                 [["Registered sexual offenders (Category 1)", rsos], ["Area population", population or None],
                  ["Registered sexual offenders per 100,000 population", rate]])


def _level23(area_id: int, active: list[FactsAt], first: date, last: date) -> Table:
    """Level 2 and 3 offenders at 31 March, and cases that moved to each level during the year while the area
    managed them."""
    at_end = Counter(f.level for f in active)
    moved = Counter[int]()
    changes = ((case_id, today, at, detail)
               for case_id, today, at, detail in db.session.execute(level_changes_query(area_id, first, last)))
    for detail in in_area_then(area_id, performance.start_of(first), changes):
        change = ((detail or {}).get("changes") or {}).get("level")
        if change and change[1] in (2, 3):
            moved[change[1]] += 1
    return Table("level23", "Level 2 and 3 offenders", ["Level", "At 31 March", "Moved to this level in the year"],
                 [[f"Level {level}", at_end.get(level, 0), moved.get(level, 0)] for level in (2, 3)])


def _outcomes(area_id: int, first: date, last: date) -> Table:
    """Returns to custody, breaches, SFOs and SCRs that happened in the year while the area managed the case, by
    the level managed at then."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    happened = ((case_id, today, performance.end_of(date.fromisoformat(detail["on"])), (kind, detail))
                for case_id, today, kind, detail in db.session.execute(outcomes_query(area_id, first)))
    for kind, detail in in_area_then(area_id, performance.start_of(first), happened):
        on = date.fromisoformat(detail["on"])
        if not first <= on <= last:
            continue
        label = _outcome_label(kind, detail.get("reason"))
        counts[label][_level_label(detail.get("level"))] += 1
        if kind == "returned_to_custody":
            counts[OUTCOMES[kind]][_level_label(detail.get("level"))] += 1
    labels = [_level_label(level) for level in (*LEVELS, None)]
    rows: list[list[Cell]] = []
    for kind, name in OUTCOMES.items():
        names = [name] + ([_outcome_label(kind, r) for r in CUSTODY_REASONS] if kind == "returned_to_custody" else [])
        for row_name in names:
            values = [counts[row_name].get(label, 0) for label in labels]
            rows.append([row_name, *values, sum(values)])
    return Table("outcomes", "Returns to custody, breaches, serious further offences and serious case reviews in "
                             "the year", ["Outcome", *labels, "Total"], rows)


def level_changes_query(area_id: int, first: date, last: date) -> Select[Any]:
    """The changes recorded in the year (some of them changes of level) of the cases the area managed at some time
    in it (case id, the case's area today, instant, detail); each counts in the area that managed the case at its
    instant (services.case_history_at.in_area_then)."""
    cases = managed_since(area_id, performance.start_of(first)).subquery()
    return (select(CaseEvent.case_id, cases.c.area_id, CaseEvent.at, CaseEvent.detail)
            .join(cases, cases.c.id == CaseEvent.case_id)
            .where(CaseEvent.kind == "case_updated", CaseEvent.at >= performance.start_of(first),
                   CaseEvent.at <= performance.end_of(last)))


def outcomes_query(area_id: int, first: date) -> Select[Any]:
    """The outcomes recorded since the year began of the cases the area managed at some time since (case id, the
    case's area today, kind, detail); each says the day it happened on, and counts in the area that managed the
    case that day (services.case_history_at.in_area_then)."""
    cases = managed_since(area_id, performance.start_of(first)).subquery()
    return (select(CaseEvent.case_id, cases.c.area_id, CaseEvent.kind, CaseEvent.detail)
            .join(cases, cases.c.id == CaseEvent.case_id)
            .where(CaseEvent.kind.in_(sorted(OUTCOMES)), CaseEvent.at >= performance.start_of(first)))


def _outcome_label(kind: str, reason: str | None) -> str:
    if kind == "returned_to_custody" and reason in CUSTODY_REASONS:
        return f"Returned to custody: {CUSTODY_REASONS[reason].lower()}"
    return OUTCOMES[kind]


def percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def _smb_pack(area_id: int, first: date, last: date) -> list[Table]:
    target = area_settings(area_id)["first_meeting_working_days"]
    meetings = performance.first_meetings(area_id, first, last)
    reviews = performance.steps_done(area_id, performance.REVIEW_HOOKS, first, last)
    minutes = performance.steps_done(area_id, performance.MINUTES_HOOKS, first, last)
    rows: list[list[Cell]] = []
    for label, done in ((f"Referral to first Level 2 or 3 meeting within {target} working days", meetings),
                        ("Reviews held on time", reviews), ("Minutes distributed on time", minutes)):
        on_time = sum(1 for d in done if d.on_time)
        rows.append([label, len(done), on_time, percent(on_time, len(done))])
    timeliness = Table("timeliness", "SMB performance pack: timeliness in the year",
                       ["Measure", "Done", "On time", "Percent on time"], rows)
    waits = [m.working_days for m in meetings]
    wait = Table("first_meeting", "SMB performance pack: referral to first meeting (working days)",
                 ["Measure", "Value"], [["First meetings held", len(waits)],
                                        ["Median working days", median(waits) if waits else None],
                                        ["Longest working days", max(waits) if waits else None]])
    return [timeliness, wait, attendance_table(performance.attendance(area_id, first, last))]


ATTENDANCE_COLUMNS = ["Agency", "Invited", "Present", "Apologies", "Report received", "Percent attended"]


def attendance_table(rows: list[performance.Attended]) -> Table:
    """By agency: invitations to held meetings, and present, apologies, report sent (attended: present or a
    report received)."""
    by_agency: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        by_agency[row.agency][row.status] += 1
    table: list[list[Cell]] = []
    for agency in sorted(by_agency):
        c = by_agency[agency]
        invited = sum(c.values())
        attended = sum(c[s] for s in performance.ATTENDED)
        table.append([agency, invited, c["present"], c["apologies"], c["report received"], percent(attended, invited)])
    return Table("attendance", "SMB performance pack: attendance at Level 2 and 3 meetings by agency",
                 ATTENDANCE_COLUMNS, table)
