"""The meeting page in parts (issue 12), over HTTP: overview, agenda, attendance, minutes and recordings, each its
own page under one sub navigation, seen by exactly whoever saw the one long page before; attendance by agency;
a held meeting's agenda read-only (and refused by the service); the chair reads submitted minutes as text; two
offenders with the same name are told apart by their case references."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services import meetings
from services.db import db
from services.errors import ValidationFailed
from services.models import AccessLog, AgendaItem, Attendance, MappaCase, MappMeeting, Minutes, User
from tests.api.conftest import Api
from tests.documents.test_pdfs import flat, pdf_pages
from tests.factories import csrf_token, on_its_day, sign_in
from tests.meetings.test_meeting_cycle import level2_case
from tests.meetings.test_meeting_need_to_know import MEETING, _minutes_awaiting_approval, _schedule
from tests.pages import check_page, get_page

PARTS = {"": "Overview", "/agenda": "Agenda", "/attendance": "Attendance", "/minutes": "Minutes",
         "/recordings": "Recordings"}


def _text(element: object) -> str:
    return " ".join(element.text_content().split())  # type: ignore[attr-defined]


@pytest.fixture
def smiths(app: Flask, api: Api) -> tuple[int, list[MappaCase]]:
    """A meeting whose agenda has two John Smiths (health referred the first) and Brian Brook, in that order."""
    cases = [level2_case(api.users, "John Smith", "2026-12-14", referrer="health"),
             level2_case(api.users, "John Smith", "2026-12-18"), level2_case(api.users, "Brian Brook", "2026-12-22")]
    return _schedule(api, MEETING), cases


def _refusals(username: str) -> list[str]:
    db.session.expire_all()
    user = db.session.scalars(select(User).where(User.username == username)).one()
    return list(db.session.scalars(select(AccessLog.event).where(AccessLog.user_id == user.id,
                                                                 AccessLog.event.like("%_refused"))))


@pytest.mark.parametrize("username", ["chair", "coordinator", "health"])
def test_each_part_is_its_own_page_under_the_sub_navigation(smiths: tuple[int, list[MappaCase]],
                                                            client: FlaskClient, username: str) -> None:
    meeting_id, _cases = smiths
    sign_in(client, username)
    for suffix, name in PARTS.items():
        page = get_page(client, f"/meetings/{meeting_id}{suffix}")
        navigation = page.xpath("//nav[contains(@class, 'moj-sub-navigation')]")
        assert len(navigation) == 1 and navigation[0].get("aria-label") == "Parts of this meeting"
        links = {_text(a): a.get("href") for a in navigation[0].xpath(".//a")}
        expected = [n for n in PARTS.values() if n != "Recordings" or username != "health"]
        assert list(links) == expected or (name == "Recordings" and list(links) == [*expected, "Recordings"])
        assert links["Agenda"] == f"/meetings/{meeting_id}/agenda"
        [current] = navigation[0].xpath(".//a[@aria-current='page']")
        assert _text(current) == name and current.get("href") == f"/meetings/{meeting_id}{suffix}"
        title = _text(page.xpath("//title")[0])
        assert title.startswith(meetings.title(db.session.get(MappMeeting, meeting_id))) if not suffix \
            else title.startswith(f"{name} \N{EN DASH} Level 2 MAPP meeting, 10 December 2026")
    assert _refusals(username) == []


@pytest.mark.parametrize("username", ["yot", "south_coordinator"])
def test_every_part_is_refused_to_whoever_was_refused_the_meeting(smiths: tuple[int, list[MappaCase]],
                                                                  client: FlaskClient, username: str) -> None:
    meeting_id, cases = smiths
    sign_in(client, username)
    for suffix in PARTS:
        response = client.get(f"/meetings/{meeting_id}{suffix}")
        assert response.status_code == 404, suffix
        text = check_page(response).text_content()
        assert not [c for c in cases if c.offender_name in text or c.reference in text]
    assert _refusals(username) == ["meeting_access_refused"] * len(PARTS)


def test_same_name_offenders_show_their_case_references(smiths: tuple[int, list[MappaCase]], client: FlaskClient,
                                                        tmp_path: Path) -> None:
    meeting_id, (first, second, brian) = smiths
    told_apart = [f"John Smith ({first.reference})", f"John Smith ({second.reference})", "Brian Brook"]
    sign_in(client, "coordinator")
    agenda = get_page(client, f"/meetings/{meeting_id}/agenda")
    assert [_text(a) for a in agenda.xpath("//table[@id='agenda']//td[2]/a")] == told_apart
    minutes = get_page(client, f"/meetings/{meeting_id}/minutes")
    assert [_text(th) for th in minutes.xpath("//table[@id='minutes-items']/tbody//th")] == told_apart
    assert [_text(td) for td in minutes.xpath("//table[@id='minutes-items']/tbody//td[1]")] == ["Not started"] * 3
    attendance = get_page(client, f"/meetings/{meeting_id}/attendance")
    police = attendance.xpath("//table[@id='attendance-agency-1']/tbody//th")
    assert [_text(th) for th in police] == told_apart
    pdf = client.get(f"/meetings/{meeting_id}/agenda.pdf")
    text = flat(pdf_pages(pdf.data, tmp_path))
    assert f"1. John Smith ({first.reference})" in text and f"2. John Smith ({second.reference})" in text
    assert "3. Brian Brook" in text

    sign_in(client, "health")  # sees its own John Smith only: no other to tell apart, and nothing of the others
    page = client.get(f"/meetings/{meeting_id}/agenda").get_data(as_text=True)
    assert "John Smith" in page and first.reference in page
    assert second.reference not in page and brian.offender_name not in page


def test_attendance_is_grouped_by_agency_with_each_persons_attendance(smiths: tuple[int, list[MappaCase]],
                                                                      client: FlaskClient) -> None:
    meeting_id, (first, _second, _brian) = smiths
    path = f"/meetings/{meeting_id}/attendance"
    sign_in(client, "administrator")
    page = get_page(client, path)
    headings = [_text(h) for h in page.xpath("//main//h2")]
    assert headings[:2] == ["Police", "Probation"] and "Housing" in headings and len(set(headings)) == len(headings)
    rows = {a.id: a for a in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id))}
    item = db.session.scalars(select(AgendaItem).where(AgendaItem.case_id == first.id)).one()
    police = next(r for r in rows.values() if r.agency == "Police" and r.agenda_item_id == item.id)
    housing = next(r for r in rows.values() if r.agency == "Housing" and r.agenda_item_id == item.id)
    token = csrf_token(client, path)
    too_long = client.post(path, data={"csrf_token": token, f"attendance-{police.id}": "present",
                                       f"person-{police.id}": "x" * 121})
    assert too_long.status_code == 422
    summary = check_page(too_long).xpath("//div[contains(@class, 'govuk-error-summary')]//a/@href")
    assert summary == [f"#field-person-{police.id}"]
    saved = client.post(path, data={"csrf_token": token, f"attendance-{police.id}": "present",
                                    f"person-{police.id}": " DS Jane Doe ", f"attendance-{housing.id}": "apologies",
                                    f"person-{housing.id}": "Hugo Using"})
    assert saved.status_code == 302 and saved.location == path
    db.session.expire_all()
    assert (db.session.get(Attendance, police.id).person, db.session.get(Attendance, police.id).status) == (
        "DS Jane Doe", "present")
    page = get_page(client, path)
    assert page.get_element_by_id(f"field-person-{police.id}").get("value") == "DS Jane Doe"
    labels = page.xpath(f"//select[@name='attendance-{housing.id}']/option[@selected]/text()")
    assert labels == ["Sent apologies"]

    sign_in(client, "police")  # reads attendance, does not record it: words, no form fields
    page = get_page(client, path)
    assert not page.xpath("//main//input[not(@type='hidden')] | //main//select")
    [police_table] = page.xpath("//h2[normalize-space()='Police']/following-sibling::div[1]//table")
    row = police_table.xpath(f".//tr[th[normalize-space()='John Smith ({first.reference})']]")[0]
    assert [_text(td) for td in row.xpath("td")] == ["DS Jane Doe", "Present"]
    assert "apologies" not in page.text_content().replace("Sent apologies", "")  # no raw status


def test_a_held_meetings_agenda_is_read_only_and_changes_are_refused(smiths: tuple[int, list[MappaCase]],
                                                                     api: Api, client: FlaskClient) -> None:
    meeting_id, cases = smiths
    on_its_day(meeting_id)
    assert api.post("chair", f"/api/v1/meetings/{meeting_id}/open").status_code == 200
    path = f"/meetings/{meeting_id}/agenda"
    sign_in(client, "coordinator")
    open_page = get_page(client, path)  # while it runs, the agenda can still be rearranged
    assert open_page.xpath("//button[normalize-space()='Save order and timings']")
    assert api.post("chair", f"/api/v1/meetings/{meeting_id}/close").status_code == 200

    page = get_page(client, path)
    assert "This meeting is held: its agenda can no longer be changed" in _text(page.get_element_by_id(
        "agenda-closed"))
    assert not page.xpath("//main//form | //main//input | //main//button")
    assert [_text(td) for td in page.xpath("//table[@id='agenda']/tbody/tr/td[1]")] == ["1", "2", "3"]
    assert _text(page.xpath("//table[@id='agenda']/tbody/tr[1]/td[4]")[0]) == "20 minutes"

    swapped = {"csrf_token": csrf_token(client, path)}
    for position, case in zip((3, 2, 1), cases, strict=True):
        swapped |= {f"position-{case.id}": str(position), f"minutes-{case.id}": "30"}
    refused = client.post(path, data=swapped)
    assert refused.status_code == 422
    assert "This meeting is held: its agenda can no longer be changed" in _text(
        check_page(refused).xpath("//div[contains(@class, 'govuk-error-summary')]")[0])
    db.session.expire_all()
    items = db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
                               .order_by(AgendaItem.position)).all()
    assert [(i.case_id, i.minutes_allotted) for i in items] == [(c.id, 20) for c in cases]
    with pytest.raises(ValidationFailed) as failed:
        meetings.arrange(api.users["coordinator"], meeting_id, [c.id for c in reversed(cases)], {})
    assert [e.field for e in failed.value.errors] == ["agenda"]


def test_the_chair_reads_submitted_minutes_as_text(app: Flask, api: Api, client: FlaskClient) -> None:
    case = _minutes_awaiting_approval(api, client)
    minutes = db.session.scalars(select(Minutes).where(Minutes.case_id == case.id)).one()
    sign_in(client, "chair")
    page = get_page(client, f"/meetings/{minutes.meeting_id}/minutes/{case.id}")
    assert _text(page.get_element_by_id("minutes-status")) == "Waiting for the chair's approval"
    text = page.get_element_by_id("minutes-text")
    assert _text(text.get_element_by_id("minutes-summary")) == "Discussed."
    assert _text(text.get_element_by_id("minutes-risk_assessment")) == "High risk to ex-partner."
    assert [_text(p) for p in text.get_element_by_id("minutes-level_decision").xpath("p")] == ["Level 3", "Agreed."]
    assert _text(text.get_element_by_id("minutes-next_review_date")) == "20 January 2027"
    assert not page.xpath("//*[@disabled] | //fieldset | //*[@id='minutes-editor']")
    assert not page.xpath("//textarea[@name='summary'] | //input[starts-with(@name, 'action-')]")
    listed = get_page(client, f"/meetings/{minutes.meeting_id}/minutes")
    assert [_text(td) for td in listed.xpath("//table[@id='minutes-items']/tbody//td[1]")] == [
        "Waiting for the chair's approval"]


def test_no_raw_values_on_the_overview(smiths: tuple[int, list[MappaCase]], api: Api, client: FlaskClient) -> None:
    meeting_id, _cases = smiths
    on_its_day(meeting_id)
    assert api.post("chair", f"/api/v1/meetings/{meeting_id}/open").status_code == 200
    sign_in(client, "coordinator")
    page = get_page(client, f"/meetings/{meeting_id}")
    rows = {_text(r.xpath("dt")[0]): _text(r.xpath("dd")[0]) for r in page.xpath("//dl[@id='meeting-details']/div")}
    assert rows["Status"] == "In progress" and rows["Agenda"] == "3 cases"
    assert datetime(2026, 12, 10, tzinfo=UTC).date().isoformat() not in page.text_content()
