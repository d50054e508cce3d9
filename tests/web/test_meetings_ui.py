"""The meetings pages: calendar, scheduling through the form, a meeting's agenda and attendance, and the minutes
editor's no-JavaScript save and its save-as-you-type JSON endpoint (including someone else's save: 412)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from services import meetings
from services.db import db
from services.models import MappMeeting, Minutes
from tests.factories import csrf_token, hold, on_its_day, seeded, sign_in
from tests.meetings.test_meeting_cycle import MEETING_AT, level2_case
from tests.pages import check_page, get_page


def a_meeting_with_agenda(*, held: bool = False) -> tuple[int, list[int]]:
    """A meeting with two cases on its agenda; ``held``: opened by its chair on its day (the clock moved there), so
    that its minutes can be submitted."""
    users = seeded()
    cases = [level2_case(users, n, d) for n, d in (("Adam Ashby", "2026-12-14"), ("Brian Brook", "2026-12-22"))]
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair",
                                  venue="Northshire HQ")
    meetings.build_agenda(users["administrator"], meeting.id)
    db.session.commit()
    if held:
        hold(meeting.id)
    return meeting.id, [c.id for c in cases]


def put_sections(client: FlaskClient, path: str, sections: dict[str, Any], etag: str | None,
                 token: str) -> Any:
    headers = {"X-CSRFToken": token}
    if etag is not None:
        headers["If-Match"] = etag
    return client.put(f"{path}/sections", json={"sections": sections}, headers=headers)


def test_schedule_a_meeting_through_the_form(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "administrator")
    page = get_page(client, "/meetings")
    assert page.xpath("//a[@href='/meetings']/text()") == ["Meetings"]
    get_page(client, "/meetings/new")
    token = csrf_token(client, "/meetings/new")
    response = client.post("/meetings/new", data={"csrf_token": token, "level": "2", "starts_at-day": "31",
                                                  "starts_at-month": "2", "starts_at-year": "2027", "time": "25:00",
                                                  "duration_minutes": "120", "chair": ""})
    assert response.status_code == 422
    page = check_page(response)
    links = {a.get("href") for a in page.xpath("//div[@class='govuk-error-summary']//a")}
    assert {"#field-starts_at", "#field-time"} <= links
    response = client.post("/meetings/new", data={"csrf_token": token, "level": "3", "starts_at-day": "10",
                                                  "starts_at-month": "12", "starts_at-year": "2026", "time": "10:00",
                                                  "duration_minutes": "120", "chair": "chair", "venue": "HQ",
                                                  "repeat_weeks": "4", "occurrences": "3"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    rows = db.session.query(MappMeeting).order_by(MappMeeting.starts_at).all()
    assert [(m.level, m.starts_at.day) for m in rows] == [(3, 10), (3, 7), (3, 4)]
    assert rows[0].starts_at.hour == 10  # 10:00 in London is 10:00 UTC in December
    calendar = get_page(client, "/meetings")
    upcoming = calendar.get_element_by_id("upcoming-meetings")
    assert "Charles Chair" in upcoming.text_content() and "Level 3" in upcoming.text_content()


def test_schedule_page_refuses_a_venue_or_link_longer_than_the_meeting_keeps(app: Flask, client: FlaskClient) -> None:
    """The columns hold 200 and 400 characters: the page stored longer text (PostgreSQL would have answered 500)."""
    seeded()
    sign_in(client, "administrator")
    token = csrf_token(client, "/meetings/new")
    form = {"csrf_token": token, "level": "2", "starts_at-day": "10", "starts_at-month": "12",
            "starts_at-year": "2026", "time": "10:00", "duration_minutes": "120", "chair": "chair"}
    response = client.post("/meetings/new", data=form | {"venue": "V" * 100_000,
                                                         "online_link": "https://" + "a" * 5000})
    assert response.status_code == 422
    page = check_page(response)
    assert {a.get("href"): a.text_content().strip()
            for a in page.xpath("//div[@class='govuk-error-summary']//a")} == {
        "#field-venue": "Venue must be 200 characters or fewer",
        "#field-online_link": "Online meeting link must be 400 characters or fewer"}
    assert page.get_element_by_id("field-chair").xpath("string(.//option[@selected]/@value)") == "chair"
    assert db.session.query(MappMeeting).count() == 0
    just_fits = client.post("/meetings/new", data=form | {"venue": "V" * 200,
                                                          "online_link": "https://" + "a" * 380 + ".example"})
    assert just_fits.status_code == 302, just_fits.get_data(as_text=True)[:2000]
    assert db.session.query(MappMeeting).one().venue == "V" * 200


def test_only_organisers_schedule(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "police")
    token = csrf_token(client, "/meetings/new")
    response = client.post("/meetings/new", data={"csrf_token": token, "level": "2", "starts_at-day": "10",
                                                  "starts_at-month": "12", "starts_at-year": "2026", "time": "10:00",
                                                  "duration_minutes": "120", "chair": "chair", "venue": "HQ"})
    assert response.status_code == 403


def test_meeting_page_agenda_attendance_and_opening(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    cases = [level2_case(users, n, d) for n, d in (("Adam Ashby", "2026-12-14"), ("Brian Brook", "2026-12-22"))]
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    meeting_id = meeting.id
    db.session.commit()
    sign_in(client, "administrator")
    path = f"/meetings/{meeting_id}"
    page = get_page(client, f"{path}/agenda")
    assert "No cases on the agenda yet" in page.get_element_by_id("agenda").text_content()
    response = client.post(f"{path}/agenda/build", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302 and response.location == f"{path}/agenda"
    page = get_page(client, f"{path}/agenda")
    names = [" ".join(a.text_content().split()) for a in page.xpath("//table[@id='agenda']//td[2]/a")]
    assert names == ["Adam Ashby", "Brian Brook"]
    token = csrf_token(client, path)
    response = client.post(f"{path}/agenda", data={"csrf_token": token, f"position-{cases[0].id}": "2",
                                                   f"minutes-{cases[0].id}": "30", f"position-{cases[1].id}": "1",
                                                   f"minutes-{cases[1].id}": "15"})
    assert response.status_code == 302 and response.location == f"{path}/agenda"
    page = get_page(client, f"{path}/agenda")
    names = [" ".join(a.text_content().split()) for a in page.xpath("//table[@id='agenda']//td[2]/a")]
    assert names == ["Brian Brook", "Adam Ashby"]
    assert page.get_element_by_id(f"field-minutes-{cases[0].id}").get("value") == "30"
    response = client.post(f"{path}/agenda", data={"csrf_token": token, f"position-{cases[0].id}": "1",
                                                   f"minutes-{cases[0].id}": "500", f"position-{cases[1].id}": "2",
                                                   f"minutes-{cases[1].id}": "15"})
    assert response.status_code == 422 and "Allot between 5 and 120" in check_page(response).text_content()

    page = get_page(client, f"{path}/attendance")
    selects = page.xpath("//select[starts-with(@name, 'attendance-')]/@name")
    assert selects
    response = client.post(f"{path}/attendance", data={"csrf_token": token, selects[0]: "present",
                                                       selects[1]: "apologies"})
    assert response.status_code == 302 and response.location == f"{path}/attendance"
    page = get_page(client, f"{path}/attendance")
    assert page.xpath(f"//select[@name='{selects[0]}']/option[@selected]/@value") == ["present"]

    meeting_row = db.session.get(MappMeeting, meeting_id)
    item = meeting_row.items[0]
    item.research_flags = [{"agency": "Police", "by": "PC Pat Rolman", "at": "", "concern": "Seen near victim",
                            "flag_to_chair": True}]
    db.session.commit()
    on_its_day(meeting_id)
    sign_in(client, "chair")
    page = get_page(client, f"{path}/agenda")
    flagged = page.xpath("//div[@id='research']//*[contains(@class, 'app-flag-to-chair')]")
    assert flagged and "Seen near victim" in flagged[0].text_content()
    page = get_page(client, path)
    assert "confidential" in page.get_element_by_id("mappa-d-statement").text_content()
    response = client.post(f"{path}/open", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    assert db.session.get(MappMeeting, meeting_id).status == "in progress"
    page = get_page(client, path)
    assert "Read at" in page.get_element_by_id("meeting-details").text_content()


def test_minutes_form_save_without_javascript(app: Flask, client: FlaskClient) -> None:
    meeting_id, case_ids = a_meeting_with_agenda(held=True)
    sign_in(client, "administrator")
    path = f"/meetings/{meeting_id}/minutes/{case_ids[0]}"
    page = get_page(client, path)
    assert page.get_element_by_id("field-summary").tag == "textarea"
    assert page.get_element_by_id("minutes-editor").get("data-etag") == '"m1v0"'
    etag = page.get_element_by_id("minutes-etag").get("value")
    token = csrf_token(client, path)
    form = {"csrf_token": token, "etag": etag, "summary": "Discussed in full.", "risk_assessment": "High.",
            "level_decision": "level_2", "level_rationale": "Agreed.", "next_review_date-day": "31",
            "next_review_date-month": "2", "next_review_date-year": "2027",
            "action-0-description": "", "action-0-owner_role": "police",
            "action-0-due-day": "", "action-0-due-month": "", "action-0-due-year": ""}
    response = client.post(path, data=form)
    assert response.status_code == 422
    page = check_page(response)
    assert page.xpath("//div[@class='govuk-error-summary']//a/@href") == ["#field-next_review_date"]
    assert page.get_element_by_id("field-summary").text == "Discussed in full."  # kept
    form.update({"next_review_date-day": "28", "action-0-description": "Home visit", "action-0-due-day": "20",
                 "action-0-due-month": "12", "action-0-due-year": "2026"})
    response = client.post(path, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    minutes = db.session.get(Minutes, 1)
    assert minutes.sections["summary"] == "Discussed in full."
    assert minutes.sections["next_review_date"] == "2027-02-28"
    assert minutes.sections["actions"][0]["description"] == "Home visit"
    page = get_page(client, path)
    assert "Adam Ministrator" in page.get_element_by_id("revisions").text_content()
    stale = client.post(path, data=form)  # the old ETag: someone (here, us) saved since
    assert stale.status_code == 409
    assert "Someone else changed these minutes" in check_page(stale).text_content()

    response = client.post(f"{path}/submit", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.get(Minutes, 1).status == "awaiting approval"
    page = get_page(client, path)
    assert page.xpath("//button[normalize-space()='Save minutes']") == []


def test_submit_incomplete_minutes_shows_errors(app: Flask, client: FlaskClient) -> None:
    meeting_id, case_ids = a_meeting_with_agenda(held=True)
    sign_in(client, "administrator")
    path = f"/meetings/{meeting_id}/minutes/{case_ids[0]}"
    response = client.post(f"{path}/submit", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 422
    links = check_page(response).xpath("//div[@class='govuk-error-summary']//a/@href")
    assert "#field-summary" in links


def test_save_as_you_type_endpoint_and_someone_elses_save(app: Flask, client: FlaskClient) -> None:
    meeting_id, case_ids = a_meeting_with_agenda()
    path = f"/meetings/{meeting_id}/minutes/{case_ids[0]}"
    sign_in(client, "administrator")
    token = csrf_token(client, path)
    first = client.get(f"{path}/sections")
    assert first.status_code == 200 and first.headers["ETag"] == '"m1v0"'

    assert client.put(f"{path}/sections", json={"sections": {"summary": "x"}},
                      headers={"If-Match": '"m1v0"'}).status_code == 400  # no CSRF header
    saved = put_sections(client, path, {"summary": "Adam's summary"}, '"m1v0"', token)
    assert saved.status_code == 200
    assert saved.json is not None
    assert (saved.json["etag"], saved.json["version"]) == ('"m1v1"', 1)
    assert re.fullmatch(r"\d\d:\d\d", saved.json["saved_at"])

    chair = app.test_client()
    sign_in(chair, "chair")
    chair_token = csrf_token(chair, path)
    stale = put_sections(chair, path, {"risk_assessment": "Chair's view"}, '"m1v0"', chair_token)
    assert stale.status_code == 412
    assert stale.json is not None
    assert stale.json["current"]["sections"]["summary"] == "Adam's summary"
    assert stale.json["current"]["etag"] == '"m1v1"'
    assert stale.json["current"]["updated_by"] == "Adam Ministrator"
    kept = put_sections(chair, path, {"risk_assessment": "Chair's view"}, stale.json["current"]["etag"], chair_token)
    assert kept.status_code == 200
    assert kept.json is not None
    assert kept.json["sections"]["summary"] == "Adam's summary"
    assert kept.json["sections"]["risk_assessment"] == "Chair's view"

    bad = put_sections(client, path, {"nonsense": "x", "next_review_date": "2027-02-31"}, None, token)
    assert bad.status_code == 422
    assert bad.json is not None
    assert {e["field"] for e in bad.json["errors"]} == {"sections.nonsense", "sections.next_review_date"}

    police = app.test_client()
    sign_in(police, "police")
    refused = put_sections(police, path, {"summary": "no"}, None, csrf_token(police, "/meetings"))
    assert refused.status_code == 403 and refused.json is not None and "error" in refused.json


def test_documents_agenda_minutes_pdf_and_invitation(app: Flask, client: FlaskClient) -> None:
    meeting_id, case_ids = a_meeting_with_agenda()
    sign_in(client, "administrator")
    agenda = client.get(f"/meetings/{meeting_id}/agenda.pdf")
    assert agenda.status_code == 200 and agenda.mimetype == "application/pdf" and agenda.data.startswith(b"%PDF")
    minutes = client.get(f"/meetings/{meeting_id}/minutes/{case_ids[0]}.pdf")
    assert minutes.status_code == 200 and minutes.data.startswith(b"%PDF")
    invite = client.get(f"/meetings/{meeting_id}/invite.ics")
    assert invite.status_code == 200 and invite.mimetype == "text/calendar"
    assert b"BEGIN:VCALENDAR" in invite.data
