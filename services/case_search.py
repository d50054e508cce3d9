"""Finding a case: the case list, filtered by status and searched by name or identifier, within the user's case
scope (services.access.case_scope) and access-logged.

A search matches a case when every word of it is part of the offender's name (any case), or the whole of it is
part of the case reference, or it is the case's NDelius CRN, ViSOR reference or PNC ID (ignoring case and spaces;
a PNC ID also without its slash or leading zeros, and with a two-digit year: "19/12345a" finds 2019/0012345A).
Plain SQL (lower, replace, like) so it runs the same on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from services import clock, critical_cases
from services.access import case_scope, log_access, log_case_list
from services.cases import STATUSES, list_cases
from services.db import db
from services.errors import FieldError, ValidationFailed
from services.lifecycle import CLOSED
from services.models import CriticalFlag, MappaCase, User
from services.overdue import no_meeting_condition

MAX_QUERY = 100  # characters: a name or an identifier, never a paragraph
LIMIT = 200  # cases listed at most; the total is still counted
_PNC = re.compile(r"(\d{2}|\d{4})/?(\d{1,7})([a-z])")


@dataclass(frozen=True)
class CaseFilter:
    text: str = ""  # the search, trimmed with inner spaces collapsed; "" lists every case
    status: str | None = None
    no_meeting: bool = False  # Level 2 and 3 cases with no meeting booked (the overdue dashboard's count)
    critical: bool = False  # only critical public protection cases (services.critical_cases)


@dataclass(frozen=True)
class CaseListing:
    wanted: CaseFilter
    cases: list[MappaCase]
    total: int  # all the cases the filter matches; more than len(cases) when the list is cut at LIMIT
    critical_ids: frozenset[int] = frozenset()  # those listed that are critical public protection cases


def case_filter(q: str | None, status: str | None = None, no_meeting: bool = False,
                critical: bool = False) -> CaseFilter:
    """Checks the search (ValidationFailed at field ``q`` when too long); an unknown status is not a filter."""
    text = " ".join((q or "").split())
    if len(text) > MAX_QUERY:
        raise ValidationFailed([FieldError("q", f"Search must be {MAX_QUERY} characters or fewer")])
    return CaseFilter(text, status if status in STATUSES else None, no_meeting, critical)


def find_cases(user: User, wanted: CaseFilter) -> CaseListing:
    """The cases in the user's scope that the filter matches, next review first; each one shown is logged, and a
    search is logged with its count (never its text: it may be an offender's name)."""
    query = case_scope(user)
    if wanted.status:
        query = query.where(MappaCase.status == wanted.status)
    if wanted.no_meeting:
        query = query.where(no_meeting_condition(user, clock.today()))
    if wanted.critical:
        query = query.where(MappaCase.id.in_(critical_cases.critical_case_ids()))
    if wanted.text:
        query = query.where(search_condition(wanted.text))
    cases = list_cases(query, LIMIT)
    total = len(cases) if len(cases) < LIMIT else int(db.session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    detail = (f"status={wanted.status or 'any'}" + (" no meeting booked" if wanted.no_meeting else "")
              + (" critical only" if wanted.critical else ""))
    if wanted.text:
        log_case_list(user, "cases_searched", [c.id for c in cases], f"{detail}; search matched {total}")
        if not cases:
            log_access(user, "cases_searched", None, f"{detail}; search matched 0")
    else:
        log_case_list(user, "case_list_viewed", [c.id for c in cases], detail)
    critical_ids = frozenset(db.session.scalars(critical_cases.critical_case_ids().where(
        CriticalFlag.case_id.in_([c.id for c in cases])))) if cases else frozenset()
    return CaseListing(wanted, cases, total, critical_ids)


def search_condition(text: str) -> ColumnElement[bool]:
    """SQL on mappa_case: the case matches the search ``text`` (see the module's docstring)."""
    key = _squashed(text)
    name = func.lower(MappaCase.offender_name)
    return or_(
        and_(*(name.contains(word, autoescape=True) for word in text.lower().split())),
        func.lower(MappaCase.reference).contains(key, autoescape=True),
        _squash(MappaCase.crn) == key,
        _squash(MappaCase.visor_reference) == key,
        _squash(MappaCase.pnc_id).in_(pnc_forms(key)),
    )


def pnc_forms(key: str) -> list[str]:
    """The ways a PNC ID may be written (lower case, no spaces): 2019/0012345a, 19/12345a, 20190012345a..."""
    match = _PNC.fullmatch(key)
    if match is None:
        return [key]
    year, number, letter = match.groups()
    years = [year, year[2:]] if len(year) == 4 else [year, f"19{year}", f"20{year}"]
    numbers = {number.zfill(7), number.lstrip("0") or "0"}
    return sorted({key} | {f"{y}{slash}{n}{letter}" for y in years for n in numbers for slash in ("/", "")})


def review_overdue(case: MappaCase, today: date) -> bool:
    """An open case whose next review date has passed."""
    return case.status not in CLOSED and case.next_review_due is not None and case.next_review_due < today


def _squashed(text: str) -> str:
    return text.lower().replace(" ", "")


def _squash(column: Any) -> Any:
    return func.lower(func.replace(column, " ", ""))
