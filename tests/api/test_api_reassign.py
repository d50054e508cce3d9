"""Handing a task to a named person: the holder delegates, a coordinator or manager reassigns; logged."""

from __future__ import annotations

from flask.testing import FlaskClient

from services.db import db
from services.tasks import complete
from tests.api.conftest import Api, error_message, fields
from tests.factories import create_case, csrf_token, make_user, ready_task, sign_in


def test_coordinator_reassigns_and_the_history_says_so(api: Api) -> None:
    area = api.users["coordinator"].area
    api.users["coordinator2"] = make_user("coordinator2", {"coordinator"}, area, display_name="Colin Second")
    case = create_case(api.users["probation"])
    task_id = ready_task(case.id, "check_referral").id
    assert fields(api.post("coordinator", f"/api/v1/tasks/{task_id}/reassign", json={"assignee": "police"})) == [
        "assignee"]  # police do not work as MAPPA coordinator
    moved = api.post("coordinator", f"/api/v1/tasks/{task_id}/reassign",
                     json={"assignee": "coordinator2", "reason": "Annual leave"})
    assert moved.status_code == 200 and moved.get_json()["assignee"] == "coordinator2"
    assert [t["id"] for t in api.get("coordinator2", "/api/v1/tasks").get_json()["tasks"]] == [task_id]
    assert api.get("coordinator", "/api/v1/tasks").get_json()["tasks"] == []
    events = api.get("coordinator", f"/api/v1/cases/{case.id}/history").get_json()["events"]
    assert any(e["kind"] == "task_reassigned" and "Annual leave" in e["summary"] for e in events)


def test_only_the_holder_or_a_supervisor_hands_a_task_on(api: Api) -> None:
    case = create_case(api.users["probation"])
    complete(api.users["coordinator"], ready_task(case.id, "check_referral").id, {"referral_complete": "yes"})
    complete(api.users["coordinator"], ready_task(case.id, "screening_decision").id, {
        "screening_outcome": "accepted_level_2", "screening_rationale": "r", "first_review_due": "2026-12-18"})
    db.session.commit()
    visor = ready_task(case.id, "visor_record").id
    message = error_message(api.post("police", f"/api/v1/tasks/{visor}/reassign", json={"assignee": "police"}), 403)
    assert "holding" in message
    api.post("police", f"/api/v1/tasks/{visor}/claim")
    assert api.post("police", f"/api/v1/tasks/{visor}/reassign", json={"assignee": "police"}).status_code == 200


def test_hand_on_through_the_task_page(app, api: Api, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    make_user("coordinator2", {"coordinator"}, api.users["coordinator"].area, display_name="Colin Second")
    case = create_case(api.users["probation"])
    task_id = ready_task(case.id, "check_referral").id
    sign_in(client, "coordinator")
    url = f"/tasks/{task_id}"
    assert "Hand this task to someone else" in client.get(url).get_data(as_text=True)
    bad = client.post(f"{url}/reassign", data={"csrf_token": csrf_token(client, url), "assignee": ""})
    assert bad.status_code == 422 and "Choose someone in this area" in bad.get_data(as_text=True)
    done = client.post(f"{url}/reassign", data={"csrf_token": csrf_token(client, url), "assignee": "coordinator2"})
    assert done.status_code == 302
    assert ready_task(case.id, "check_referral").assignee.username == "coordinator2"
