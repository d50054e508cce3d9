"""One broken instance does not stop the sweep: it becomes an incident and the other due instances still fire."""

from __future__ import annotations

import time
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select, update

from services.db import db
from services.models import CaseEvent, ProcessInstance
from services.scheduler import sweep
from tests.api.conftest import Api, referral
from tests.conftest import TEST_NOW
from tests.factories import csrf_token, sign_in
from tests.pages import check_page

TODAY = TEST_NOW.date()


def _open_case(api: Api) -> int:
    response = api.post("probation", "/api/v1/cases", json=referral())
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(response.get_json()["id"])


def _agree_action(api: Api, case_id: int, due: date) -> int:
    response = api.post(
        "coordinator",
        f"/api/v1/cases/{case_id}/actions",
        json={"description": f"Home visit by {due}", "owner_role": "police", "due": due.isoformat()},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(
        db.session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.case_id == case_id).order_by(ProcessInstance.id.desc())
        ).first()
        or 0
    )


def _break(instance_id: int) -> None:
    """Stored state that no longer loads (a truncated write, a hand edit): the engine cannot even start."""
    db.session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .values(state='{"serializer_version": "1.5", "tasks": {')
    )
    db.session.commit()


def _tick(app: Flask, instant: str) -> str:
    result = app.test_cli_runner().invoke(args=["mappa", "tick", "--now", instant])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def _incident_events(case_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id, CaseEvent.kind == "incident_raised")
        )
        or 0
    )


def test_broken_instance_becomes_an_incident_and_the_others_fire(app: Flask, api: Api) -> None:
    broken_case, good_case = _open_case(api), _open_case(api)
    broken = _agree_action(api, broken_case, TODAY + timedelta(days=1))  # due first: the sweep meets it first
    good = [_agree_action(api, good_case, TODAY + timedelta(days=2 + n)) for n in range(3)]
    _break(broken)

    output = _tick(app, "2026-12-10T10:00:00+00:00")

    assert "Timers fired: 3" in output and "incidents raised: 1" in output, output
    db.session.expire_all()
    row = db.session.get(ProcessInstance, broken)
    assert row is not None and row.status == "error" and row.error and "JSONDecodeError" in row.error
    assert all(db.session.get(ProcessInstance, i).next_timer_at is None for i in good)  # their timers fired
    chases = [
        t
        for t in api.get("coordinator", f"/api/v1/tasks?case={good_case}").get_json()["tasks"]
        if t["name"] == "Chase overdue action"
    ]
    assert len(chases) == 3
    history = api.get("coordinator", f"/api/v1/cases/{broken_case}/history").get_json()["events"]
    raised = [e for e in history if e["kind"] == "incident_raised"]
    assert len(raised) == 1 and "JSONDecodeError" in raised[0]["detail"]["error"], raised

    web = app.test_client()
    sign_in(web, "owner")
    page = web.get("/admin/incidents")
    check_page(page)
    reference = api.get("coordinator", f"/api/v1/cases/{broken_case}").get_json()["reference"]
    assert reference in page.get_data(as_text=True) and "JSONDecodeError" in page.get_data(as_text=True)

    # in error until the process owner retries it: later sweeps leave it alone
    assert "incidents raised: 0" in _tick(app, "2026-12-11T10:00:00+00:00")
    assert _incident_events(broken_case) == 1

    retried = web.post(f"/admin/incidents/{broken}/retry", data={"csrf_token": csrf_token(web, "/admin/incidents")})
    assert retried.status_code == 302
    db.session.expire_all()
    assert db.session.get(ProcessInstance, broken).status == "error"  # still unloadable: the incident stays open
    assert "The step failed again" in web.get("/admin/incidents").get_data(as_text=True)


def test_sweep_with_one_broken_and_fifty_due_instances(app: Flask, api: Api) -> None:
    """The measurement in the issue: 1 broken + 50 due instances, all 50 fire in one sweep, 1 incident."""
    case_ids = [_open_case(api) for _ in range(5)]
    broken = _agree_action(api, case_ids[0], TODAY + timedelta(days=1))
    for n in range(50):
        _agree_action(api, case_ids[n % 5], TODAY + timedelta(days=2 + n % 7))
    _break(broken)

    started = time.perf_counter()
    report = sweep(TEST_NOW + timedelta(days=30))
    elapsed = time.perf_counter() - started

    assert (report.timers_fired, report.incidents_raised) == (50, 1), report.errors
    print(
        f"\nsweep of 1 broken + 50 due instances: {elapsed * 1000:.0f} ms, {report.timers_fired} fired, "
        f"{report.incidents_raised} incident"
    )
    db.session.expire_all()
    statuses = dict(
        db.session.execute(
            select(ProcessInstance.status, func.count())
            .where(ProcessInstance.phase == "action")
            .group_by(ProcessInstance.status)
        ).all()
    )
    assert statuses == {"running": 50, "error": 1}


def test_a_timer_due_at_the_sweeps_instant_is_left_alone_and_fires_once_time_has_passed_it(
    app: Flask, api: Api
) -> None:
    """SpiffWorkflow fires a timer once the clock is past its instant (strictly), so the sweep finds due timers the
    same way: an instance due exactly now is not loaded and rewritten for nothing (its version would move and a
    colleague's completion racing it would be refused)."""
    instance_id = _agree_action(api, _open_case(api), TODAY + timedelta(days=3))
    db.session.commit()
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance is not None and instance.next_timer_at is not None
    due_at, version = instance.next_timer_at, instance.version
    db.session.commit()

    report = sweep(due_at)
    assert report.timers_fired == 0
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance_id).version == version  # type: ignore[union-attr]

    report = sweep(due_at + timedelta(seconds=1))
    assert report.timers_fired == 1
