"""Eight people complete the same task at the same moment: exactly one wins, nothing is half-written."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from sqlalchemy import func, select

from services.db import db
from services.models import CaseEvent, HumanTask, ProcessInstance
from tests.factories import api_token_for, auth_header, create_case, ready_task, seeded

RACERS = 8


def test_eight_simultaneous_completions_one_wins(app: Flask) -> None:
    users = seeded()
    case = create_case(users["probation"])
    task_id = ready_task(case.id, "check_referral").id
    token = api_token_for(users["coordinator"])
    instance_version = db.session.scalar(select(ProcessInstance.version).where(ProcessInstance.case_id == case.id))
    db.session.commit()
    start = threading.Barrier(RACERS)

    def race(_: int) -> tuple[int, dict]:
        client = app.test_client()
        start.wait(timeout=10)
        response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"referral_complete": "yes"}},
                               headers=auth_header(token))
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        results = list(pool.map(race, range(RACERS)))

    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (RACERS - 1), results
    losers = [body for status, body in results if status == 409]
    assert all("already completed by Cora Ordinator" in body["error"]["message"] for body in losers), losers
    db.session.expire_all()
    completions = db.session.scalar(select(func.count(CaseEvent.id)).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == "task_completed"))
    assert completions == 1
    assert db.session.get(HumanTask, task_id).state == "completed"
    version = db.session.scalar(select(ProcessInstance.version).where(ProcessInstance.id == ready_task(
        case.id, "screening_decision").instance_id))
    assert version == instance_version + 1


def test_simultaneous_referrals_get_different_references(app: Flask) -> None:
    users = seeded()
    token = api_token_for(users["probation"])
    db.session.commit()
    start = threading.Barrier(RACERS)
    body = {"offender": {"name": "Racing Referral"}, "category": 1, "lead_agency": "Probation", "custody": False,
            "rosh": "high", "referral_reason": "Concurrent referrals."}

    def refer(_: int) -> tuple[int, str]:
        client = app.test_client()
        start.wait(timeout=10)
        response = client.post("/api/v1/cases", json=body, headers=auth_header(token))
        return response.status_code, (response.get_json() or {}).get("reference", "")

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        results = list(pool.map(refer, range(RACERS)))
    assert [status for status, _ in results] == [201] * RACERS, results
    assert sorted(ref for _, ref in results) == [f"NO-2026-{n:05d}" for n in range(1, RACERS + 1)]
