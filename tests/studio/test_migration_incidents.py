"""An instance stopped by an incident on a broken version is moved to the fixed version, and the process owner's
Retry then runs the failed step there and closes the incident."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from services.db import db
from services.models import HumanTask, ProcessInstance
from tests.api.conftest import Api, referral
from tests.factories import csrf_token, sign_in
from tests.studio.versions import publish_version, shipped_files

ACTION = "mappa_action"
AGREED = {"description": "Joint home visit", "owner_role": "police", "due": "2027-01-20"}
SCRIPT = """    <bpmn:scriptTask id="check_action" name="Check the action">
      <bpmn:incoming>f_start</bpmn:incoming>
      <bpmn:outgoing>f_checked</bpmn:outgoing>
      <bpmn:script>rv_value = {expression}</bpmn:script>
    </bpmn:scriptTask>
"""


def _action_version(*edits: tuple[str, str]) -> int:
    files = shipped_files(ACTION)
    xml = files["action.bpmn"].decode()
    for old, new in edits:
        assert old in xml, old
        xml = xml.replace(old, new)
    return publish_version({"action.bpmn": xml.encode()}, ACTION).version


def _with_script(expression: str) -> int:
    """A script task 'Check the action' before 'Complete agreed action'."""
    return _action_version(
        ("<bpmn:flowNodeRef>complete_action</bpmn:flowNodeRef>",
         "<bpmn:flowNodeRef>check_action</bpmn:flowNodeRef>\n        "
         "<bpmn:flowNodeRef>complete_action</bpmn:flowNodeRef>"),
        ('    <bpmn:userTask id="complete_action"', SCRIPT.format(expression=expression)
         + '    <bpmn:userTask id="complete_action"'),
        ("<bpmn:incoming>f_start</bpmn:incoming>\n      <bpmn:outgoing>f_done</bpmn:outgoing>",
         "<bpmn:incoming>f_checked</bpmn:incoming>\n      <bpmn:outgoing>f_done</bpmn:outgoing>"),
        ('<bpmn:sequenceFlow id="f_start" sourceRef="action_agreed" targetRef="complete_action" />',
         '<bpmn:sequenceFlow id="f_start" sourceRef="action_agreed" targetRef="check_action" />\n    '
         '<bpmn:sequenceFlow id="f_checked" sourceRef="check_action" targetRef="complete_action" />'),
    )


def _agree(api: Api) -> ProcessInstance:
    response = api.post("probation", "/api/v1/cases", json=referral())
    assert response.status_code == 201, response.get_data(as_text=True)
    case_id = response.get_json()["id"]
    agreed = api.post("coordinator", f"/api/v1/cases/{case_id}/actions", json=AGREED)
    assert agreed.status_code == 201, agreed.get_data(as_text=True)
    return _instance(case_id)


def _instance(case_id: int) -> ProcessInstance:
    db.session.expire_all()
    return db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id,
                                                            ProcessInstance.phase == "action")).one()


def _migrate(api: Api, frm: int, to: int, **body: Any) -> list[dict[str, Any]]:
    response = api.post("owner", "/api/v1/instances/migrate", json={"model": ACTION, "from": frm, "to": to} | body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(response.get_json()["plan"])


def _retry(app: Flask, instance_id: int) -> str:
    web = app.test_client()
    sign_in(web, "owner")
    response = web.post(f"/admin/incidents/{instance_id}/retry",
                        data={"csrf_token": csrf_token(web, "/admin/incidents")})
    assert response.status_code == 302
    return web.get("/admin/incidents").get_data(as_text=True)


def _action_task(instance: ProcessInstance) -> HumanTask:
    return db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                      HumanTask.state == "ready")).one()


def test_an_instance_in_error_moves_to_the_fixed_version_and_retry_runs_it_there(app: Flask, api: Api) -> None:
    broken = _with_script("1 // 0")
    instance = _agree(api)
    assert instance.status == "error" and instance.error and "ZeroDivisionError" in instance.error
    fixed = _with_script("1 // 1")

    preview = _migrate(api, broken, fixed, dry_run=True)
    assert [(p["instance"], p["ok"]) for p in preview] == [(instance.id, True)]
    [plan] = _migrate(api, broken, fixed, dry_run=False, instance=instance.id)
    assert plan["ok"], plan

    moved = _instance(instance.case_id)
    assert (moved.model.version, moved.status) == (fixed, "error")  # moved, and waiting for the owner's retry
    assert "ZeroDivisionError" in (moved.error or "")
    assert _migrate(api, broken, fixed, dry_run=True) == []  # nothing left on the broken version

    page = _retry(app, instance.id)

    retried = _instance(instance.case_id)
    assert (retried.model.version, retried.status, retried.error) == (fixed, "running", None)
    assert "ZeroDivisionError" not in page
    task = _action_task(retried)
    assert (task.name, task.role, task.due_date.isoformat()) == ("Complete agreed action", "police", AGREED["due"])


def test_an_action_with_a_broken_overdue_timer_is_fixed_by_moving_it_and_retrying(app: Flask, api: Api) -> None:
    timer = "start_of_day(add_days(action_due, 1))"
    broken = _action_version((timer, "action_due + 'garbage'"))
    instance = _agree(api)
    assert instance.status == "error" and instance.next_timer_at is None
    fixed = _action_version((timer, "start_of_day(add_days(action_due, 2))"))

    _migrate(api, broken, fixed, dry_run=False, instance=instance.id)
    _retry(app, instance.id)

    retried = _instance(instance.case_id)
    assert (retried.model.version, retried.status, retried.error) == (fixed, "running", None)
    assert retried.next_timer_at is not None and retried.next_timer_at.date().isoformat() == "2027-01-22"
    assert _action_task(retried).name == "Complete agreed action"


def test_a_task_whose_due_date_failed_gets_it_on_the_fixed_version(app: Flask, api: Api) -> None:
    rule = 'name="dueExpression" value="action_due"'
    broken = _action_version((rule, 'name="dueExpression" value="action_due + 1"'))
    instance = _agree(api)
    assert instance.status == "error" and _action_task(instance).due_date is None
    fixed = _action_version((rule, 'name="dueExpression" value="add_days(action_due, 0)"'))

    _migrate(api, broken, fixed, dry_run=False, instance=instance.id)
    _retry(app, instance.id)

    retried = _instance(instance.case_id)
    assert (retried.model.version, retried.status, retried.error) == (fixed, "running", None)
    assert _action_task(retried).due_date.isoformat() == AGREED["due"]
