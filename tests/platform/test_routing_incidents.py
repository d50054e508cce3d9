"""A task's role and assignee come from the model: an expression that fails is an incident, never a silent fall back
to the lane's people; an assignee who does not hold the task's role is not given the task."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from services.catalogue import BPMN_DIR, publish
from services.db import db
from services.models import HumanTask, ProcessInstance
from tests.api.conftest import Api, referral
from tests.factories import sign_in
from tests.pages import check_page


def _publish(process_id: str, name: str, filename: str, old: str, new: str, *extra: str) -> None:
    original = (BPMN_DIR / filename).read_text()
    assert old in original
    files = {filename: original.replace(old, new).encode(), **{f: (BPMN_DIR / f).read_bytes() for f in extra}}
    assert publish(process_id, name, files, actor="owner") is not None
    db.session.commit()


def _open_case(api: Api) -> int:
    response = api.post("probation", "/api/v1/cases", json=referral())
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(response.get_json()["id"])


def _tasks(api: Api, username: str, case_id: int) -> list[dict]:
    response = api.get(username, f"/api/v1/tasks?case={case_id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(response.get_json()["tasks"])


def test_mistyped_role_expression_raises_an_incident_instead_of_routing_to_the_lane(app: Flask, api: Api) -> None:
    _publish("mappa_action", "Agreed action", "action.bpmn", 'value="owner_role"', 'value="owner_rol"')
    case_id = _open_case(api)

    response = api.post(
        "coordinator",
        f"/api/v1/cases/{case_id}/actions",
        json={"description": "Joint home visit", "owner_role": "police", "due": "2026-12-09"},
    )

    assert response.status_code == 201, response.get_data(as_text=True)
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.phase == "action")).one()
    assert instance.status == "error"
    assert instance.error and "owner_rol" in instance.error and "Complete agreed action" in instance.error
    assert not db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).all()
    for username in ("probation", "police"):  # neither the lane's role nor the intended one got a task
        assert all(t["name"] != "Complete agreed action" for t in _tasks(api, username, case_id))
    history = api.get("coordinator", f"/api/v1/cases/{case_id}/history").get_json()["events"]
    assert any(e["kind"] == "incident_raised" and "owner_rol" in e["detail"]["error"] for e in history)
    web = app.test_client()
    sign_in(web, "owner")
    page = web.get("/admin/incidents")
    check_page(page)
    assert "owner_rol" in page.get_data(as_text=True)


def test_role_expression_giving_an_unknown_role_raises_an_incident(app: Flask, api: Api) -> None:
    _publish("mappa_action", "Agreed action", "action.bpmn", 'value="owner_role"', "value=\"'constable'\"")
    case_id = _open_case(api)

    api.post(
        "coordinator",
        f"/api/v1/cases/{case_id}/actions",
        json={"description": "Joint home visit", "owner_role": "police", "due": "2026-12-09"},
    )

    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.phase == "action")).one()
    assert instance.status == "error" and instance.error and "'constable'" in instance.error
    assert all(t["name"] != "Complete agreed action" for t in _tasks(api, "probation", case_id))


def test_assignee_without_the_lanes_role_is_not_given_the_task(app: Flask, api: Api) -> None:
    # the returned referral goes to the referrer lane; this version names the chair (not a referrer) as assignee
    _publish(
        "mappa_referral",
        "Referral and screening",
        "referral.bpmn",
        '<spiffworkflow:property name="assigneeExpression" value="referrer" />',
        '<spiffworkflow:property name="assigneeExpression" value="\'chair\'" />',
        "level_suggestion.dmn",
    )
    case_id = _open_case(api)
    check = next(t for t in _tasks(api, "coordinator", case_id) if t["name"] == "Check referral is complete")
    done = api.post(
        "coordinator",
        f"/api/v1/tasks/{check['id']}/complete",
        json={"data": {"referral_complete": "no", "missing_information": "Section 6 is empty."}},
    )
    assert done.status_code == 200, done.get_data(as_text=True)

    amend = [t for t in _tasks(api, "probation", case_id) if t["name"] == "Amend referral"]
    assert len(amend) == 1 and amend[0]["assignee"] is None and amend[0]["role"] == "referrer", amend
    history = api.get("coordinator", f"/api/v1/cases/{case_id}/history").get_json()["events"]
    refused = [e for e in history if e["kind"] == "task_assignment_refused"]
    assert len(refused) == 1 and "chair" in refused[0]["summary"] and "referrer role" in refused[0]["summary"]
    instance = db.session.get(
        ProcessInstance, db.session.scalars(select(HumanTask.instance_id).where(HumanTask.id == amend[0]["id"])).one()
    )
    assert instance is not None and instance.status == "running"
