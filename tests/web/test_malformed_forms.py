"""Out-of-range dates and malformed JSON on the pages: a GOV.UK error summary (or a 422 JSON answer for the
minutes' save-as-you-type), never a 500 (issue 9, hole 12). Year 9999 and year 1 overflowed date arithmetic."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services import meetings
from services.db import db
from services.models import HumanTask, MappaCase
from tests.api.test_api_lifecycle_actions import in_review_period
from tests.factories import create_case, csrf_token, ready_task, seeded, sign_in
from tests.meetings.test_meeting_cycle import MEETING_AT
from tests.pages import check_page
from tests.web.test_case_actions_ui import post, summary_links
from tests.web.test_meetings_ui import a_meeting_with_agenda

RANGE = "between 1900 and 2199"


def _date(name: str, year: str, month: str = "12", day: str = "31") -> dict[str, str]:
    return {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}


def test_referral_page_refuses_dates_out_of_range(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "probation")
    for year in ("9999", "0001", "1899"):
        response = post(client, "/referrals/new", {"offender_name": "John Smith", **_date("date_of_birth", year),
                                                   "category": "1", "lead_agency": "Probation", "custody": "false",
                                                   "rosh": "high", "referral_reason": "Escalating."})
        assert response.status_code in (200, 422), year  # these pages re-show the form with the summary
        assert summary_links(check_page(response))["#field-date_of_birth"] == f"Date of birth must be a date {RANGE}"


def _screening_task(client: FlaskClient) -> tuple[int, int]:
    """A referral checked, its screening decision open, and the coordinator signed in: the case and the decision's
    task."""
    from services.tasks import complete

    users = seeded()
    case = create_case(users["probation"])
    complete(users["coordinator"], ready_task(case.id, "check_referral").id, {"referral_complete": "yes"})
    db.session.commit()
    sign_in(client, "coordinator")
    return case.id, ready_task(case.id, "screening_decision").id


def test_task_form_refuses_a_date_in_year_9999(app: Flask, client: FlaskClient) -> None:
    _case_id, task_id = _screening_task(client)
    response = post(client, f"/tasks/{task_id}", {"screening_outcome": "accepted_level_2",
                                                  "screening_rationale": "Defensible.",
                                                  **_date("first_review_due", "9999")})
    assert response.status_code in (200, 422)
    assert summary_links(check_page(response)) == {
        "#field-first_review_due": f"First meeting or review due by must be a date {RANGE}"}


def test_case_action_forms_refuse_year_one_and_year_9999(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users, custody=True, release_date="2027-06-01")
    sign_in(client, "coordinator")
    release = post(client, f"/cases/{case_id}/release-date", {**_date("release_date", "0001", "1", "1"),
                                                               "reason": "Parole"})
    assert release.status_code in (200, 422)
    assert summary_links(check_page(release)) == {
        "#field-release_date": f"New earliest release date must be a date {RANGE}"}
    action = post(client, f"/cases/{case_id}/actions/new", {"description": "Visit", "owner_role": "police",
                                                             **_date("due", "9999")})
    assert action.status_code in (200, 422)
    assert summary_links(check_page(action)) == {"#field-due": f"Action due date must be a date {RANGE}"}


def test_meeting_form_refuses_year_9999(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "administrator")
    response = post(client, "/meetings/new", {"level": "2", **_date("starts_at", "9999"), "time": "23:00",
                                              "duration_minutes": "120", "chair": "chair", "venue": "HQ"})
    assert response.status_code == 422
    assert summary_links(check_page(response)) == {
        "#field-starts_at": f"Enter the meeting date as a real date {RANGE}"}


def test_minutes_refuse_year_9999_and_malformed_json(app: Flask, client: FlaskClient) -> None:
    meeting_id, case_ids = a_meeting_with_agenda()
    sign_in(client, "administrator")
    path = f"/meetings/{meeting_id}/minutes/{case_ids[0]}"
    page = check_page(client.get(path))
    token = csrf_token(client, path)
    form = {"etag": page.get_element_by_id("minutes-etag").get("value"), "summary": "Discussed.",
            **_date("next_review_date", "9999")}
    response = post(client, path, form)
    assert response.status_code == 422
    assert summary_links(check_page(response)) == {
        "#field-next_review_date": f"Next review date must be a real date {RANGE}"}

    headers = {"X-CSRFToken": token, "If-Match": '"m1v0"'}
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"sections": {"summary": "a\\u0000b"}}',
                 b'{"sections": {"summary": "\xff"}}', b"[1]"):
        response = client.put(f"{path}/sections", data=body, content_type="application/json", headers=headers)
        assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "sections", body[:20]
    far = client.put(f"{path}/sections", json={"sections": {"next_review_date": "9999-12-31"}}, headers=headers)
    assert far.status_code == 422
    assert far.get_json()["errors"] == [{"field": "sections.next_review_date",
                                         "message": f"Next review date must be a real date {RANGE}"}]


def test_service_refuses_a_meeting_after_2199(app: Flask) -> None:
    users = seeded()
    from services.errors import ValidationFailed

    try:
        meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT.replace(year=9999, month=12, day=31,
                                                                                         hour=23), chair="chair",
                          venue="HQ")
    except ValidationFailed as failed:
        assert [e.field for e in failed.errors] == ["starts_at"]
    else:
        raise AssertionError("a meeting in 9999 was scheduled")


def test_nul_characters_in_query_strings_and_forms_are_a_400(app: Flask, client: FlaskClient) -> None:
    """PostgreSQL text cannot hold NUL: /tasks?step=a%00b was a 500 there."""
    users = seeded()
    case_id = in_review_period(users)
    sign_in(client, "coordinator")
    for path in ("/tasks?step=a%00b", "/cases?status=%00", "/tasks?due=overdue&a%00=1"):
        response = client.get(path)
        assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True), path
    response = post(client, f"/cases/{case_id}/early-review", {"reason": "new_risk", "detail": "Seen\x00twice"})
    assert response.status_code == 400 and "NUL character" in check_page(response).text_content()
    api = client.get("/api/v1/tasks?step=%00", headers={"Authorization": "Bearer nope"})
    assert api.status_code == 400 and api.get_json()["error"]["status"] == 400


TOO_MANY_DIGITS = "9" * 25


def test_date_parts_with_too_many_digits_are_not_a_real_date(app: Flask, client: FlaskClient) -> None:
    """A year (or month, or day) too long for a date overflowed (OverflowError, a 500) on every task form date."""
    case_id, task_id = _screening_task(client)
    for parts in (_date("first_review_due", TOO_MANY_DIGITS), _date("first_review_due", "2026", TOO_MANY_DIGITS),
                  _date("first_review_due", "2026", "12", TOO_MANY_DIGITS)):
        response = post(client, f"/tasks/{task_id}", {"screening_outcome": "accepted_level_2",
                                                      "screening_rationale": "Defensible.", **parts})
        assert summary_links(check_page(response)) == {
            "#field-first_review_due": "First meeting or review due by must be a real date"}
    assert ready_task(case_id, "screening_decision").id == task_id


def test_referral_and_action_pages_refuse_a_year_with_too_many_digits(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users)
    sign_in(client, "probation")
    answers = {"offender_name": "Jane Doe", "category": "1", "lead_agency": "Probation", "custody": "false",
               "level_requested": "2", "rosh": "high", "referral_reason": "Escalating."}
    referral = post(client, "/referrals/new", answers | _date("date_of_birth", TOO_MANY_DIGITS))
    assert summary_links(check_page(referral)) == {"#field-date_of_birth": "Date of birth must be a real date"}
    assert db.session.scalar(select(func.count(MappaCase.id))) == 1
    sign_in(client, "coordinator")
    action = post(client, f"/cases/{case_id}/actions/new", {"description": "Visit", "owner_role": "police",
                                                             **_date("due", TOO_MANY_DIGITS)})
    assert summary_links(check_page(action)) == {"#field-due": "Action due date must be a real date"}
    assert db.session.scalar(select(func.count(HumanTask.id)).where(HumanTask.bpmn_id == "complete_action")) == 0


def test_release_date_page_refuses_a_date_in_the_past(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users, custody=True, release_date="2027-06-01")
    sign_in(client, "coordinator")
    response = post(client, f"/cases/{case_id}/release-date", {**_date("release_date", "1905", "3", "1"),
                                                                "reason": "typo in year"})
    page = check_page(response)
    assert summary_links(page) == {"#field-release_date": "Earliest release date must be today or in the future"}
    assert page.get_element_by_id("field-reason").text_content().strip() == "typo in year"
    db.session.expire_all()
    assert db.session.get(MappaCase, case_id).release_date.isoformat() == "2027-06-01"
