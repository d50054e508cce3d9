"""A case outlives its process instances: 300 review periods later it still works, and costs what period 10 did."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Flask
from sqlalchemy import func, select

from services.db import db
from services.models import MappaCase, ProcessInstance
from services.scheduler import sweep
from services.tasks import complete
from tests.factories import create_case, ready_task, seeded

PERIODS = 300


def test_one_case_through_300_review_periods(app: Flask) -> None:
    users = seeded()
    case = create_case(users["probation"])
    complete(users["coordinator"], ready_task(case.id, "check_referral").id, {"referral_complete": "yes"})
    due = date(2026, 12, 18)
    complete(users["coordinator"], ready_task(case.id, "screening_decision").id, {
        "screening_outcome": "accepted_level_2", "screening_rationale": "r", "first_review_due": due.isoformat()})
    complete(users["police"], ready_task(case.id, "visor_record").id, {"visor_reference": "VS1"})
    db.session.commit()
    state_sizes = {}
    for period in range(1, PERIODS + 1):
        meeting_day = datetime.combine(due - timedelta(days=13), time(10), UTC)
        app.extensions["mappa.clock"].set(meeting_day)
        report = sweep(meeting_day)
        assert report.timers_fired == 1, f"period {period}: timer did not fire"
        task = ready_task(case.id, "meeting_review")
        due = due + timedelta(weeks=8)
        complete(users["chair"], task.id, {"review_outcome": "level_2", "review_rationale": "Same.",
                                           "next_review_date": due.isoformat()})
        db.session.commit()
        if period in (10, PERIODS):
            state_sizes[period] = db.session.scalar(select(func.length(ProcessInstance.state)).where(
                ProcessInstance.case_id == case.id, ProcessInstance.status == "running"))
    db.session.expire_all()
    final = db.session.get(MappaCase, case.id)
    assert final is not None and final.next_review_due == due and final.status == "level 2"
    running = db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case.id,
                                                               ProcessInstance.status == "running")).one()
    assert running.phase == "review" and running.next_timer_at is not None
    # no instance grows with the age of the case
    assert state_sizes[PERIODS] <= state_sizes[10] * 1.05, state_sizes
    total = db.session.scalar(select(func.count(ProcessInstance.id)).where(ProcessInstance.case_id == case.id))
    assert total == PERIODS + 2  # referral, 300 finished periods, and the one now waiting
