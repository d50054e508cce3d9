"""Every failure inside the engine, or in working out a step's due date or next phase, is an incident the process
owner sees under /admin/incidents and can retry: never a 500, never only a line in the case history."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from services.catalogue import BPMN_DIR, publish
from services.db import db
from services.models import HumanTask, ProcessInstance
from tests.api.conftest import Api, referral
from tests.factories import sign_in
from tests.pages import check_page

ACTION = {"description": "Joint home visit", "owner_role": "police", "due": "2027-01-20"}
TIMER = "start_of_day(add_days(action_due, 1))"


def _publish_action(old: str, new: str) -> None:
    original = (BPMN_DIR / "action.bpmn").read_text()
    assert old in original
    assert publish("mappa_action", "Agreed action", {"action.bpmn": original.replace(old, new).encode()},
                   actor="owner") is not None
    db.session.commit()


def _open_case(api: Api) -> int:
    response = api.post("probation", "/api/v1/cases", json=referral())
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(response.get_json()["id"])


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
