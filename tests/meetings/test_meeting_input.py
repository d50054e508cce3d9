"""Bad input at MAPP meetings (found in review): text made only of spaces, zero-width characters or direction
marks is no answer, and text longer than its column is refused, with a GOV.UK error summary on pages and 422 with
field paths on the API; nothing is half-written."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from services.db import db
from services.models import AccessLog, Attendance, Disclosure, HumanTask, MappaCase, MappMeeting, Minutes
from tests.api.conftest import Api, fields
from tests.factories import csrf_token, make_user, on_its_day, sign_in
from tests.meetings.test_meeting_cycle import level2_case, minutes_text
from tests.pages import check_page

BLANK = " \u200b\u2003\u200f "  # a space, a zero-width space, an em space and a right-to-left mark


def _on_agenda(api: Api) -> tuple[int, MappaCase]:
    case = level2_case(api.users, "Adam Ashby", "2026-12-14")
    made = api.post("administrator", "/api/v1/meetings", json={
        "area": "northshire", "level": 2, "starts_at": "2026-12-10T10:00:00+00:00", "chair": "chair",
        "venue": "Northshire HQ"})
    assert made.status_code == 201, made.get_data(as_text=True)
    meeting_id = int(made.get_json()["id"])
    assert api.post("administrator", f"/api/v1/meetings/{meeting_id}/agenda/build").status_code == 200
    return meeting_id, case


def _save(api: Api, meeting_id: int, case_id: int, sections: dict[str, Any]) -> None:
    url = f"/api/v1/meetings/{meeting_id}/minutes/{case_id}"
    etag = api.get("administrator", url).headers["ETag"]
    saved = api.client.put(url, json={"sections": sections}, headers=api.headers("administrator") | {"If-Match": etag})
    assert saved.status_code == 200, saved.get_data(as_text=True)


def _approvals(case_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(HumanTask.id)).where(
        HumanTask.case_id == case_id, HumanTask.hook == "minutes_approval")) or 0


def test_minutes_whose_summary_and_risk_assessment_show_nothing_are_not_submitted(api: Api,
                                                                                   client: FlaskClient) -> None:
    """Before: a summary and risk assessment of blank characters counted as written, and the minutes went to the
    chair (page: 302; API: 200)."""
    meeting_id, case = _on_agenda(api)
    _save(api, meeting_id, case.id, minutes_text("level_2", "2027-01-20") | {"summary": BLANK,
                                                                             "risk_assessment": "\u200b"})
    on_its_day(meeting_id)
    api.post("chair", f"/api/v1/meetings/{meeting_id}/open")
    sign_in(client, "administrator")
    page = f"/meetings/{meeting_id}/minutes/{case.id}"
    refused = client.post(f"{page}/submit", data={"csrf_token": csrf_token(client, page)})
    assert refused.status_code == 422
    summary = check_page(refused).xpath("//div[contains(@class, 'govuk-error-summary')]//a/@href")
    assert summary == ["#field-summary", "#field-risk_assessment"]

    [draft] = [t for t in api.get("administrator", f"/api/v1/tasks?case={case.id}").get_json()["tasks"]
               if t["name"] == "Write minutes"]
    refused = api.post("administrator", f"/api/v1/tasks/{draft['id']}/complete",
                       json={"data": {"minutes_ready": "yes"}})
    assert fields(refused) == ["data.minutes_ready"]
    message = refused.get_json()["error"]["errors"][0]["message"]
    assert message == "In the minutes: Complete 'Summary' before approval"
    db.session.expire_all()
    assert db.session.scalars(select(Minutes.status).where(Minutes.case_id == case.id)).one() == "draft"
    assert _approvals(case.id) == 0


def test_onward_sharing_refuses_a_blank_recipient_and_an_over_long_purpose(api: Api, client: FlaskClient) -> None:
    """Before: the chair's form flashed nothing useful and redirected (302), storing a recipient of blank characters;
    a purpose longer than its column (400) was a 500 on PostgreSQL."""
    meeting_id, case = _on_agenda(api)
    _save(api, meeting_id, case.id, {"summary": "Discussed."})
    sign_in(client, "chair")
    page = f"/meetings/{meeting_id}/minutes/{case.id}"
    refused = client.post(f"{page}/disclosures", data={"csrf_token": csrf_token(client, page), "recipient": BLANK,
                                                      "purpose": "P" * 401})
    assert refused.status_code == 422
    document = check_page(refused)
    assert document.xpath("//div[contains(@class, 'govuk-error-summary')]//a/@href") == [
        "#field-recipient", "#field-purpose"]
    assert document.get_element_by_id("field-purpose").text == "P" * 401  # what they typed is kept
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Disclosure.id))) == 0
    assert db.session.scalar(select(func.count(AccessLog.id)).where(AccessLog.event == "minutes_disclosed")) == 0

    shared = client.post(f"{page}/disclosures", data={"csrf_token": csrf_token(client, page),
                                                     "recipient": "Head teacher, St Mary's", "purpose": "P" * 400})
    assert shared.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Disclosure.recipient)).all() == ["Head teacher, St Mary's"]


def test_a_new_chair_needs_a_reason_that_shows_on_the_page_as_on_the_api(api: Api, client: FlaskClient) -> None:
    """Before: the API refused a reason of blank characters (422) but the meeting page took it (302) and handed the
    meeting's approvals to the new chair with no reason given."""
    deputy = make_user("deputy_chair", {"chair"}, api.users["chair"].area, agency="Probation", display_name="Dee Puty")
    db.session.commit()
    meeting_id, _case = _on_agenda(api)
    sign_in(client, "coordinator")
    page = f"/meetings/{meeting_id}"
    refused = client.post(f"{page}/chair", data={"csrf_token": csrf_token(client, page), "chair": "deputy_chair",
                                                 "reason": BLANK})
    assert refused.status_code == 422
    assert check_page(refused).xpath("//div[contains(@class, 'govuk-error-summary')]//a/@href") == ["#field-reason"]
    assert fields(api.client.put(f"/api/v1/meetings/{meeting_id}/chair", json={"chair": "deputy_chair",
                                                                              "reason": BLANK},
                                 headers=api.headers("coordinator"))) == ["reason"]
    db.session.expire_all()
    assert db.session.get(MappMeeting, meeting_id).chair_id != deputy.id  # type: ignore[union-attr]
    assert db.session.scalars(select(AccessLog.detail).where(AccessLog.event == "meeting_chair_changed",
                                                             AccessLog.detail.like("%deputy_chair%"))).all() == []


def test_minutes_refuse_a_next_review_date_the_approval_would_refuse(api: Api, client: FlaskClient) -> None:
    """Before: a next review date already past, or beyond the level's maximum interval (Level 2: 16 weeks), was
    saved (200; the page 302) and only refused when the chair came to approve; an action's past due date was refused
    when saved."""
    meeting_id, case = _on_agenda(api)
    url = f"/api/v1/meetings/{meeting_id}/minutes/{case.id}"
    etag = api.get("administrator", url).headers["ETag"]
    level_2 = {"decision": "level_2", "rationale": "Agreed by all agencies."}
    for review in ("2026-11-24", "2026-11-25", "2027-12-01"):  # yesterday, today, more than 16 weeks on
        refused = api.client.put(url, json={"sections": {"level_decision": level_2, "next_review_date": review}},
                                 headers=api.headers("administrator") | {"If-Match": etag})
        assert fields(refused) == ["sections.next_review_date"], review
    decided = api.client.put(url, json={"sections": {"level_decision": level_2}},
                             headers=api.headers("administrator") | {"If-Match": etag})
    assert decided.status_code == 200
    etag = decided.headers["ETag"]
    late = api.client.put(url, json={"sections": {"next_review_date": "2027-12-01"}},  # checked with the saved level
                          headers=api.headers("administrator") | {"If-Match": etag})
    assert fields(late) == ["sections.next_review_date"]

    sign_in(client, "administrator")
    page = f"/meetings/{meeting_id}/minutes/{case.id}"
    form = {"csrf_token": csrf_token(client, page), "etag": etag, "summary": "Discussed.",
            "level_decision": "level_2", "level_rationale": "Agreed.",
            "next_review_date-day": "1", "next_review_date-month": "11", "next_review_date-year": "2026"}
    refused_page = client.post(page, data=form)
    assert refused_page.status_code == 422
    assert check_page(refused_page).xpath("//div[contains(@class, 'govuk-error-summary')]//a/@href") == [
        "#field-next_review_date"]
    db.session.expire_all()
    minutes = db.session.scalars(select(Minutes).where(Minutes.case_id == case.id)).one()
    assert (minutes.version, minutes.sections.get("next_review_date"), minutes.sections.get("summary")) == (
        1, None, None)

    saved = client.post(page, data=form | {"next_review_date-month": "1", "next_review_date-year": "2027"})
    assert saved.status_code == 302


def test_an_executive_summary_is_made_only_from_approved_minutes(api: Api, client: FlaskClient) -> None:
    """Before: the summary for external requests, which stands in for the withheld minutes and carries no 'not yet
    approved' mark, was made from a draft the chair had not approved (200, a PDF)."""
    meeting_id, case = _on_agenda(api)
    _save(api, meeting_id, case.id, minutes_text("level_2", "2027-01-20") | {"summary": "Draft wording."})
    sign_in(client, "administrator")
    page = f"/meetings/{meeting_id}/minutes/{case.id}"
    assert not check_page(client.get(page)).xpath("//a[contains(@href, 'summary.pdf')]")
    refused = client.get(f"{page}/summary.pdf")
    assert refused.status_code == 409 and not refused.data.startswith(b"%PDF")
    assert "approved" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(AccessLog.event).where(AccessLog.event == "executive_summary_viewed")).all() == []


def test_a_venue_or_attendee_of_blank_characters_is_no_venue_or_attendee(api: Api, client: FlaskClient) -> None:
    """Before: a venue of zero-width characters scheduled a meeting with nowhere to meet (201), and an attendee's
    name of them was kept as the name of the person who came."""
    made = api.post("administrator", "/api/v1/meetings", json={
        "area": "northshire", "level": 2, "starts_at": "2026-12-10T10:00:00+00:00", "chair": "chair",
        "venue": BLANK})
    assert fields(made) == ["venue"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(MappMeeting.id))) == 0

    meeting_id, _case = _on_agenda(api)
    row = db.session.scalars(select(Attendance.id).order_by(Attendance.id)).first()
    sign_in(client, "administrator")
    page = f"/meetings/{meeting_id}/attendance"
    saved = client.post(page, data={"csrf_token": csrf_token(client, page), f"attendance-{row}": "present",
                                    f"person-{row}": BLANK})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Attendance, row).person is None  # type: ignore[union-attr]
