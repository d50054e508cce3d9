"""Every failure inside the engine, or in working out a step's due date or next phase, is an incident the process
owner sees under /admin/incidents and can retry: never a 500, never only a line in the case history."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from services.catalogue import BPMN_DIR, publish
from services.db import db
from services.models import HumanTask, ProcessInstance
from tests.api.conftest import Api
from tests.factories import sign_in
from tests.lifecycle.test_lifecycle_api import identify
from tests.pages import check_page
from tests.platform.test_routing_incidents import _open_case, _tasks

ACTION = {"description": "Joint home visit", "owner_role": "police", "due": "2027-01-20"}
TIMER = "start_of_day(add_days(action_due, 1))"


def _publish_action(old: str, new: str) -> None:
    original = (BPMN_DIR / "action.bpmn").read_text()
    assert old in original
    assert publish("mappa_action", "Agreed action", {"action.bpmn": original.replace(old, new).encode()},
                   actor="owner") is not None
    db.session.commit()


def _action_instance(case_id: int) -> ProcessInstance:
    db.session.expire_all()
    return db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id,
                                                            ProcessInstance.phase == "action")).one()


def _incidents_page(app: Flask, username: str = "owner") -> str:
    web = app.test_client()
    sign_in(web, username)
    page = web.get("/admin/incidents")
    check_page(page)
    return page.get_data(as_text=True)


def test_a_timer_giving_a_bad_date_is_an_incident_naming_the_timer_not_a_500(app: Flask, api: Api) -> None:
    _publish_action(TIMER, "action_due + 'garbage'")
    case_id = _open_case(api)

    response = api.post("coordinator", f"/api/v1/cases/{case_id}/actions", json=ACTION)

    assert response.status_code == 201, response.get_data(as_text=True)
    instance = _action_instance(case_id)
    assert instance.status == "error"
    assert instance.error and "2027-01-20garbage" in instance.error and "Action overdue" in instance.error
    # the action itself still reaches its owner: only its overdue escalation is broken
    [task] = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).all()
    assert (task.name, task.role, task.state, task.due_date.isoformat()) == (
        "Complete agreed action", "police", "ready", ACTION["due"])
    history = api.get("coordinator", f"/api/v1/cases/{case_id}/history").get_json()["events"]
    assert any(e["kind"] == "incident_raised" and "2027-01-20garbage" in e["detail"]["error"] for e in history)
    page = _incidents_page(app)
    assert "2027-01-20garbage" in page and "Action overdue" in page


def test_a_due_date_that_cannot_be_worked_out_is_listed_as_an_incident_and_the_task_still_goes_out(
    app: Flask, api: Api
) -> None:
    _publish_action('name="dueExpression" value="action_due"', 'name="dueExpression" value="action_due + 1"')
    case_id = _open_case(api)

    response = api.post("coordinator", f"/api/v1/cases/{case_id}/actions", json=ACTION)

    assert response.status_code == 201, response.get_data(as_text=True)
    instance = _action_instance(case_id)
    assert instance.status == "error"
    assert instance.error and "action_due + 1" in instance.error and "Complete agreed action" in instance.error
    [task] = [t for t in _tasks(api, "police", case_id) if t["name"] == "Complete agreed action"]
    assert task["due"] is None  # reachable by its owner; the incident says why it has no due date
    history = api.get("coordinator", f"/api/v1/cases/{case_id}/history").get_json()["events"]
    assert [e["summary"] for e in history if e["kind"] == "incident_raised"] == [
        "Process error in Complete agreed action"]
    page = _incidents_page(app)
    assert "action_due + 1" in page and "Complete agreed action" in page


def test_a_step_asking_for_an_unknown_phase_is_listed_as_an_incident(app: Flask, api: Api) -> None:
    original = (BPMN_DIR / "identification.bpmn").read_text()
    old = 'add_months(today(), level1_review_months)\n        start_phase = "review"'
    assert old in original
    assert publish("mappa_identification", "Identification and notification",
                   {"identification.bpmn": original.replace(old, old.replace('"review"', '"reviw"')).encode()},
                   actor="owner") is not None
    db.session.commit()
    j = identify(app, api, notification_end="2027-09-30")

    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 1,
                                                    "eligibility_facts": "SOA 2003 notification, 3 years."})

    db.session.expire_all()
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == j.case_id,
                                                                ProcessInstance.phase == "identification")).one()
    assert instance.status == "error"
    assert instance.error and "unknown phase 'reviw'" in instance.error and "Record identification" in instance.error
    assert "Create or link ViSOR record" in j.names("police")  # the identification's own work goes on
    page = _incidents_page(app)
    assert "unknown phase" in page and "Record identification" in page
