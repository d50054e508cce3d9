"""PostgreSQL: the MAPPA annual statistics' and the trends' queries read case_event, human_task and mappa_case
through an index, never a scan of the table, at realistic sizes.

The world's few cases are joined by 20,000 cases over 20 areas, 80,000 history events of every kind over three
years and 40,000 finished and open tasks (copies of real rows, each table filled in one statement), then analysed,
so the planner weighs each index against a real table.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from services import annual, case_history_at, performance
from services.db import db
from services.models import CaseEvent, HumanTask, MappaCase
from tests.conftest import PG_URL
from tests.factories import make_area
from tests.managers.plans import table_scans
from tests.managers.world import build

pytestmark = pytest.mark.skipif(not PG_URL, reason="query plans are checked on PostgreSQL (MAPPA_TEST_DATABASE_URL)")

YEAR_ENDING = date(2026, 3, 31)
KINDS = ["case_updated", "referral_submitted", "task_completed", "meeting_booked", "note_added", "document_added",
         "returned_to_custody", "notification_breach", "serious_further_offence", "task_claimed"]
HOOKS = ["meeting_review", "level1_review", "minutes_distribution", "check_referral", "screening_decision",
         "visor_record", "agenda_booking", "disclosure"]


def _columns(model: Any, *left_out: str) -> list[str]:
    return [c.name for c in model.__table__.columns if c.name not in ("id", *left_out)]


def _copy(model: Any, replaced: dict[str, str], rows: int, source: str, params: dict[str, Any]) -> None:
    """``rows`` copies of the row ``source`` selects, with ``replaced`` columns computed from n (1..rows)."""
    columns = _columns(model, *replaced)
    table = model.__tablename__
    db.session.execute(text(  # the names are the model's and this test's own, never input
        f"INSERT INTO {table} ({', '.join([*columns, *replaced])}) "  # noqa: S608
        f"SELECT {', '.join([*columns, *replaced.values()])} "
        f"FROM {table}, generate_series(1, {rows}) AS n WHERE {table}.id = ({source})"), params)


def _fill() -> None:
    areas = [make_area(f"plan{n}").id for n in range(20)]
    db.session.commit()
    _copy(MappaCase, {"reference": "'PLAN-' || n", "area_id": "(:areas)[1 + n % 20]",
                      "created_at": "created_at - (n % 1100) * interval '1 day'"},
          20_000, "SELECT min(id) FROM mappa_case", {"areas": areas})
    first_case = db.session.scalar(text("SELECT min(id) FROM mappa_case WHERE reference LIKE 'PLAN-%'"))
    _copy(CaseEvent, {"case_id": ":first + n % 20000", "kind": "(CAST(:kinds AS text[]))[1 + n % 10]",
                      "at": "at - (n % 1100) * interval '1 day'"},
          80_000, "SELECT min(id) FROM case_event", {"first": first_case, "kinds": KINDS})
    _copy(HumanTask, {"task_uuid": "md5(n::text || 'plan')", "area_id": "(:areas)[1 + n % 20]",
                      "case_id": ":first + n % 20000", "hook": "(CAST(:hooks AS text[]))[1 + n % 8]",
                      "state": "CASE WHEN n % 10 = 0 THEN 'ready' ELSE 'completed' END",
                      "created_at": "created_at - (n % 1100) * interval '1 day'",
                      "due_date": "due_date - (n % 1100)",
                      "completed_at": "CASE WHEN n % 10 = 0 THEN NULL "
                                      "ELSE created_at - (n % 1100 - 5) * interval '1 day' END"},
          40_000, "SELECT min(id) FROM human_task", {"areas": areas, "first": first_case, "hooks": HOOKS})
    db.session.commit()
    for table in ("mappa_case", "case_event", "human_task"):
        db.session.execute(text(f"ANALYZE {table}"))
    db.session.commit()


def _queries(area_id: int) -> dict[str, Any]:
    """Every query the annual statistics and the trends run over the big tables, by name."""
    at = performance.end_of(YEAR_ENDING)
    first = annual.year_start(YEAR_ENDING)
    return {
        "cases at 31 March": case_history_at.cases_query(area_id, at),
        "changes after 31 March": case_history_at.changes_after_query(area_id, at),
        "moves since the year began": case_history_at.moves_since_query(performance.start_of(first)),
        "level changes in the year": annual.level_changes_query(area_id, first, YEAR_ENDING),
        "outcomes in the year": annual.outcomes_query(area_id, first),
        "reviews done": performance.steps_done_query(area_id, performance.REVIEW_HOOKS, first),
        "minutes done": performance.steps_done_query(area_id, performance.MINUTES_HOOKS, first),
        "first meetings": performance.first_meetings_query(area_id, first, YEAR_ENDING),
        "overdue at a month's end": performance.overdue_on_query(area_id, date(2026, 10, 31)),
        "overdue a year before": performance.overdue_on_query(area_id, date(2025, 10, 31)),
    }


def test_annual_statistics_and_trends_read_the_big_tables_through_an_index(clock) -> None:  # type: ignore[no-untyped-def]
    world = build(clock)
    _fill()
    scans_of_tables = []
    for name, query in _queries(world.users["manager"].area_id).items():
        for table in ("mappa_case", "case_event", "human_task"):
            scans_of_tables.extend((name, table, node, index) for node, index in table_scans(query, table))
    without_index = [scan for scan in scans_of_tables if scan[3] is None]
    assert not without_index, without_index
    assert {table for _name, table, _node, _index in scans_of_tables} == {"mappa_case", "case_event", "human_task"}
