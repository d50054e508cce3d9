"""A MAPP meeting is opened on or after its day (London time), never before; its minutes are submitted and approved
only once it has been opened. Found in review: a meeting 15 days ahead was opened, minuted and approved, which
completed the case's MAPP meeting review and set its level and next review on a meeting that had not happened."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import func, select

from services.clock import Clock
from services.db import db
from services.models import HumanTask, MappaCase, MappMeeting, Minutes, ProcessInstance
from tests.api.conftest import Api, error_message
from tests.factories import considered_disclosure, csrf_token, sign_in
from tests.meetings.test_meeting_cycle import level2_case, minutes_text
from tests.pages import check_page, get_page

MEETING = "2026-12-10T10:00:00+00:00"  # the test clock starts on 25 November 2026
TOO_EARLY = "This meeting is on 10 December 2026: it can be opened on that day, not before"
NOT_OPENED = "Open the meeting on its day (the MAPPA D statement read) before submitting its minutes"


def _meeting(api: Api, starts_at: str = MEETING) -> int:
    made = api.post("administrator", "/api/v1/meetings", json={
        "area": "northshire", "level": 2, "starts_at": starts_at, "chair": "chair", "venue": "Northshire HQ"})
    assert made.status_code == 201, made.get_data(as_text=True)
    return int(made.get_json()["id"])


def _with_agenda(api: Api, case: MappaCase) -> int:
    meeting_id = _meeting(api)
    built = api.post("administrator", f"/api/v1/meetings/{meeting_id}/agenda/build")
    assert [i["case_id"] for i in built.get_json()["added"]] == [case.id]
    return meeting_id


def _minutes_written(api: Api, meeting_id: int, case_id: int) -> None:
    path = f"/api/v1/meetings/{meeting_id}/minutes/{case_id}"
    etag = api.get("administrator", path).headers["ETag"]
    saved = api.client.put(path, json={"sections": minutes_text("level_3", "2027-01-20")},
                           headers=api.headers("administrator") | {"If-Match": etag})
    assert saved.status_code == 200, saved.get_data(as_text=True)


def _nothing_started(meeting_id: int, case_id: int) -> None:
    db.session.expire_all()
    meeting = db.session.get(MappMeeting, meeting_id)
    assert (meeting.status, meeting.confidentiality_read_at) == ("scheduled", None)
    assert db.session.scalar(select(func.count(ProcessInstance.id)).where(
        ProcessInstance.case_id == case_id, ProcessInstance.phase == "minutes")) == 0
    assert db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.hook.in_(
        ("minutes_draft", "minutes_approval")))).all() == []


def test_api_refuses_to_open_a_meeting_before_its_day(api: Api, users: dict, clock: Clock) -> None:
    adam = level2_case(users, "Adam Ashby", "2026-12-14")
    meeting_id = _with_agenda(api, adam)
    assert error_message(api.post("chair", f"/api/v1/meetings/{meeting_id}/open"), 409) == TOO_EARLY
    clock.set(datetime(2026, 12, 9, 23, 59, tzinfo=UTC))  # the evening before (London is on GMT in December)
    assert error_message(api.post("chair", f"/api/v1/meetings/{meeting_id}/open"), 409) == TOO_EARLY
    _nothing_started(meeting_id, adam.id)

    clock.set(datetime(2026, 12, 10, 9, 30, tzinfo=UTC))  # its day, before it starts: the chair opens it
    opened = api.post("chair", f"/api/v1/meetings/{meeting_id}/open")
    assert opened.status_code == 200 and opened.get_json()["status"] == "in progress"


def test_the_meeting_day_is_the_london_day(api: Api, clock: Clock) -> None:
    meeting_id = _meeting(api, "2027-06-10T09:00:00+01:00")  # British Summer Time
    clock.set(datetime(2027, 6, 9, 22, 59, tzinfo=UTC))  # 23:59 on 9 June in London
    assert "10 June 2027" in error_message(api.post("chair", f"/api/v1/meetings/{meeting_id}/open"), 409)
    clock.set(datetime(2027, 6, 9, 23, 0, tzinfo=UTC))  # midnight in London: 10 June, still 9 June in UTC
    assert api.post("chair", f"/api/v1/meetings/{meeting_id}/open").status_code == 200


def test_page_refuses_to_open_a_meeting_before_its_day(api: Api, users: dict, client: FlaskClient,
                                                        clock: Clock) -> None:
    adam = level2_case(users, "Adam Ashby", "2026-12-14")
    meeting_id = _with_agenda(api, adam)
    path = f"/meetings/{meeting_id}"
    sign_in(client, "chair")
    overview = get_page(client, path)  # the statement is shown, but opening is not offered before the day
    assert "cannot be opened before its day" in overview.get_element_by_id("opens-on").text_content()
    assert not overview.xpath("//button[starts-with(normalize-space(), 'Open meeting')]")
    response = client.post(f"{path}/open", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 409
    page = check_page(response)
    assert page.xpath("string(//div[@class='govuk-error-summary']//li)").strip() == TOO_EARLY
    _nothing_started(meeting_id, adam.id)

    clock.set(datetime(2026, 12, 10, 9, 30, tzinfo=UTC))
    sign_in(client, "chair")  # a fortnight later: a new session
    assert get_page(client, path).xpath("//button[starts-with(normalize-space(), 'Open meeting')]")
    response = client.post(f"{path}/open", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    assert db.session.get(MappMeeting, meeting_id).status == "in progress"


def test_minutes_of_a_meeting_not_opened_are_not_submitted(api: Api, users: dict, client: FlaskClient,
                                                           clock: Clock) -> None:
    adam = level2_case(users, "Adam Ashby", "2026-12-14")
    meeting_id = _with_agenda(api, adam)
    _minutes_written(api, meeting_id, adam.id)  # drafting ahead of the meeting is allowed
    path = f"/meetings/{meeting_id}/minutes/{adam.id}"
    sign_in(client, "administrator")
    response = client.post(f"{path}/submit", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 409
    page = check_page(response)
    assert page.xpath("string(//div[@class='govuk-error-summary']//li)").strip() == NOT_OPENED
    clock.set(datetime(2026, 12, 11, 9, 0, tzinfo=UTC))  # after its day, still never opened: refused too
    sign_in(client, "administrator")
    response = client.post(f"{path}/submit", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.scalars(select(Minutes.status).where(Minutes.case_id == adam.id)).one() == "draft"
    _nothing_started(meeting_id, adam.id)
    assert db.session.get(MappaCase, adam.id).next_review_due.isoformat() == "2026-12-14"  # the review untouched


def test_on_its_day_the_meeting_is_opened_and_its_minutes_submitted_and_approved(
    api: Api, users: dict, client: FlaskClient, clock: Clock
) -> None:
    adam = level2_case(users, "Adam Ashby", "2026-12-14")
    meeting_id = _with_agenda(api, adam)
    clock.set(datetime(2026, 12, 10, 9, 30, tzinfo=UTC))
    assert api.post("chair", f"/api/v1/meetings/{meeting_id}/open").status_code == 200
    _minutes_written(api, meeting_id, adam.id)
    path = f"/meetings/{meeting_id}/minutes/{adam.id}"
    sign_in(client, "administrator")
    response = client.post(f"{path}/submit", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    considered_disclosure(adam.id)
    [approve] = [t for t in api.get("chair", f"/api/v1/tasks?case={adam.id}").get_json()["tasks"]
                 if t["name"] == "Approve minutes"]
    approved = api.post("chair", f"/api/v1/tasks/{approve['id']}/complete", json={"data": {"approval": "approve"}})
    assert approved.status_code == 200, approved.get_data(as_text=True)
    db.session.expire_all()
    case = db.session.get(MappaCase, adam.id)
    assert (case.level, case.next_review_due.isoformat()) == (3, "2027-01-20")


def test_minutes_of_a_meeting_whose_day_has_not_come_are_not_approved(api: Api, users: dict, clock: Clock) -> None:
    """Minutes sent to the chair for a meeting opened before its day (possible before this rule) wait for its day:
    approving them would complete the case's review on a meeting that has not happened."""
    adam = level2_case(users, "Adam Ashby", "2026-12-14")
    meeting_id = _with_agenda(api, adam)
    clock.set(datetime(2026, 12, 10, 9, 30, tzinfo=UTC))
    assert api.post("chair", f"/api/v1/meetings/{meeting_id}/open").status_code == 200
    _minutes_written(api, meeting_id, adam.id)
    [draft] = [t for t in api.get("administrator", f"/api/v1/tasks?case={adam.id}").get_json()["tasks"]
               if t["name"] == "Write minutes"]
    clock.set(datetime(2026, 12, 9, 16, 0, tzinfo=UTC))  # the day before: as if opened early
    refused = api.post("administrator", f"/api/v1/tasks/{draft['id']}/complete",
                       json={"data": {"minutes_ready": "yes"}})
    assert error_message(refused, 409) == NOT_OPENED
    clock.set(datetime(2026, 12, 10, 11, 0, tzinfo=UTC))
    submitted = api.post("administrator", f"/api/v1/tasks/{draft['id']}/complete",
                         json={"data": {"minutes_ready": "yes"}})
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    considered_disclosure(adam.id)
    [approve] = [t for t in api.get("chair", f"/api/v1/tasks?case={adam.id}").get_json()["tasks"]
                 if t["name"] == "Approve minutes"]
    clock.set(datetime(2026, 12, 9, 16, 0, tzinfo=UTC))
    refused = api.post("chair", f"/api/v1/tasks/{approve['id']}/complete", json={"data": {"approval": "approve"}})
    assert error_message(refused, 409) == ("Open the meeting on its day (the MAPPA D statement read) before "
                                           "approving its minutes")
    db.session.expire_all()
    case = db.session.get(MappaCase, adam.id)
    assert (case.level, case.next_review_due.isoformat()) == (2, "2026-12-14")  # the review not completed
    assert db.session.scalars(select(Minutes.status).where(Minutes.case_id == adam.id)).one() == "awaiting approval"
