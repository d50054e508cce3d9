"""Need to know at MAPP meetings, over HTTP (issue 9, holes 1 and 5).

A duty-to-co-operate agency sees a meeting only if it works on a case on it, and then only that case's item:
no other offender's name or reference, no research notes, papers or recordings (403, logged); a meeting it has no
part in is not found (404, logged). Minutes are approved by the meeting's own chair, not by any chair in the area.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.models import AccessLog, MappaCase, Minutes, User
from tests.api.conftest import Api
from tests.factories import considered_disclosure, csrf_token, make_user, on_its_day, sign_in
from tests.meetings.test_meeting_cycle import level2_case
from tests.pages import check_page, get_page

MEETING = "2026-12-10T10:00:00+00:00"
LATER_MEETING = "2027-01-07T10:00:00+00:00"
NOTE = "Seen twice near the victim's workplace"
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 413


@dataclass
class Agenda:
    meeting_id: int
    other_meeting_id: int
    health_case: MappaCase
    others: list[MappaCase]  # on the same agenda, worked on by police and probation only
    recording_id: int

    def secrets(self) -> list[str]:
        """What health must never read: the other offenders' names and references, and the research note."""
        return [NOTE] + [c.offender_name for c in self.others] + [c.reference for c in self.others]


def _schedule(api: Api, starts_at: str) -> int:
    made = api.post("administrator", "/api/v1/meetings", json={
        "area": "northshire", "level": 2, "starts_at": starts_at, "chair": "chair", "venue": "Northshire HQ"})
    assert made.status_code == 201, made.get_data(as_text=True)
    meeting_id = int(made.get_json()["id"])
    built = api.post("administrator", f"/api/v1/meetings/{meeting_id}/agenda/build")
    assert built.status_code == 200, built.get_data(as_text=True)
    return meeting_id


def _task(api: Api, username: str, case_id: int, name: str) -> dict:
    [task] = [t for t in api.get(username, f"/api/v1/tasks?case={case_id}").get_json()["tasks"] if t["name"] == name]
    return dict(task)


@pytest.fixture
def agenda(app: Flask, api: Api, client: FlaskClient) -> Agenda:
    users = api.users
    health_case = level2_case(users, "Harold Hughes", "2026-12-14", referrer="health")  # health referred it
    others = [level2_case(users, "Brian Brook", "2026-12-18"), level2_case(users, "Carl Carter", "2026-12-22")]
    meeting_id = _schedule(api, MEETING)
    level2_case(users, "Dean Dunn", "2026-12-23")  # created after the first agenda is built
    other_meeting_id = _schedule(api, LATER_MEETING)  # Dean Dunn only: nothing to do with health
    research = _task(api, "police", others[0].id, "Research agenda item (police)")
    done = api.post("police", f"/api/v1/tasks/{research['id']}/complete",
                    json={"data": {"issues_of_concern": NOTE, "flag_to_chair": True}})
    assert done.status_code == 200, done.get_data(as_text=True)
    sign_in(client, "administrator")
    page = f"/meetings/{meeting_id}"
    client.post(f"{page}/recordings", data={"csrf_token": csrf_token(client, page),
                                            "recording": (io.BytesIO(MP3), "meeting.mp3", "audio/mpeg")},
                content_type="multipart/form-data")
    [link] = get_page(client, f"{page}/recordings").xpath("//a[contains(@href, '/recordings/')]/@href")
    client.post("/sign-out", data={"csrf_token": csrf_token(client, page)})
    return Agenda(meeting_id, other_meeting_id, health_case, others, int(link.rsplit("/", 1)[1]))


def _refusals(username: str) -> list[str]:
    db.session.expire_all()
    user = db.session.scalars(select(User).where(User.username == username)).one()
    return list(db.session.scalars(select(AccessLog.event).where(AccessLog.user_id == user.id,
                                                                 AccessLog.event.like("%_refused"))))


def test_health_sees_only_its_own_case_on_the_agenda(agenda: Agenda, api: Api, client: FlaskClient) -> None:
    mine = agenda.health_case
    meeting = api.get("health", f"/api/v1/meetings/{agenda.meeting_id}")
    assert meeting.status_code == 200
    body = meeting.get_json()
    assert [i["offender_name"] for i in body["agenda"]] == [mine.offender_name]
    assert body["agenda_not_shown"] == 2
    assert body["agenda"][0]["research_flags"] is None
    assert {row["case_id"] for row in body["attendance"]} == {mine.id}
    listed = api.get("health", "/api/v1/meetings").get_json()["meetings"]
    assert [m["id"] for m in listed] == [agenda.meeting_id]

    sign_in(client, "health")
    page = get_page(client, f"/meetings/{agenda.meeting_id}/agenda")
    assert mine.offender_name in page.text_content()
    assert "2 other cases on this agenda, not shown" in " ".join(page.text_content().split())
    assert not page.xpath("//a[contains(@href, 'agenda.pdf') or contains(@href, '/recordings/')]")
    calendar = get_page(client, "/meetings")
    assert calendar.xpath(f"//a[@href='/meetings/{agenda.meeting_id}']")
    assert not calendar.xpath(f"//a[@href='/meetings/{agenda.other_meeting_id}']")
    parts = [get_page(client, f"/meetings/{agenda.meeting_id}{part}")
             for part in ("", "/agenda", "/attendance", "/minutes", "/recordings")]  # each answers 200 to health
    papers = "//a[contains(@href, '/recordings/') or contains(@href, '/minutes/')]"
    assert not [a for p in parts for a in p.xpath(papers)]
    texts = [meeting.get_data(as_text=True),
             *(lxml.html.tostring(p, encoding="unicode") for p in parts),
             api.get("health", "/api/v1/meetings").get_data(as_text=True),
             client.get("/meetings").get_data(as_text=True)]
    for text in texts:
        assert not [s for s in agenda.secrets() if s in text]


def test_health_is_refused_research_papers_recordings_and_other_meetings(agenda: Agenda, api: Api,
                                                                         client: FlaskClient) -> None:
    m, mine, other = agenda.meeting_id, agenda.health_case.id, agenda.others[0].id
    sign_in(client, "health")
    refused = {  # path -> status, for health
        f"/api/v1/meetings/{m}/agenda.pdf": 403, f"/meetings/{m}/agenda.pdf": 403,
        f"/api/v1/meetings/{m}/minutes/{mine}": 403, f"/api/v1/meetings/{m}/minutes/{mine}.pdf": 403,
        f"/meetings/{m}/minutes/{mine}": 403, f"/meetings/{m}/minutes/{mine}.pdf": 403,
        f"/meetings/{m}/minutes/{other}": 403, f"/api/v1/meetings/{m}/minutes/{other}": 403,
        f"/meetings/{m}/papers/{mine}": 403, f"/meetings/{m}/papers/{other}": 403,
        f"/meetings/{m}/recordings/{agenda.recording_id}": 403,
        f"/api/v1/meetings/{agenda.other_meeting_id}": 404, f"/meetings/{agenda.other_meeting_id}": 404,
        f"/meetings/{agenda.other_meeting_id}/invite.ics": 404,
        f"/api/v1/meetings/{agenda.other_meeting_id}/agenda.pdf": 403,  # papers: the role is refused first
    }
    for path, status in refused.items():
        response = api.get("health", path) if path.startswith("/api/") else client.get(path)
        assert response.status_code == status, path
        text = response.get_data(as_text=True)
        assert not [s for s in [*agenda.secrets(), "Dean Dunn"] if s in text], path
        if response.mimetype == "text/html":
            check_page(response)
    assert {"permission_refused", "meeting_access_refused"} <= set(_refusals("health"))
    assert len(_refusals("health")) == len(refused)


@pytest.mark.parametrize("username", ["police", "probation", "coordinator"])
def test_responsible_authority_and_mappa_unit_see_the_whole_meeting(agenda: Agenda, api: Api, client: FlaskClient,
                                                                    username: str) -> None:
    m = agenda.meeting_id
    body = api.get(username, f"/api/v1/meetings/{m}").get_json()
    names = [agenda.health_case.offender_name, *(c.offender_name for c in agenda.others)]
    assert sorted(i["offender_name"] for i in body["agenda"]) == sorted(names)
    assert body["agenda_not_shown"] == 0
    assert [f["concern"] for i in body["agenda"] for f in i["research_flags"]] == [NOTE]
    sign_in(client, username)
    page = " ".join(get_page(client, f"/meetings/{m}/agenda").text_content().split())
    assert all(name in page for name in names) and NOTE in page
    for path in (f"/meetings/{m}/agenda.pdf", f"/meetings/{m}/recordings/{agenda.recording_id}",
                 f"/meetings/{m}/papers/{agenda.others[0].id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()
    assert api.get(username, f"/api/v1/meetings/{m}/agenda.pdf").status_code == 200
    assert {x["id"] for x in api.get(username, "/api/v1/meetings").get_json()["meetings"]} == {
        m, agenda.other_meeting_id}
    assert _refusals(username) == []


# --- hole 5: the meeting's chair approves its minutes ------------------------------------------------------------

def _minutes_awaiting_approval(api: Api, client: FlaskClient) -> MappaCase:
    case = level2_case(api.users, "Adam Ashby", "2026-12-14")
    meeting_id = _schedule(api, MEETING)
    on_its_day(meeting_id)
    assert api.post("chair", f"/api/v1/meetings/{meeting_id}/open").status_code == 200
    path = f"/api/v1/meetings/{meeting_id}/minutes/{case.id}"
    sections = {"summary": "Discussed.", "risk_assessment": "High risk to ex-partner.",
                "level_decision": {"decision": "level_3", "rationale": "Agreed."}, "next_review_date": "2027-01-20"}
    saved = api.client.put(path, json={"sections": sections}, headers=api.headers("administrator") | {
        "If-Match": api.get("administrator", path).headers["ETag"]})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    sign_in(client, "administrator")
    page = f"/meetings/{meeting_id}/minutes/{case.id}"
    assert client.post(f"{page}/submit", data={"csrf_token": csrf_token(client, page)}).status_code == 302
    client.post("/sign-out", data={"csrf_token": csrf_token(client, page)})
    considered_disclosure(case.id)
    return case


def test_only_the_meetings_chair_approves_its_minutes(app: Flask, api: Api, client: FlaskClient) -> None:
    deputy = make_user("deputy_chair", {"chair"}, api.users["chair"].area, agency="Probation")
    api.users["deputy_chair"] = deputy
    db.session.commit()
    case = _minutes_awaiting_approval(api, client)
    task = _task(api, "chair", case.id, "Approve minutes")
    refused = api.post("deputy_chair", f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approval": "approve"}})
    assert refused.status_code == 403, refused.get_data(as_text=True)
    assert "Charles Chair" in refused.get_json()["error"]["message"]
    sign_in(client, "deputy_chair")
    url = f"/tasks/{task['id']}"
    page = client.post(url, data={"csrf_token": csrf_token(client, url), "approval": "approve"})
    assert page.status_code == 403
    assert "Only the meeting's chair, Charles Chair, can approve these minutes" in check_page(page).text_content()
    assert _refusals("deputy_chair") == ["minutes_approval_refused", "minutes_approval_refused"]
    db.session.expire_all()
    minutes = db.session.scalars(select(Minutes).where(Minutes.case_id == case.id)).one()
    assert minutes.status == "awaiting approval"
    assert db.session.get(MappaCase, case.id).level == 2
    assert task["assignee"] == "chair"  # in the meeting chair's inbox, not every chair's
    assert "Approve minutes" not in [t["name"] for t in api.get("deputy_chair", "/api/v1/tasks").get_json()["tasks"]]

    approved = api.post("chair", f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approval": "approve"}})
    assert approved.status_code == 200, approved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Minutes, minutes.id).status == "approved"
    assert db.session.get(MappaCase, case.id).level == 3


def test_the_coordinator_names_another_chair_who_then_approves(app: Flask, api: Api, client: FlaskClient) -> None:
    deputy = make_user("deputy_chair", {"chair"}, api.users["chair"].area, agency="Probation", display_name="Dee Puty")
    api.users["deputy_chair"] = deputy
    db.session.commit()
    case = _minutes_awaiting_approval(api, client)
    meeting_id = db.session.scalars(select(Minutes.meeting_id).where(Minutes.case_id == case.id)).one()
    task = _task(api, "chair", case.id, "Approve minutes")
    path = f"/api/v1/meetings/{meeting_id}/chair"
    assert api.client.put(path, json={"chair": "deputy_chair", "reason": "On leave"},
                          headers=api.headers("chair")).status_code == 403  # a chair does not pick their successor
    sign_in(client, "coordinator")
    page = f"/meetings/{meeting_id}"
    form = client.post(f"{page}/chair", data={"csrf_token": csrf_token(client, page), "chair": "police", "reason": ""})
    assert form.status_code == 422
    errors = check_page(form).xpath("//div[contains(@class, 'govuk-error-summary')]//a/@href")
    assert errors == ["#field-chair", "#field-reason"]

    changed = api.client.put(path, json={"chair": "deputy_chair", "reason": "Charles Chair is on leave"},
                             headers=api.headers("coordinator"))
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json()["chair"] == "deputy_chair"
    assert _task(api, "deputy_chair", case.id, "Approve minutes")["assignee"] == "deputy_chair"
    old_chair = api.post("chair", f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approval": "approve"}})
    assert old_chair.status_code == 403
    approved = api.post("deputy_chair", f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approval": "approve"}})
    assert approved.status_code == 200, approved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MappaCase, case.id).level == 3


def test_health_does_not_read_the_police_research_on_its_own_case(agenda: Agenda, api: Api,
                                                                 client: FlaskClient) -> None:
    """Research for a meeting is the Responsible Authority's and the MAPPA unit's (minutes:view), in the case's
    history and page too (found in review: the notes were in the history of a case health works on)."""
    case_id = agenda.health_case.id
    research = _task(api, "police", case_id, "Research agenda item (police)")
    note = "Drinks at the pub opposite the school"
    done = api.post("police", f"/api/v1/tasks/{research['id']}/complete",
                    json={"data": {"issues_of_concern": note, "flag_to_chair": True}})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert note in api.get("police", f"/api/v1/cases/{case_id}/history").get_data(as_text=True)
    history = api.get("health", f"/api/v1/cases/{case_id}/history")
    assert history.status_code == 200 and history.get_json()["events"]
    assert note not in history.get_data(as_text=True)
    sign_in(client, "health")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200 and note not in page.get_data(as_text=True)


def test_an_agency_owning_an_action_is_not_sent_to_minutes_it_may_not_read(app: Flask, api: Api,
                                                                           client: FlaskClient) -> None:
    """Before: housing's 'Complete agreed action' page linked to the minutes that agreed it ('Read the minutes',
    'Download the minutes (PDF)'), pages refused to housing (403, logged as minutes_refused against them)."""
    from tests.factories import ready_task
    from tests.web.test_meeting_papers_ui import _meeting_with_approved_sections

    meeting_id, case_id = _meeting_with_approved_sections(api.users, {
        "description": "Check the tenancy", "owner_role": "housing", "due": "2026-12-20"})
    task = ready_task(case_id, "complete_action")
    sign_in(client, "housing")
    page = get_page(client, f"/tasks/{task.id}")
    assert "Agreed at" in page.text_content()  # which meeting agreed it is the agency's to know
    assert not page.xpath("//a[contains(@href, '/minutes/')]")
    assert [client.get(href).status_code for href in page.xpath("//main//a/@href") if href.startswith("/meetings/")
            ] in ([], [200])  # whatever meeting page it links to opens for housing
    assert "minutes_refused" not in _refusals("housing")

    sign_in(client, "police")  # the Responsible Authority reads the minutes from the same page
    assert page_links(get_page(client, f"/tasks/{task.id}")) >= {f"/meetings/{meeting_id}/minutes/{case_id}"}


def page_links(page: lxml.html.HtmlElement) -> set[str]:
    return set(page.xpath("//a/@href"))
