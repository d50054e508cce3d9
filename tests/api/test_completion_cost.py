"""What one HTTP task completion costs the database, and what it answers: POST /api/v1/tasks/{id}/complete on the
real engine and database (SQLite, or PostgreSQL with MAPPA_TEST_DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from services.db import db
from services.models import AccessLog, CaseEvent, HumanTask, MappaCase
from tests.api.conftest import Api
from tests.factories import create_case, ready_task

# SQL statements one completion of "Check referral is complete" runs, all told: the token and its user with the
# client address's throttle (one query), the task with its case (the guard), the instance and its open tasks
# (taken for writing), the versioned instance UPDATE, the history, the projections, the access log and the next
# tasks. SQLite adds its BEGIN IMMEDIATE. The history rows go in one INSERT on both (services.instances.history_batch).
# It was 21 (SQLite) and 20 (PostgreSQL) before the completion path was trimmed, then 13 and 11; more is a regression.
MAX_STATEMENTS = {"sqlite": 12, "postgresql": 11}


@pytest.fixture
def statements(app: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def _complete(api: Api, task_id: int, data: dict[str, Any]) -> dict[str, Any]:
    response = api.post("coordinator", f"/api/v1/tasks/{task_id}/complete", json={"data": data})
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def test_one_completion_runs_at_most_its_statements(api: Api, statements: list[str]) -> None:
    first, second = (create_case(api.users["probation"], offender_name=name) for name in ("Ann Lee", "Bob Ray"))
    first_task, second_task = ready_task(first.id, "check_referral").id, ready_task(second.id, "check_referral").id
    _complete(api, first_task, {"referral_complete": "yes"})  # the token's first use is noted; caches warm
    api.headers("coordinator")  # the token exists before counting (made and committed by the test helper)
    before = len(statements)
    _complete(api, second_task, {"referral_complete": "yes"})
    run = statements[before:]
    assert len(run) <= MAX_STATEMENTS[db.engine.dialect.name], "\n".join(" ".join(s.split())[:120] for s in run)

    # nothing was dropped to get there: the task is done once, by the caller, the history and access log say so
    db.session.expire_all()
    task = db.session.get(HumanTask, second_task)
    assert task is not None and (task.state, task.completed_by_id) == ("completed", api.users["coordinator"].id)
    kinds = [e.kind for e in db.session.query(CaseEvent).filter_by(case_id=second.id)]
    assert kinds.count("task_completed") == 1
    logged = [row.event for row in db.session.query(AccessLog).filter_by(case_id=second.id,
                                                                         user_id=api.users["coordinator"].id)]
    assert logged == ["task_completed"]
    case = db.session.get(MappaCase, second.id)
    assert case is not None and case.status != "referred"


def test_an_idempotency_key_costs_two_statements_more(api: Api, statements: list[str]) -> None:
    """The key is looked up before the change and stored with it; nothing else is added (it was three: the look-up,
    a DELETE of the key's expired use, and the INSERT)."""
    cases = [create_case(api.users["probation"], offender_name=name) for name in ("Ann Lee", "Bob Ray", "Cy Ode")]
    tasks = [ready_task(case.id, "check_referral").id for case in cases]
    _complete(api, tasks[0], {"referral_complete": "yes"})  # the token's first use is noted; caches warm
    headers = api.headers("coordinator")
    counts = []
    for task_id, extra in ((tasks[1], {}), (tasks[2], {"Idempotency-Key": "cost-1"})):
        before = len(statements)
        response = api.client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers | extra,
                                   json={"data": {"referral_complete": "yes"}})
        assert response.status_code == 200, response.get_data(as_text=True)
        counts.append(len(statements) - before)
    assert counts[1] - counts[0] <= 2, counts


@pytest.mark.parametrize(("overrides", "data"), [
    ({}, {"referral_complete": "yes"}),  # screening follows, for the coordinator
    ({}, {"referral_complete": "no", "missing_information": "Risk assessment"}),  # back to the referrer: none
    ({"custody": True, "release_date": "2027-03-01"}, {"referral_complete": "yes"}),  # custody planning beside it
])
def test_next_tasks_are_the_callers_inbox_for_the_case(api: Api, overrides: dict[str, Any],
                                                      data: dict[str, Any]) -> None:
    case = create_case(api.users["probation"], **overrides)
    other = create_case(api.users["probation"], offender_name="Mark Dunn")  # its tasks are not this case's
    done = _complete(api, ready_task(case.id, "check_referral").id, data)
    inbox = api.get("coordinator", f"/api/v1/tasks?case={case.id}").get_json()["tasks"]
    assert done["next_tasks"] == inbox
    assert all(t["case_id"] == case.id for t in done["next_tasks"])
    assert other.id not in {t["case_id"] for t in done["next_tasks"]}


def test_next_tasks_include_the_callers_tasks_in_the_cases_other_phases(api: Api) -> None:
    """Custody planning runs beside the referral: a returned referral waits for its referrer (the referral phase)
    while the same person, as offender manager, sets the level on release (the custody phase)."""
    case = create_case(api.users["probation"], custody=True, release_date="2027-03-01")
    _complete(api, ready_task(case.id, "check_referral").id,
              {"referral_complete": "no", "missing_information": "Risk assessment"})
    level_setting = ready_task(case.id, "level_setting")
    response = api.post("probation", f"/api/v1/tasks/{level_setting.id}/complete", json={"data": {
        "proposed_level": 1, "level_setting_rationale": "Managed by probation alone on release."}})
    assert response.status_code == 200, response.get_data(as_text=True)
    done = response.get_json()
    inbox = api.get("probation", f"/api/v1/tasks?case={case.id}").get_json()["tasks"]
    assert done["next_tasks"] == inbox
    assert "Amend referral" in [t["name"] for t in done["next_tasks"]]
