"""A sweep step that crashes as a whole (not one instance in it) is an incident for the process owner: the step, what
went wrong, when it first and last failed and how many times, on /admin/incidents until the step next runs cleanly.
The step's own writes are rolled back and the sweep's other steps still run (services.scheduler, services.incidents).

The failure is real data: a memorandum row whose agency is not in the s.325(6) vocabulary (workflows.lanes) makes
the memorandum-review step raise ``KeyError`` part-way, after it has recorded the reminder of the row before it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from app import create_app
from services.db import db
from services.models import AreaAgency, HumanTask, ReminderOutbox, SweepIncident, User
from services.scheduler import sweep
from tests.agencies.test_area_agencies import NHS_TRUST_MOU
from tests.conftest import PG_URL, _config
from tests.factories import create_case, seeded, sign_in
from tests.pages import get_page
from tests.web.test_case_actions_ui import flashed, post

REVIEW_DAY = datetime(2027, 4, 1, 8, tzinfo=UTC)  # NHS_TRUST_MOU's review date: 9am in London (BST)


def _retired_agency_row(users: dict[str, User]) -> AreaAgency:
    """An agency key no longer in the vocabulary (an entry retired after the area set it up), due for review."""
    row = AreaAgency(area_id=users["coordinator"].area_id, agency="connexions", enabled=True,
                     mou_review_on=REVIEW_DAY.date(), mou_reference="MOU/CX/2020", updated_at=REVIEW_DAY,
                     updated_by_id=users["coordinator"].id)
    db.session.add(row)
    db.session.commit()
    return row


def _mou_reminders() -> int:
    return db.session.scalar(select(func.count()).select_from(ReminderOutbox)
                             .where(ReminderOutbox.key.like("mou:%"))) or 0


def _task_reminders() -> int:
    return db.session.scalar(select(func.count()).select_from(ReminderOutbox)
                             .where(ReminderOutbox.key.like("task:%"))) or 0


def _step_rows(app: Flask, username: str) -> dict[str, list[str]]:
    web = app.test_client()
    sign_in(web, username)
    page = get_page(web, "/admin/incidents")
    table = page.xpath("//table[@id='sweep-incidents']")
    if not table:
        return {}
    return {_text(r[0]): [_text(c) for c in r[1:]] for r in table[0].xpath(".//tbody/tr")}


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def test_a_failing_step_is_an_incident_until_it_runs_cleanly_and_the_others_still_run(
        app: Flask, client: FlaskClient) -> None:
    users = seeded()
    sign_in(client, "coordinator")
    flashed(client, post(client, "/admin/agencies/nhs_trust", NHS_TRUST_MOU))  # to be reviewed by 1 April 2027
    bad = _retired_agency_row(users)  # after the NHS Trust's row: the step records that one's reminder, then fails
    case = create_case(users["probation"])  # its first task, due 2 December 2026, is long overdue by then

    report = sweep(REVIEW_DAY)

    assert [e.split(":")[0] for e in report.errors] == ["_remind_memorandum_reviews"], report.errors
    db.session.expire_all()
    assert _mou_reminders() == 0  # the failing step wrote nothing: not half of its memorandums
    task = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id)).one()
    assert task.overdue and _task_reminders() >= 1  # the steps before and after it ran

    sweep(REVIEW_DAY + timedelta(minutes=1))
    owner = _step_rows(app, "owner")
    assert owner == {"Memorandum of understanding reviews": [
        "KeyError: 'connexions'", "1 April 2027 at 9:00am", "1 April 2027 at 9:01am", "2"]}, owner
    assert _step_rows(app, "coordinator") == {}  # a sweep step is national: for the process owner, not an area's
    incident = db.session.scalars(select(SweepIncident)).one()
    assert incident.resolved_at is None

    bad.agency = "housing"  # the data put right
    db.session.commit()
    sweep(REVIEW_DAY + timedelta(minutes=2))

    assert _step_rows(app, "owner") == {}
    db.session.expire_all()
    assert incident.resolved_at == REVIEW_DAY + timedelta(minutes=2) and incident.occurrences == 2
    assert _mou_reminders() == 2  # both memorandums told to the area's coordinator, once each
    sweep(REVIEW_DAY + timedelta(minutes=3))
    assert _mou_reminders() == 2

    bad.agency, bad.mou_review_on = "connexions", date(2027, 4, 2)  # failing again later: a new incident
    db.session.commit()
    sweep(REVIEW_DAY + timedelta(days=1))
    assert _step_rows(app, "owner") == {"Memorandum of understanding reviews": [
        "KeyError: 'connexions'", "2 April 2027 at 9:00am", "2 April 2027 at 9:00am", "1"]}


def test_the_sweep_incident_table_upgrades_and_downgrades(tmp_path: Path) -> None:
    if PG_URL:
        pytest.skip("the PostgreSQL run shares one database with the session's schema; the SQLite run checks this")
    app = create_app(_config(f"sqlite:///{tmp_path / 'm.db'}"))
    with app.app_context():
        upgrade(revision="0029")
        assert "sweep_incident" not in inspect(db.engine).get_table_names()
        upgrade()
        columns = {c["name"] for c in inspect(db.engine).get_columns("sweep_incident")}
        assert columns == {"id", "step", "error", "first_at", "last_at", "occurrences", "resolved_at"}
        downgrade(revision="0029")
        assert "sweep_incident" not in inspect(db.engine).get_table_names()
        upgrade()
        db.session.remove()
        db.engine.dispose()
