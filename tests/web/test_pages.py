"""Every page, as each kind of user sees it, passes the house checks in tests/pages.py (STYLE.md item 8)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import EnvironBuilder, TestResponse
from werkzeug.wrappers import Request

from services.db import db
from services.models import ProcessInstance
from services.tasks import claim, complete
from tests.factories import create_case, csrf_token, ready_task, seeded, sign_in
from tests.pages import check_page, get_page

# (path, status) per user; {names} are filled from _world()
PAGES: dict[str, list[tuple[str, int]]] = {
    "coordinator": [
        ("/tasks", 200),
        ("/tasks?case={fresh}&due=overdue&sort=-due", 200),
        ("/tasks/{claimed}", 200),
        ("/tasks/{checked}", 200),
        ("/tasks/{visor}", 200),
        ("/cases", 200),
        ("/cases?status=referred", 200),
        ("/cases/{returned}", 200),
        ("/cases/{broken}", 200),
        ("/referrals/new", 200),
        ("/account/tokens", 200),
        ("/admin/incidents", 200),
        ("/cases/999999", 404),
        ("/tasks/999999", 404),
        ("/no-such-page", 404),
    ],
    "probation": [
        ("/tasks", 200),
        ("/tasks/{amend}", 200),
        ("/tasks/{checked}", 200),
        ("/cases", 200),
        ("/cases/{returned}", 200),
        ("/referrals/new", 200),
        ("/account/tokens", 200),
        ("/admin/incidents", 403),
    ],
    "owner": [("/account/tokens", 200), ("/admin/incidents", 200), ("/tasks", 403), ("/cases", 403)],
    "manager": [
        ("/cases", 200),
        ("/cases/{returned}", 200),
        ("/account/tokens", 200),
        ("/tasks", 200),  # managers endorse Level 1 reviews
        ("/referrals/new", 403),
    ],
    "south_coordinator": [("/tasks", 200), ("/cases", 200), ("/cases/{returned}", 404), ("/tasks/{checked}", 404)],
}


def _world() -> dict[str, int]:
    """A returned referral, a claimed task, and a case whose process stopped with an error."""
    users = seeded()
    returned = create_case(users["probation"], offender_name="Rita Returned")
    checked = complete(
        users["coordinator"],
        ready_task(returned.id, "check_referral").id,
        {"referral_complete": "no", "missing_information": "Current address"},
    )
    fresh = create_case(users["probation"], offender_name="Fred Fresh")
    claimed = claim(users["coordinator"], ready_task(fresh.id, "check_referral").id)
    screened = create_case(users["probation"], offender_name="Sid Screened")
    complete(users["coordinator"], ready_task(screened.id, "check_referral").id, {"referral_complete": "yes"})
    complete(users["coordinator"], ready_task(screened.id, "screening_decision").id, {
        "screening_outcome": "accepted_level_2", "screening_rationale": "r", "first_review_due": "2026-12-18"})
    broken = create_case(users["police"], offender_name="Bert Broken", lead_agency="Police")
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == broken.id)).one()
    instance.status, instance.error = "error", "Script error in 'Record screening outcome': name 'open' is not defined"
    ids = {
        "returned": returned.id,
        "checked": checked.id,
        "fresh": fresh.id,
        "claimed": claimed.id,
        "broken": broken.id,
        "amend": ready_task(returned.id, "amend_referral").id,
        "visor": ready_task(screened.id, "visor_record").id,
    }
    db.session.commit()
    return ids


@pytest.mark.parametrize("username", sorted(PAGES))
def test_every_page_a_user_can_reach(app: Flask, client: FlaskClient, username: str) -> None:
    ids = _world()
    sign_in(client, username)
    failures = []
    for path, status in PAGES[username]:
        try:
            get_page(client, path.format(**ids), status)
        except AssertionError as problem:
            failures.append(str(problem))
    assert not failures, "\n".join(failures)


def test_pages_after_a_form_post(app: Flask, client: FlaskClient) -> None:
    """Pages re-shown with an error summary, and the token page showing a new token and a revoke form."""
    ids = _world()
    check_page(client.post("/sign-in", data={"csrf_token": csrf_token(client), "username": "", "password": ""}))
    sign_in(client, "coordinator")
    task_url = f"/tasks/{ids['claimed']}"
    invalid = client.post(task_url, data={"csrf_token": csrf_token(client, task_url), "referral_complete": "no"})
    assert "There is a problem" in invalid.get_data(as_text=True)
    check_page(invalid)
    referral = client.post(
        "/referrals/new",
        data={
            "csrf_token": csrf_token(client, "/referrals/new"),
            "date_of_birth-day": "31",
            "date_of_birth-month": "2",
        },
    )
    assert "There is a problem" in referral.get_data(as_text=True)
    check_page(referral)
    token = csrf_token(client, "/account/tokens")
    check_page(client.post("/account/tokens", data={"csrf_token": token, "name": ""}))
    created = check_page(client.post("/account/tokens", data={"csrf_token": token, "name": "Case system"}))
    assert created.get_element_by_id("new-token").text


def test_anonymous_pages(app: Flask, client: FlaskClient) -> None:
    get_page(client, "/sign-in")
    get_page(client, "/sign-in?next=/cases")
    get_page(client, "/no-such-page", 404)
    assert client.get("/tasks").status_code == 302


def _html_response(html: str) -> TestResponse:
    request = Request(EnvironBuilder(path="/broken").get_environ())
    return TestResponse(
        html,
        200,
        {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": "script-src 'self' 'nonce-good'"},
        request,
    )


def test_check_page_reports_what_is_wrong() -> None:
    broken = """<!DOCTYPE html><html><head><title>Other - MAPPA Flow</title></head><body>
      <div>OFFICIAL-SENSITIVE</div><h1>Cases</h1><h1>Again</h1><p id="x"></p><p id="x"></p>
      <form method="post"><input name="q"></form><script nonce="bad">1</script></body></html>"""
    with pytest.raises(AssertionError) as caught:
        check_page(_html_response(broken))
    report = str(caught.value)
    for problem in (
        "exactly one <h1>",
        "POST form 1 has no action",
        "POST form 1 (action None) has no csrf_token",
        "id 'x' is used 2 times",
        "has nonce 'bad'",
        "no OFFICIAL-SENSITIVE banner at the bottom",
    ):
        assert problem in report
    assert "banner at the top" not in report

    mistitled = "<html><head><title>MAPPA Flow</title></head><body><h1>Cases</h1></body></html>"
    with pytest.raises(AssertionError, match="does not start with the <h1> 'Cases'"):
        check_page(_html_response(mistitled))
