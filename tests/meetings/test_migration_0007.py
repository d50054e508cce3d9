"""Migration 0007 on data written before it: hooks, bookings and the minutes' process are filled in."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from services import meetings
from services.db import db
from services.models import AgendaItem, HumanTask, Minutes
from tests.conftest import PG_URL
from tests.factories import hold, seeded
from tests.meetings.test_meeting_cycle import MEETING_AT, level2_case, minutes_text


def test_downgrade_and_upgrade_keep_hooks_bookings_and_minutes_processes(app: Flask) -> None:
    if PG_URL:
        pytest.skip("the PostgreSQL run shares one schema with the session; the SQLite run checks this")
    users = seeded()
    case = level2_case(users, "Adam Ashby", "2026-12-14")
    admin = users["administrator"]
    [meeting] = meetings.schedule(admin, level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    meetings.build_agenda(admin, meeting.id)
    hold(meeting.id)
    meetings.save_minutes(admin, meeting.id, case.id, minutes_text("level_2", "2027-02-01"), None)
    minutes = meetings.submit_for_approval(admin, meeting.id, case.id)
    minutes_id, process, case_id = minutes.id, minutes.process_instance_id, case.id
    assert process is not None
    db.session.commit()
    db.session.remove()

    downgrade(revision="0006")
    upgrade()

    assert db.session.scalar(select(Minutes.process_instance_id).where(Minutes.id == minutes_id)) == process
    rows = db.session.execute(select(HumanTask.bpmn_id, HumanTask.hook).where(HumanTask.case_id == case_id)).all()
    hooks = {bpmn_id: hook for bpmn_id, hook in rows}
    assert hooks["approve_minutes"] == "minutes_approval" and hooks["police_research"] == "agenda_research"
    assert db.session.scalars(select(AgendaItem.booked)).all() == [True]
