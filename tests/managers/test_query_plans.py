"""PostgreSQL: the work list's and the dashboard's queries use an index of human_task, never a scan of the table.

The world's few tasks are joined by 40,000 finished and open task rows spread over 20 areas (copies of a real row,
inserted in one statement), and the table is analysed, so the planner weighs an index against a real table.
"""

from __future__ import annotations

from typing import Any

import pytest

from services import clock as clock_module
from services.area_tasks import PAGE_SIZE, AreaTaskFilter, queries
from services.db import db
from services.overdue import task_groups_query
from tests.conftest import PG_URL
from tests.factories import make_area
from tests.managers.plans import fill, table_scans
from tests.managers.world import CHECK, build

pytestmark = pytest.mark.skipif(not PG_URL, reason="query plans are checked on PostgreSQL (MAPPA_TEST_DATABASE_URL)")


def _fill(task_id: int) -> None:
    areas = [make_area(f"plan{n}").id for n in range(20)]
    db.session.commit()
    fill("human_task",
         "INSERT INTO human_task (task_uuid, instance_id, case_id, area_id, bpmn_id, hook, name, lane, role, form_key, "
         "state, assignee_id, due_date, overdue, created_at, context) "
         "SELECT md5(n::text || 'plan'), instance_id, case_id, (:areas)[1 + n % 20], bpmn_id, hook, name, lane, role, "
         "form_key, CASE WHEN n % 10 = 0 THEN 'ready' ELSE 'completed' END, NULL, due_date - (n % 400), false, "
         "created_at, context FROM human_task, generate_series(1, 40000) AS n WHERE human_task.id = :task",
         {"areas": areas, "task": task_id})


def _human_task_scans(query: Any) -> set[tuple[str, str | None]]:
    return table_scans(query, "human_task")


# the inbox's partial indexes (migration 0018) are indexes of the area's ready tasks too: the planner may take them
INDEXES = {"ix_human_task_area_open", "ix_human_task_ready_inbox", "ix_human_task_inbox_assigned",
           "ix_human_task_inbox_unclaimed"}


@pytest.mark.parametrize("filters", [AreaTaskFilter(), AreaTaskFilter(overdue=True), AreaTaskFilter(step=CHECK),
                                     AreaTaskFilter(unclaimed=True, due_soon=True), AreaTaskFilter(page=3)])
def test_work_list_queries_use_an_index(clock, filters: AreaTaskFilter) -> None:  # type: ignore[no-untyped-def]
    world = build(clock)
    _fill(next(iter(world.tasks.values())))
    manager = world.users["manager"]
    for dated in (10**6, (filters.page - 1) * PAGE_SIZE + 10):  # a page of dated tasks; a page of both parts
        for query in queries(manager, filters, clock_module.today(), dated=dated):
            scans = _human_task_scans(query)
            assert scans and all(index in INDEXES for _node, index in scans), scans


def test_dashboard_task_counts_use_an_index(clock) -> None:  # type: ignore[no-untyped-def]
    world = build(clock)
    _fill(next(iter(world.tasks.values())))
    scans = _human_task_scans(task_groups_query(world.users["manager"], clock_module.today()))
    assert scans and all(index in INDEXES for _node, index in scans), scans
