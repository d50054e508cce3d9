"""The work list in due order: dated tasks most overdue first, then undated tasks, every page read straight from
the index ix_human_task_area_open (no sort of every open task), and the count joined to the case only for a case
filter."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from services import clock as clock_module
from services.area_tasks import AreaTaskFilter, queries
from services.db import db
from services.models import HumanTask, User
from tests.conftest import PG_URL
from tests.managers.world import build


def _undate_two(clock) -> tuple[User, list[int], list[int]]:  # type: ignore[no-untyped-def]
    """The world with two of Northshire's five open tasks undated: the manager, the dated ids in due order and the
    undated ids."""
    world = build(clock)
    ids = sorted(world.tasks.values())
    undated = ids[1:3]
    db.session.execute(update(HumanTask).where(HumanTask.id.in_(undated)).values(due_date=None))
    db.session.commit()
    dated = list(db.session.scalars(select(HumanTask.id).where(HumanTask.id.in_(ids), HumanTask.due_date.is_not(None))
                                    .order_by(HumanTask.due_date, HumanTask.id)))
    return world.users["manager"], dated, undated


@pytest.mark.parametrize("sort", ["due", "-due"])
def test_pages_of_every_size_give_dated_tasks_in_due_order_then_undated(clock, sort: str) -> None:  # type: ignore[no-untyped-def]
    manager, dated, undated = _undate_two(clock)
    expected = dated + undated if sort == "due" else dated[::-1] + undated[::-1]
    for size in range(1, 6):
        listed: list[int] = []
        for page in range(1, 7):
            _count, page_query = queries(manager, AreaTaskFilter(sort=sort, page=page), clock_module.today(),
                                         dated=len(dated), size=size)
            listed.extend(row.id for row in db.session.execute(page_query))
        assert listed == expected, (size, listed)


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's plan; PostgreSQL's is checked in test_query_plans")
@pytest.mark.parametrize("page", [1, 3])  # pages of two: dated tasks only; undated only
def test_the_unfiltered_list_is_read_in_index_order_and_counted_without_the_cases(clock, page: int) -> None:  # type: ignore[no-untyped-def]
    manager, dated, _undated = _undate_two(clock)
    count, page_query = queries(manager, AreaTaskFilter(page=page), clock_module.today(), dated=len(dated), size=2)
    plans = {}
    for name, query in (("count", count), ("page", page_query)):
        compiled = query.compile(dialect=db.engine.dialect)
        plans[name] = [row[3] for row in db.session.connection().exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params[key] for key in compiled.positiontup or ()))]
    assert plans["count"] == ["SEARCH human_task USING INDEX ix_human_task_area_open (area_id=?)"], plans
    human_task = [step for step in plans["page"] if "human_task" in step]
    assert human_task and all("USING INDEX ix_human_task_area_open" in step for step in human_task), plans
    assert not [step for step in plans["page"] if "TEMP B-TREE" in step], plans
