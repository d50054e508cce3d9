"""Organisers building agendas at the same moment, with real parallel requests (run it on PostgreSQL too, where
SQLite's single writer cannot hide a race): a case is booked on one upcoming agenda at most, and every build gets
a clean answer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from services.db import db
from services.models import AgendaItem, Attendance, ProcessInstance
from tests.factories import api_token_for, auth_header, seeded
from tests.meetings.test_meeting_cycle import level2_case

RACERS = 8
DUE_CASES = 10


def _meeting(app: Flask, token: str, starts_at: str) -> int:
    response = app.test_client().post(
        "/api/v1/meetings",
        headers=auth_header(token),
        json={"area": "northshire", "level": 2, "starts_at": starts_at, "chair": "chair", "venue": "Northshire HQ"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(response.get_json()["id"])


def _race(app: Flask, token: str, meeting_ids: list[int]) -> list[tuple[int, Any]]:
    start = threading.Barrier(RACERS)

    def build(n: int) -> tuple[int, Any]:
        client = app.test_client()
        start.wait(timeout=10)
        response = client.post(
            f"/api/v1/meetings/{meeting_ids[n % len(meeting_ids)]}/agenda/build", headers=auth_header(token)
        )
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return list(pool.map(build, range(RACERS)))


@pytest.fixture
def world(app: Flask) -> tuple[str, list[int]]:
    users = seeded()
    cases = [level2_case(users, f"Case {n:02d}", f"2026-12-{14 + n % 5}") for n in range(DUE_CASES)]
    token = api_token_for(users["administrator"])
    db.session.commit()
    return token, [c.id for c in cases]


def _bookings() -> dict[int, int]:
    db.session.expire_all()
    return dict(db.session.execute(select(AgendaItem.case_id, func.count()).group_by(AgendaItem.case_id)).all())


def test_two_meetings_built_at_once_never_book_a_case_twice(app: Flask, world: tuple[str, list[int]]) -> None:
    token, case_ids = world
    meetings = [_meeting(app, token, "2026-12-10T10:00:00+00:00"), _meeting(app, token, "2026-12-11T10:00:00+00:00")]
    results = _race(app, token, meetings)

    assert [status for status, _ in results] == [200] * RACERS, results
    added = sorted(item["case_id"] for _, body in results for item in body["added"])
    assert added == sorted(case_ids)  # every due case added once, by one of the builds
    assert _bookings() == {case_id: 1 for case_id in case_ids}
    research = db.session.scalar(select(func.count()).where(ProcessInstance.phase == "research"))
    assert research == DUE_CASES  # research started once per booking


def test_eight_builds_of_one_meeting_all_get_a_clean_answer(app: Flask, world: tuple[str, list[int]]) -> None:
    token, case_ids = world
    meeting = _meeting(app, token, "2026-12-10T10:00:00+00:00")
    results = _race(app, token, [meeting])

    assert [status for status, _ in results] == [200] * RACERS, results
    assert sorted(len(body["added"]) for _, body in results) == [0] * (RACERS - 1) + [DUE_CASES]
    assert all(len(body["agenda"]) == DUE_CASES for _, body in results)
    assert _bookings() == {case_id: 1 for case_id in case_ids}
    invited = db.session.execute(
        select(Attendance.agenda_item_id, Attendance.agency, func.count()).group_by(
            Attendance.agenda_item_id, Attendance.agency
        )
    ).all()
    assert {count for _, _, count in invited} == {1}
