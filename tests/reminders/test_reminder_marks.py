"""Each ready task carries when its overdue reminder and its escalation were recorded (migration 0021): the sweep
reads only tasks not marked, marks a task once someone is told, and leaves a task nobody could be told about to be
read again; a database upgraded with reminders already sent marks their tasks, so nobody is told twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import event, func, select

from app import create_app
from services import reminders, scheduler, settings_admin
from services.db import db
from services.models import HumanTask, ReminderOutbox, User
from tests.conftest import PG_URL, TEST_NOW, _config
from tests.factories import create_case, seeded

DAY_AFTER = datetime(2026, 12, 3, 10, tzinfo=UTC)  # the referral's first step, due 2 December, is overdue


def _task(case_id: int) -> HumanTask:
    db.session.expire_all()
    return db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == "ready")).one()


def _told(rule: str) -> int:
    return db.session.scalar(select(func.count()).select_from(ReminderOutbox).where(ReminderOutbox.rule == rule)) or 0


def test_a_task_is_marked_when_told_and_read_again_while_nobody_can_be(app: Flask, users: dict[str, User]) -> None:
    for person in db.session.scalars(select(User).where(User.area_id == users["coordinator"].area_id)):
        person.active = person.username == "probation"  # the area has no coordinator: nobody to tell
    db.session.commit()
    case = create_case(users["probation"])
    scheduler.sweep(DAY_AFTER)
    assert _told("overdue") == 0 and _task(case.id).overdue_reminded_at is None
    users["coordinator"].active = True
    db.session.commit()
    later = DAY_AFTER + timedelta(hours=1)
    scheduler.sweep(later)
    assert _told("overdue") == 1 and _task(case.id).overdue_reminded_at == later
    assert _task(case.id).escalated_at is None
    escalated = DAY_AFTER + timedelta(days=7)
    scheduler.sweep(escalated)
    assert _task(case.id).escalated_at == escalated and _told("escalation") >= 1
    told = _told("escalation")
    scheduler.sweep(escalated + timedelta(days=1))
    assert _told("overdue") == 1 and _told("escalation") == told


def test_upgrading_marks_the_tasks_already_reminded(tmp_path: Path) -> None:
    if PG_URL:
        pytest.skip("the PostgreSQL run shares one database with the session's schema; the SQLite run checks this")
    app = create_app(_config(f"sqlite:///{tmp_path / 'm.db'}"))
    app.extensions["mappa.clock"].set(TEST_NOW)
    with app.app_context():
        upgrade()
        case_id = create_case(seeded()["probation"]).id
        scheduler.sweep(DAY_AFTER)
        assert _told("overdue") == 1
        db.session.commit()
        downgrade(revision="0020")
        upgrade()
        db.session.remove()
        assert _task(case_id).overdue_reminded_at is not None and _task(case_id).escalated_at is None
        scheduler.sweep(DAY_AFTER + timedelta(hours=1))
        assert _told("overdue") == 1
        db.session.remove()
        db.engine.dispose()


def test_every_area_is_reminded_a_batch_at_a_time_each_by_its_own_setting(app: Flask, users: dict[str, User],
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The country's unreminded tasks are read in (due date, id) batches: more tasks than a batch are all told in
    one sweep, and each area escalates after its own number of working days."""
    monkeypatch.setattr(reminders, "BATCH", 2)
    settings_admin.update_settings(users["south_coordinator"], {"escalation_working_days": "10"})
    db.session.commit()
    north = [create_case(users["probation"]).id for _ in range(3)]
    south = create_case(users["south_coordinator"]).id
    scheduler.sweep(DAY_AFTER)
    assert all(_task(case_id).overdue_reminded_at == DAY_AFTER for case_id in [*north, south])
    assert _told("overdue") == 4
    escalated = DAY_AFTER + timedelta(days=7)  # 5 working days late: past northshire's 3, not southmoor's 10
    scheduler.sweep(escalated)
    assert all(_task(case_id).escalated_at == escalated for case_id in north)
    assert _task(south).escalated_at is None
    later = DAY_AFTER + timedelta(days=14)
    scheduler.sweep(later)
    assert _task(south).escalated_at == later and _told("overdue") == 4


def test_a_task_still_within_its_areas_escalation_days_is_not_read_sweep_after_sweep(
        app: Flask, users: dict[str, User]) -> None:
    """The escalation pass reads the tasks its areas escalate today, each area by its own setting: a task overdue but
    still within its area's days is left in the index, not loaded and passed over at every sweep (at national size
    that was thousands of rows a minute). An area that lowered its setting is still escalated on time."""
    settings_admin.update_settings(users["south_coordinator"], {"escalation_working_days": "1"})
    db.session.commit()
    north, south = create_case(users["probation"]).id, create_case(users["south_coordinator"]).id
    reminders.remind(DAY_AFTER)  # both told they are overdue (due Wednesday 2 December)
    loaded: list[int] = []

    def count(target: HumanTask, _context: object) -> None:
        loaded.append(target.case_id)

    event.listen(HumanTask, "load", count)
    try:
        friday = DAY_AFTER + timedelta(days=1)  # 2 working days late: past southmoor's 1, not northshire's 3
        reminders.remind(friday)
        assert _task(south).escalated_at == friday and _task(north).escalated_at is None
        loaded.clear()
        reminders.remind(friday + timedelta(minutes=1))
        assert loaded == []  # northshire's task waits unread; southmoor's is escalated already
    finally:
        event.remove(HumanTask, "load", count)
    tuesday = DAY_AFTER + timedelta(days=5)
    reminders.remind(tuesday)
    assert _task(north).escalated_at == tuesday
