"""Scenario tests over HTTP for the meeting lifecycle defects of issue 8: closing a meeting, cases never hidden from
later agendas, review and minutes deadlines counted from the meeting, late approval, actions checked when saved."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.clock import Clock
from services.db import db
from services.models import CaseEvent, HumanTask, MappaCase, Minutes
from services.scheduler import sweep
from tests.api.conftest import Api, error_message, fields
from tests.factories import considered_disclosure, on_its_day, sign_in
from tests.meetings.test_meeting_cycle import level2_case
from tests.pages import get_page

MEETING = "2026-12-10T10:00:00+00:00"  # tests start on 2026-11-25; the meeting runs 10:00-13:00
LATER_MEETING = "2027-01-07T10:00:00+00:00"


def _schedule(api: Api, starts_at: str = MEETING) -> int:
    made = api.post(
        "administrator",
        "/api/v1/meetings",
        json={"area": "northshire", "level": 2, "starts_at": starts_at, "chair": "chair", "venue": "Northshire HQ"},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    return int(made.get_json()["id"])


def _build(api: Api, meeting_id: int) -> list[int]:
    built = api.post("administrator", f"/api/v1/meetings/{meeting_id}/agenda/build")
    assert built.status_code == 200, built.get_data(as_text=True)
    return [item["case_id"] for item in built.get_json()["added"]]


def _post(api: Api, user: str, path: str, status: int = 200) -> dict[str, Any]:
    response = api.post(user, path)
    assert response.status_code == status, response.get_data(as_text=True)
    return dict(response.get_json())


def _tasks(api: Api, user: str, case_id: int, name: str) -> list[dict[str, Any]]:
    return [t for t in api.get(user, f"/api/v1/tasks?case={case_id}").get_json()["tasks"] if t["name"] == name]


def _task(api: Api, user: str, case_id: int, name: str) -> dict[str, Any]:
    [task] = _tasks(api, user, case_id, name)
    return task


def _complete(api: Api, user: str, task: dict[str, Any], data: dict[str, Any], status: int = 200) -> Any:
    response = api.post(user, f"/api/v1/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def _write_minutes(
    api: Api,
    meeting_id: int,
    case_id: int,
    decision: str,
    review: str | None,
    actions: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> Any:
    path = f"/api/v1/meetings/{meeting_id}/minutes/{case_id}"
    sections: dict[str, Any] = {
        "summary": "Discussed.",
        "risk_assessment": "High risk to ex-partner.",
        "level_decision": {"decision": decision, "rationale": "Agreed by all agencies."},
        "actions": actions or [],
    }
    if review:
        sections["next_review_date"] = review
    etag = api.get("administrator", path).headers["ETag"]
    saved = api.client.put(path, json={"sections": sections}, headers=api.headers("administrator") | {"If-Match": etag})
    assert saved.status_code == status, saved.get_data(as_text=True)
    return saved


def _submit(api: Api, meeting_id: int, case_id: int) -> None:
    _complete(api, "administrator", _task(api, "administrator", case_id, "Write minutes"), {"minutes_ready": "yes"})
    considered_disclosure(case_id)


def _case(api: Api, case_id: int) -> dict[str, Any]:
    return dict(api.get("coordinator", f"/api/v1/cases/{case_id}").get_json())


@pytest.fixture
def adam(users: dict[str, Any]) -> MappaCase:
    return level2_case(users, "Adam Ashby", "2026-12-14")


# --- 1. closing a meeting; a case due is always offered to the next agenda ---------------------------------------


def test_closing_a_held_meeting_frees_its_cases_for_the_next_agenda_and_ends_research(
    api: Api, adam: MappaCase, clock: Clock
) -> None:
    first, second = _schedule(api), _schedule(api, LATER_MEETING)
    assert _build(api, first) == [adam.id]
    assert _build(api, second) == []  # booked on the first meeting's agenda
    assert _tasks(api, "police", adam.id, "Research agenda item (police)")

    clock.set(datetime(2026, 12, 10, 9, 30, tzinfo=UTC))
    assert error_message(api.post("chair", f"/api/v1/meetings/{first}/close"), 409).startswith("Open the meeting")
    assert _post(api, "chair", f"/api/v1/meetings/{first}/open")["status"] == "in progress"
    closed = _post(api, "chair", f"/api/v1/meetings/{first}/close")
    assert closed["status"] == "held"
    assert "already held" in error_message(api.post("chair", f"/api/v1/meetings/{first}/close"), 409)
    assert "can open and close meetings" in error_message(api.post("police", f"/api/v1/meetings/{first}/close"), 403)
    error_message(api.post("south_coordinator", f"/api/v1/meetings/{first}/close"), 404)

    # the minutes are not approved yet: the case's review is still due, so the next agenda offers it
    assert _build(api, second) == [adam.id]
    assert _tasks(api, "police", adam.id, "Research agenda item (police)")  # the research for the second meeting
    db.session.expire_all()
    ended = db.session.scalars(
        select(CaseEvent.summary).where(CaseEvent.case_id == adam.id, CaseEvent.kind == "phase_cancelled")
    ).all()
    assert ended == ["Agenda research ended: Level 2 MAPP meeting, 10 December 2026 at 10:00am has been held"]
    research = db.session.scalars(
        select(HumanTask).where(HumanTask.case_id == adam.id, HumanTask.hook == "agenda_research")
    ).all()
    assert sorted(t.state for t in research) == ["cancelled", "cancelled", "ready", "ready"]


def test_a_meeting_left_in_progress_past_its_day_does_not_hide_its_cases(
    client: FlaskClient, api: Api, adam: MappaCase, clock: Clock
) -> None:
    first, second = _schedule(api), _schedule(api, LATER_MEETING)
    _build(api, first)
    clock.set(datetime(2026, 12, 10, 10, 5, tzinfo=UTC))
    _post(api, "chair", f"/api/v1/meetings/{first}/open")
    assert _build(api, second) == []  # the meeting is today: its cases are still booked
    clock.set(datetime(2026, 12, 11, 9, 0, tzinfo=UTC))  # nobody closed it
    assert _build(api, second) == [adam.id]
    sign_in(client, "administrator")
    assert "not closed" in get_page(client, "/meetings").xpath("//table[@id='past-meetings']")[0].text_content()
    warning = get_page(client, f"/meetings/{first}").xpath("//*[@id='close-meeting']")[0].text_content()
    assert "This meeting's day has passed but it was not closed" in warning


def test_a_meeting_today_is_listed_under_today_even_after_it_ended(
    app: Flask, client: FlaskClient, api: Api, clock: Clock
) -> None:
    meeting_id, later = _schedule(api), _schedule(api, LATER_MEETING)
    clock.set(datetime(2026, 12, 10, 15, 0, tzinfo=UTC))  # the meeting ended at 13:00
    sign_in(client, "administrator")
    page = get_page(client, "/meetings")

    def listed(table: str) -> list[str]:
        return [a.get("href") for a in page.xpath(f"//table[@id='{table}']//a")]

    assert listed("today-meetings") == [f"/meetings/{meeting_id}"]
    assert listed("upcoming-meetings") == [f"/meetings/{later}"]
    assert page.xpath("//*[@id='past-meetings']")[0].text_content().strip() == "None."


def test_the_close_button_on_the_meeting_page(client: FlaskClient, api: Api, adam: MappaCase, clock: Clock) -> None:
    from tests.factories import csrf_token

    meeting_id = _schedule(api)
    _build(api, meeting_id)
    clock.set(datetime(2026, 12, 10, 10, 0, tzinfo=UTC))
    _post(api, "chair", f"/api/v1/meetings/{meeting_id}/open")
    sign_in(client, "chair")
    page = f"/meetings/{meeting_id}"
    closed = client.post(f"{page}/close", data={"csrf_token": csrf_token(client, page)})
    assert closed.status_code == 302
    assert "Meeting closed" in client.get(page).get_data(as_text=True)
    assert api.get("chair", f"/api/v1/meetings/{meeting_id}").get_json()["status"] == "held"


# --- 6 and 9. deadlines count from the meeting and come from the area's settings ---------------------------------


def test_minutes_and_review_deadlines_count_from_the_meeting(
    client: FlaskClient, api: Api, adam: MappaCase, clock: Clock
) -> None:
    meeting_id = _schedule(api)
    _build(api, meeting_id)
    clock.set(datetime(2026, 12, 10, 9, 30, tzinfo=UTC))
    _post(api, "chair", f"/api/v1/meetings/{meeting_id}/open")
    write = _task(api, "administrator", adam.id, "Write minutes")
    assert write["due"] == "2026-12-17"  # five working days from the meeting (the drafting setting)
    refused = _write_minutes(api, meeting_id, adam.id, "level_2", "2027-04-10", status=422)
    assert refused.get_json()["error"]["errors"] == [{
        "field": "sections.next_review_date",
        "message": "A Level 2 review must be within 16 weeks: by 1 April 2027 at the latest"}]
    _write_minutes(api, meeting_id, adam.id, "level_2", "2027-03-20")
    _post(api, "chair", f"/api/v1/meetings/{meeting_id}/close")

    clock.set(datetime(2026, 12, 21, 9, 0, tzinfo=UTC))
    sweep()
    assert _task(api, "administrator", adam.id, "Write minutes")["overdue"] is True  # drafting late: visible
    _submit(api, meeting_id, adam.id)
    approve = _task(api, "chair", adam.id, "Approve minutes")
    assert approve["due"] == "2026-12-30"  # five working days from submission (25 and 28 December are holidays)

    clock.set(datetime(2026, 12, 22, 9, 0, tzinfo=UTC))
    shorter = api.client.put("/api/v1/settings", headers=api.headers("coordinator"),
                             json={"settings": {"level2_review_weeks": 12}})  # the area shortens the interval
    assert shorter.status_code == 200, shorter.get_data(as_text=True)
    refused = _complete(api, "chair", approve, {"approval": "approve"}, 422)
    [error] = refused.get_json()["error"]["errors"]
    assert error["field"] == "data.next_review_date"  # within 12 weeks of today, but not of the meeting
    assert error["message"] == (
        "The minutes set the next review for 20 March 2027. A Level 2 review must be within "
        "12 weeks: by 4 March 2027 at the latest. Enter a new next review date"
    )
    _complete(api, "chair", approve, {"approval": "approve", "next_review_date": "2027-03-04"})

    case = _case(api, adam.id)
    assert (case["level"], case["status"], case["next_review_due"]) == (2, "level 2", "2027-03-04")
    assert _task(api, "administrator", adam.id, "Distribute minutes")["due"] == "2026-12-24"  # 10 WD from meeting
    sign_in(client, "manager")
    timeliness = get_page(client, "/statistics").xpath("//dl[@id='timeliness']")[0].text_content()
    assert "Reviews held by their due date 100% (1 of 1)" in " ".join(timeliness.split())  # held 10 Dec, due 14 Dec
    assert "Minutes drafted within the deadline after the meeting 0% (0 of 1)" in " ".join(timeliness.split())


def test_minutes_deadlines_are_the_areas_settings(api: Api, adam: MappaCase, clock: Clock) -> None:
    changed = api.client.put(
        "/api/v1/settings",
        headers=api.headers("coordinator"),
        json={
            "settings": {
                "minutes_drafting_working_days": 2,
                "minutes_approval_working_days": 1,
                "minutes_revision_working_days": 4,
                "minutes_distribution_working_days": 3,
            }
        },
    )
    assert changed.status_code == 200, changed.get_data(as_text=True)
    meeting_id = _schedule(api)
    _build(api, meeting_id)
    clock.set(datetime(2026, 12, 10, 9, 30, tzinfo=UTC))
    _post(api, "chair", f"/api/v1/meetings/{meeting_id}/open")
    assert _task(api, "administrator", adam.id, "Write minutes")["due"] == "2026-12-14"
    _write_minutes(api, meeting_id, adam.id, "level_2", "2027-03-01")
    _submit(api, meeting_id, adam.id)
    approve = _task(api, "chair", adam.id, "Approve minutes")
    assert approve["due"] == "2026-12-11"
    _complete(api, "chair", approve, {"approval": "return", "approval_comments": "Add the victim safety plan."})
    assert _task(api, "administrator", adam.id, "Revise minutes")["due"] == "2026-12-16"
    _complete(api, "administrator", _task(api, "administrator", adam.id, "Revise minutes"), {"revision_note": "Added."})
    _complete(api, "chair", _task(api, "chair", adam.id, "Approve minutes"), {"approval": "approve"})
    assert _task(api, "administrator", adam.id, "Distribute minutes")["due"] == "2026-12-15"


# --- 7. late approval: the chair sets a new date on the approval form ---------------------------------------------


def test_late_approval_asks_the_chair_for_a_new_next_review_date(api: Api, adam: MappaCase, clock: Clock) -> None:
    meeting_id = _schedule(api)
    _build(api, meeting_id)
    clock.set(datetime(2026, 12, 10, 9, 30, tzinfo=UTC))
    _post(api, "chair", f"/api/v1/meetings/{meeting_id}/open")
    _write_minutes(api, meeting_id, adam.id, "level_2", "2026-12-31")
    _submit(api, meeting_id, adam.id)
    approve = _task(api, "chair", adam.id, "Approve minutes")
    form = api.get("chair", f"/api/v1/tasks/{approve['id']}").get_json()["form"]["schema"]
    assert "next_review_date" in form["x-order"]

    clock.set(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))  # the minuted date has passed
    refused = _complete(api, "chair", approve, {"approval": "approve"}, 422)
    assert refused.get_json()["error"]["errors"] == [
        {
            "field": "data.next_review_date",
            "message": "The minutes set the next review for 31 December 2026, which has passed: "
            "enter a new next review date",
        }
    ]
    assert fields(_complete(api, "chair", approve, {"approval": "approve", "next_review_date": "2027-01-04"}, 422)) == [
        "data.next_review_date"
    ]  # not in the future either
    db.session.expire_all()
    minutes = db.session.scalars(select(Minutes).where(Minutes.case_id == adam.id)).one()
    assert minutes.status == "awaiting approval"  # nothing half-written by the refusals
    assert _task(api, "chair", adam.id, "Approve minutes")["id"] == approve["id"]

    _complete(api, "chair", approve, {"approval": "approve", "next_review_date": "2027-03-15"})
    assert _case(api, adam.id)["next_review_due"] == "2027-03-15"
    saved = api.get("administrator", f"/api/v1/meetings/{meeting_id}/minutes/{adam.id}").get_json()
    assert (saved["status"], saved["sections"]["next_review_date"]) == ("approved", "2027-03-15")


# --- 12. actions are checked when the minutes are saved ----------------------------------------------------------


def test_minutes_actions_are_checked_when_saved(client: FlaskClient, api: Api, adam: MappaCase) -> None:
    from tests.factories import csrf_token

    meeting_id = _schedule(api)
    _build(api, meeting_id)

    def refused(action: dict[str, Any]) -> list[str]:
        return fields(_write_minutes(api, meeting_id, adam.id, "level_2", "2027-03-01", [action], status=422))

    assert refused({"description": "Home visit", "owner_role": "police", "due": "2026-02-31"}) == [
        "sections.actions.0.due"
    ]
    assert refused({"description": "Home visit", "owner_role": "police", "due": "next week"}) == [
        "sections.actions.0.due"
    ]
    assert refused({"description": "Home visit", "owner_role": "police", "due": "2026-11-24"}) == [
        "sections.actions.0.due"
    ]  # in the past
    assert refused({"description": "Home visit", "owner_role": "astronaut", "due": "2026-12-20"}) == [
        "sections.actions.0.owner_role"
    ]
    assert refused({"description": " ", "owner_role": "police", "due": "2026-12-20"}) == [
        "sections.actions.0.description"
    ]
    assert api.get("administrator", f"/api/v1/meetings/{meeting_id}/minutes/{adam.id}").get_json()["version"] == 0

    # still being written: an owner or date may be missing, but the minutes cannot go to the chair like that
    _write_minutes(api, meeting_id, adam.id, "level_2", "2027-03-01", [{"description": "Home visit"}])
    on_its_day(meeting_id)
    _post(api, "chair", f"/api/v1/meetings/{meeting_id}/open")
    sign_in(client, "administrator")
    page = f"/meetings/{meeting_id}/minutes/{adam.id}"
    submitted = client.post(f"{page}/submit", data={"csrf_token": csrf_token(client, page)})
    assert submitted.status_code == 422
    summary = " ".join(submitted.get_data(as_text=True).split())
    assert "Select who owns the action" in summary and "Enter the date the action is due" in summary
    assert api.get("chair", f"/api/v1/meetings/{meeting_id}/minutes/{adam.id}").get_json()["status"] == "draft"


def test_an_action_due_date_passed_before_approval_is_a_clear_refusal(api: Api, adam: MappaCase, clock: Clock) -> None:
    meeting_id = _schedule(api)
    _build(api, meeting_id)
    _write_minutes(
        api,
        meeting_id,
        adam.id,
        "level_2",
        "2027-03-01",
        [{"description": "Joint home visit", "owner_role": "police", "due": "2026-12-11"}],
    )
    clock.set(datetime(2026, 12, 10, 9, 30, tzinfo=UTC))
    _post(api, "chair", f"/api/v1/meetings/{meeting_id}/open")
    _submit(api, meeting_id, adam.id)
    approve = _task(api, "chair", adam.id, "Approve minutes")
    clock.set(datetime(2026, 12, 14, 9, 30, tzinfo=UTC))  # approved after the action's date
    refused = _complete(api, "chair", approve, {"approval": "approve"}, 422)
    assert refused.get_json()["error"]["errors"] == [
        {
            "field": "data.approval",
            "message": "Action 1 ('Joint home visit') was due on 2026-12-11, which has passed: "
            "return the minutes to change its date",
        }
    ]
    assert api.get("chair", f"/api/v1/meetings/{meeting_id}/minutes/{adam.id}").get_json()["status"] == (
        "awaiting approval"
    )
    _complete(api, "chair", approve, {"approval": "return", "approval_comments": "The visit date has passed."})
    _write_minutes(
        api,
        meeting_id,
        adam.id,
        "level_2",
        "2027-03-01",
        [{"description": "Joint home visit", "owner_role": "police", "due": "2026-12-18"}],
    )
    _complete(
        api,
        "administrator",
        _task(api, "administrator", adam.id, "Revise minutes"),
        {"revision_note": "New date for the visit."},
    )
    _complete(api, "chair", _task(api, "chair", adam.id, "Approve minutes"), {"approval": "approve"})
    assert _task(api, "police", adam.id, "Complete agreed action")["due"] == "2026-12-18"


def test_late_approval_on_the_task_page(client: FlaskClient, api: Api, adam: MappaCase, clock: Clock) -> None:
    from tests.factories import csrf_token

    meeting_id = _schedule(api)
    _build(api, meeting_id)
    clock.set(datetime(2026, 12, 10, 9, 30, tzinfo=UTC))
    _post(api, "chair", f"/api/v1/meetings/{meeting_id}/open")
    _write_minutes(api, meeting_id, adam.id, "level_2", "2026-12-31")
    _submit(api, meeting_id, adam.id)
    page = f"/tasks/{_task(api, 'chair', adam.id, 'Approve minutes')['id']}"
    clock.set(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    sign_in(client, "chair")
    form = get_page(client, page)
    assert form.xpath("//input[@name='next_review_date-day']")  # the new date is on the approval form
    refused = client.post(page, data={"csrf_token": csrf_token(client, page), "approval": "approve"})
    assert refused.status_code == 200  # the task page shows its form again with the error summary (inbox style)
    summary = " ".join(refused.get_data(as_text=True).split())
    assert "The minutes set the next review for 31 December 2026, which has passed: enter a new next review" in summary
    approved = client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "approval": "approve",
            "next_review_date-day": "15",
            "next_review_date-month": "3",
            "next_review_date-year": "2027",
        },
    )
    assert approved.status_code == 302, approved.get_data(as_text=True)
    assert _case(api, adam.id)["next_review_due"] == "2027-03-15"


def test_a_case_transferred_away_leaves_the_agenda_of_the_sending_areas_next_meeting(
        api: Api, adam: MappaCase, clock: Clock) -> None:
    """Found in review: a case booked on Northshire's next meeting and then transferred to Southmoor stayed on that
    agenda (Northshire could not open its minutes) and its research for the meeting went to Southmoor's police and
    offender managers."""
    meeting_id = _schedule(api)
    assert _build(api, meeting_id) == [adam.id]
    moved = api.post("coordinator", f"/api/v1/cases/{adam.id}/transfer", json={
        "to_area": "southmoor", "reason": "Moved to approved premises in Southmoor."})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    meeting = api.get("administrator", f"/api/v1/meetings/{meeting_id}").get_json()
    assert meeting["agenda"] == [] and meeting["attendance"] == []
    db.session.expire_all()
    research = db.session.scalars(select(HumanTask).where(HumanTask.case_id == adam.id,
                                                          HumanTask.hook == "agenda_research")).all()
    assert research and {t.state for t in research} == {"cancelled"}
    ended = db.session.scalars(select(CaseEvent.summary).where(CaseEvent.case_id == adam.id,
                                                               CaseEvent.kind == "phase_cancelled")).all()
    assert any("Agenda research ended: the case was transferred to Southmoor" in s for s in ended)
    assert [t["name"] for t in api.get("south_coordinator", f"/api/v1/cases/{adam.id}").get_json()["open_tasks"]
            ] == ["Re-screen transferred case"]
