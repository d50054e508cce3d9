from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import create_case, csrf_token, ready_task, seeded, sign_in


def test_referral_lands_in_the_coordinators_inbox_not_southmoors(app, client: FlaskClient) -> None:
    users = seeded()
    sign_in(client, "probation")
    token = csrf_token(client, "/referrals/new")
    response = client.post("/referrals/new", data={
        "csrf_token": token, "offender_name": "John Smith", "category": "1", "lead_agency": "Probation",
        "level_requested": "2", "custody": "false", "rosh": "high", "referral_reason": "Risk to ex-partner",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    case_url = response.headers["Location"]
    page = client.get(case_url)
    assert page.status_code == 200
    assert "Check referral is complete" in page.get_data(as_text=True)

    other = app.test_client()
    sign_in(other, "coordinator")
    inbox = other.get("/tasks").get_data(as_text=True)
    assert "Check referral is complete" in inbox and "John Smith" in inbox

    south = app.test_client()
    sign_in(south, "south_coordinator")
    assert "John Smith" not in south.get("/tasks").get_data(as_text=True)
    assert south.get(case_url).status_code == 404
    del users


def test_task_form_validation_then_completion(app, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["probation"])
    task = ready_task(case.id, "check_referral")
    sign_in(client, "coordinator")
    url = f"/tasks/{task.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Is the referral complete enough to screen?" in page
    token = csrf_token(client, url)
    bad = client.post(url, data={"csrf_token": token, "referral_complete": "no"})
    body = bad.get_data(as_text=True)
    assert "There is a problem" in body and "Enter what is missing" in body
    good = client.post(url, data={"csrf_token": token, "referral_complete": "yes"})
    assert good.status_code == 302
    assert ready_task(case.id, "screening_decision").role == "coordinator"
