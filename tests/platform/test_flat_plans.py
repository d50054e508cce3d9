"""PostgreSQL: the inbox walks its partial indexes in the page's order, and the sweep finds due timers by an index
range on the next timer's time; the reminders find the tasks not yet reminded by a range of their rule's partial index,
before the table is ever analysed and after; none reads human_task or process_instance through a sequential scan.

The world's few tasks and instances are joined by 40,000 copies (one statement each, a quarter of the tasks in the
user's own area, a tenth ready, instances waiting for timers spread over the coming months and a hundred due), and
the tables are analysed, so the planner weighs its indexes against real tables.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import clock as clock_module
from services.models import HumanTask
from services.reminders import escalation_cutoff, unreminded_query
from services.scheduler import due_timers_query
from services.tasks import InboxFilter, inbox_query
from tests.conftest import PG_URL
from tests.managers.plans import fill, table_scans
from tests.managers.world import build

pytestmark = pytest.mark.skipif(not PG_URL, reason="query plans are checked on PostgreSQL (MAPPA_TEST_DATABASE_URL)")

COPIES = 40_000
# the parts' own indexes; the area's ready tasks in (due date, id) order, which the planner may take for the undated
# part (area, due date NULL, in id order); the page's rows by primary key
INBOX_INDEXES = {"ix_human_task_inbox_assigned", "ix_human_task_inbox_unclaimed", "ix_human_task_area_open",
                 "pk_human_task"}
PART_INDEXES = {"ix_human_task_inbox_assigned", "ix_human_task_inbox_unclaimed"}
REMINDER_INDEXES = {HumanTask.overdue_reminded_at: "ix_human_task_unreminded_overdue",
                    HumanTask.escalated_at: "ix_human_task_unescalated"}
TIMER_INDEXES = {"ix_process_instance_running_timer", "ix_process_instance_next_timer_at"}


def _fill_tasks(task_id: int, area_id: int, other_area_id: int) -> None:
    fill("human_task",
         "INSERT INTO human_task (task_uuid, instance_id, case_id, area_id, bpmn_id, hook, name, lane, role, form_key, "
         "state, assignee_id, due_date, overdue, created_at, context) "
         "SELECT md5(n::text || 'inbox'), instance_id, case_id, CASE WHEN n % 4 = 0 THEN :area ELSE :other END, "
         "bpmn_id, hook, name, lane, role, form_key, CASE WHEN n % 10 = 0 THEN 'ready' ELSE 'completed' END, NULL, "
         "due_date - (n % 400), false, created_at, context FROM human_task, generate_series(1, :copies) AS n "
         "WHERE human_task.id = :task",
         {"area": area_id, "other": other_area_id, "task": task_id, "copies": COPIES})


@pytest.mark.parametrize("filters", [InboxFilter(), InboxFilter(sort="-due", limit=25),
                                     InboxFilter(show="unclaimed", due="overdue", limit=25),
                                     InboxFilter(limit=25, page=3)])
def test_inbox_walks_its_indexes(clock, filters: InboxFilter) -> None:  # type: ignore[no-untyped-def]
    world = build(clock)
    coordinator = world.users["coordinator"]
    south = world.users["south_coordinator"]
    _fill_tasks(next(iter(world.tasks.values())), coordinator.area_id, south.area_id)
    scans = table_scans(inbox_query(coordinator, filters), "human_task")
    assert scans and all(index in INBOX_INDEXES for _node, index in scans), scans
    if filters.due is None:  # with a due-date range the planner may walk ix_human_task_area_open in due order
        assert {index for _node, index in scans} & PART_INDEXES, scans


def test_sweep_finds_due_timers_by_index(clock) -> None:  # type: ignore[no-untyped-def]
    build(clock)
    now = clock_module.now()
    fill("process_instance",
         "INSERT INTO process_instance (case_id, model_id, phase, sequence, status, state, version, next_timer_at, "
         "started_at) SELECT case_id, model_id, phase, sequence, 'running', '{}', 1, "
         "CASE WHEN n <= 100 THEN CAST(:now AS timestamptz) - n * interval '1 minute' "
         "ELSE CAST(:now AS timestamptz) + n * interval '5 minutes' END, started_at "
         "FROM process_instance, generate_series(1, :copies) AS n "
         "WHERE process_instance.id = (SELECT min(id) FROM process_instance)",
         {"now": now, "copies": COPIES})
    for at in (now, now + timedelta(days=1)):
        scans = table_scans(due_timers_query(at), "process_instance")
        assert len(scans) == 1, scans
        [(node, index)] = scans
        assert node in ("Index Scan", "Index Only Scan") and index in TIMER_INDEXES, scans


@pytest.mark.parametrize("mark", list(REMINDER_INDEXES))
def test_reminders_find_unreminded_tasks_by_index(clock, mark) -> None:  # type: ignore[no-untyped-def]
    """This server runs without autovacuum: the plan must not depend on statistics (the NOT EXISTS it replaces read
    every ready task of the area through a sequential scan until the tables were analysed)."""
    world = build(clock)
    area_id = world.users["coordinator"].area_id
    today = clock_module.today()
    fill("human_task",
         "INSERT INTO human_task (task_uuid, instance_id, case_id, area_id, bpmn_id, hook, name, lane, role, form_key, "
         "state, assignee_id, due_date, overdue, created_at, context, overdue_reminded_at, escalated_at) "
         "SELECT md5(n::text || 'remind'), instance_id, case_id, CASE WHEN n % 4 = 0 THEN :area ELSE :other END, "
         "bpmn_id, hook, name, lane, role, form_key, CASE WHEN n % 3 = 0 THEN 'completed' ELSE 'ready' END, NULL, "
         "due_date - (n % 400), true, created_at, context, CASE WHEN n % 50 = 0 THEN NULL ELSE created_at END, "
         "CASE WHEN n % 70 = 0 THEN NULL ELSE created_at END FROM human_task, generate_series(1, :copies) AS n "
         "WHERE human_task.id = :task",
         {"area": area_id, "other": world.users["south_coordinator"].area_id,
          "task": next(iter(world.tasks.values())), "copies": COPIES}, analyse=False)
    for analysed in (False, True):
        if analysed:
            fill("human_task", "SELECT 1", {})
        for due_before in (today, escalation_cutoff(today, 3)):
            for after in (None, (due_before - timedelta(days=200), 10**6)):  # the first batch; a later one
                scans = table_scans(unreminded_query(mark, due_before, after), "human_task")
                assert len(scans) == 1, (analysed, scans)
                [(node, index)] = scans
                assert node in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan"), (analysed, scans)
                assert index == REMINDER_INDEXES[mark], (analysed, scans)
