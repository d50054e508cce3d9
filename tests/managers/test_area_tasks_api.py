"""GET /api/v1/area-tasks: every open task in the caller's area with its holder, due date and days overdue."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.models import AccessLog
from tests.api.conftest import Api
from tests.managers.world import CHECK, VISOR, build

REF = "NO-2026-0000"


def _rows(api: Api, who: str, query: str = "") -> list[tuple[Any, ...]]:
    response = api.get(who, f"/api/v1/area-tasks{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return [(t["case_reference"], t["step"], t["assignee"], t["due"], t["days_overdue"])
            for t in response.get_json()["tasks"]]


def test_the_area_list_with_holders_due_dates_and_days_overdue(client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    world = build(clock)
    api = Api(client, world.users)
    assert _rows(api, "manager") == [
        (f"{REF}2", VISOR, None, "2026-11-06", 19), (f"{REF}1", CHECK, None, "2026-11-09", 16),
        (f"{REF}3", CHECK, None, "2026-11-16", 9), (f"{REF}4", CHECK, "coordinator", "2026-11-23", 2),
        (f"{REF}5", CHECK, None, "2026-11-27", 0)]
    body = api.get("coordinator", "/api/v1/area-tasks?overdue=true").get_json()
    assert body["counts"] == {"open": 4, "overdue": 4, "due_soon": 0, "unclaimed": 3}
    assert (body["page"], body["pages"], len(body["tasks"])) == (1, 1, 4)
    held = next(t for t in body["tasks"] if t["assignee"])
    assert (held["days_held"], held["assigned_at"], held["role"], held["agency"]) == (
        5, "2026-11-20T10:00:00+00:00", "coordinator", "MAPPA Unit")
    all_counts = api.get("manager", "/api/v1/area-tasks").get_json()["counts"]
    assert all_counts == {"open": 5, "overdue": 4, "due_soon": 1, "unclaimed": 4}


def test_each_filter_and_sort(client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    api = Api(client, build(clock).users)

    def refs(query: str) -> list[str]:
        return [row[0].removeprefix(REF) for row in _rows(api, "manager", query)]

    assert refs("?role=police") == refs("?agency=Police") == refs("?level=2") == ["2"]
    assert refs(f"?step={CHECK}") == ["1", "3", "4", "5"]
    assert refs("?assignee=coordinator") == refs("?category=3") == refs("?band=1-7") == ["4"]
    assert refs("?assignee=unclaimed") == refs("?unclaimed=true") == ["2", "1", "3", "5"]
    assert refs("?band=15-28") == ["2", "1"]
    assert refs("?band=8-14") == refs(f"?case={REF}3") == ["3"]
    assert refs("?band=29%2B") == []
    assert refs("?due_soon=true") == ["5"]
    assert refs("?overdue=true&unclaimed=true&role=coordinator") == ["1", "3"]
    assert refs("?sort=-due") == ["5", "4", "3", "1", "2"]
    assert refs("?sort=held")[0] == "4"
    assert refs("?sort=case") == ["1", "2", "3", "4", "5"]


def test_only_managers_and_coordinators_and_only_their_area(client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    world = build(clock)
    api = Api(client, world.users)
    assert api.get("probation", "/api/v1/area-tasks").status_code == 403
    assert api.get("chair", "/api/v1/area-tasks").status_code == 403
    south = api.get("south_coordinator", "/api/v1/area-tasks").get_json()
    assert [t["id"] for t in south["tasks"]] == [world.south_task]


def test_bad_filters_are_422_with_field_paths(client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    api = Api(client, build(clock).users)
    response = api.get("manager", "/api/v1/area-tasks?level=9&overdue=maybe&sort=name&page=0&role=wizard")
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.get_json()["error"]["errors"]) == [
        "level", "overdue", "page", "role", "sort"]


def test_each_case_listed_is_logged_as_consulted(app: Flask, client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    world = build(clock)
    Api(client, world.users).get("manager", "/api/v1/area-tasks?overdue=true")
    rows = db.session.scalars(select(AccessLog).where(AccessLog.event == "area_tasks_viewed")).all()
    assert len(rows) == 4 and {r.user_id for r in rows} == {world.users["manager"].id}
    assert rows[0].detail == "4 of 4 open tasks, page 1"
