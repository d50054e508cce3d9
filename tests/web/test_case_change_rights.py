"""Who may transfer a case, change its lead or its release date, and work a task (issue 9, holes 3 and 4): the
rule lives in the services (services.permissions), so the pages and the API answer alike."""

from __future__ import annotations

from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.lifecycle import agree_action
from services.models import AccessLog, CaseEvent, MappaCase, User
from services.tasks import claim
from tests.api.conftest import Api, error_message, fields
from tests.api.test_api_lifecycle_actions import in_review_period
from tests.factories import create_case, make_user, ready_task, seeded, sign_in
from tests.lifecycle.test_lifecycle_api import identify
from tests.pages import check_page, get_page
from tests.web.test_case_actions_ui import flashed, post, summary_links


def _case(case_id: int) -> MappaCase:
    db.session.expire_all()
    return db.session.scalars(select(MappaCase).where(MappaCase.id == case_id)).one()


def _lead(case_id: int) -> tuple[str, str | None]:
    case = _case(case_id)
    return case.lead_agency, case.lead_officer.username if case.lead_officer else None


def _events(event: str, case_id: int) -> list[AccessLog]:
    db.session.expire_all()
    return list(db.session.scalars(select(AccessLog).where(AccessLog.event == event, AccessLog.case_id == case_id)))


def _police_manager(users: dict[str, User]) -> User:
    users["police_manager"] = make_user("police_manager", {"manager"}, users["coordinator"].area, agency="Police",
                                        display_name="Paula Sergeant")
    db.session.commit()
    return users["police_manager"]


def test_case_workers_cannot_name_the_lead_not_even_themselves(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users)  # probation-led, the probation officer leads
    agree_action(users["coordinator"], case_id, "Check the address", "housing", date(2026, 12, 10))
    db.session.commit()  # housing now works on the case and sees it
    api = Api(client, users)
    for username in ("housing", "probation", "police"):
        body = {"lead_agency": "Probation", "lead_officer": username, "reason": "I will lead"}
        assert api.post(username, f"/api/v1/cases/{case_id}/lead", json=body).status_code == 403, username
        sign_in(client, username)
        assert "Change lead agency or officer" not in get_page(client, f"/cases/{case_id}").text_content()
        get_page(client, f"/cases/{case_id}/lead", 403)
        assert post(client, f"/cases/{case_id}/lead", body, form_path=f"/cases/{case_id}").status_code == 403
    assert _lead(case_id) == ("Probation", "probation")


def test_the_new_lead_officer_holds_the_lead_agencys_lead_role(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users, lead_agency="Probation")
    api = Api(client, users)
    path = f"/api/v1/cases/{case_id}/lead"
    for agency, officer in (("Probation", "housing"), ("Probation", "police"), ("Police", "probation"),
                            ("Probation", "coordinator")):
        response = api.post("coordinator", path, json={"lead_agency": agency, "lead_officer": officer, "reason": "x"})
        assert fields(response) == ["lead_officer"], (agency, officer)
    assert "Offender Manager" in response.get_json()["error"]["errors"][0]["message"]

    sign_in(client, "coordinator")
    form = get_page(client, f"/cases/{case_id}/lead")
    assert "housing" not in form.xpath("//select[@id='field-lead_officer']/option/@value")
    refused = check_page(post(client, f"/cases/{case_id}/lead", {"lead_agency": "Police", "lead_officer": "probation",
                                                                 "reason": "Police lead now"}))
    assert list(summary_links(refused)) == ["#field-lead_officer"]
    assert _lead(case_id) == ("Probation", "probation")

    response = api.post("coordinator", path, json={"lead_agency": "Police", "lead_officer": "police", "reason": "x"})
    assert (response.status_code, _lead(case_id)) == (200, ("Police", "police"))
    changed = post(client, f"/cases/{case_id}/lead", {"lead_agency": "Probation", "lead_officer": "probation",
                                                      "reason": "Back to probation"})
    assert "Lead changed to Probation (Petra Obation)" in flashed(client, changed)
    assert _lead(case_id) == ("Probation", "probation")


def test_only_the_lead_agencys_manager_transfers_or_changes_the_lead(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users, lead_agency="Probation")
    _police_manager(users)
    api = Api(client, users)
    move = {"to_area": "southmoor", "reason": "Moved"}
    response = api.post("police_manager", f"/api/v1/cases/{case_id}/transfer", json=move)
    assert "cases:transfer" in error_message(response, 403)
    lead = {"lead_agency": "Police", "lead_officer": "police", "reason": "Ours"}
    assert api.post("police_manager", f"/api/v1/cases/{case_id}/lead", json=lead).status_code == 403
    sign_in(client, "police_manager")
    page = get_page(client, f"/cases/{case_id}")
    assert not {"Transfer to another MAPPA area", "Change lead agency or officer"} & {
        a.text_content().strip() for a in page.xpath("//div[@id='case-actions']/a")}
    get_page(client, f"/cases/{case_id}/transfer", 403)
    assert post(client, f"/cases/{case_id}/transfer", move, form_path=f"/cases/{case_id}").status_code == 403
    assert len(_events("case_transfer_refused", case_id)) == 3
    assert len(_events("case_lead_change_refused", case_id)) == 1
    assert _case(case_id).area.code == "northshire"

    # the probation manager manages the lead agency: they change the lead (to an officer of the new agency)
    response = api.post("manager", f"/api/v1/cases/{case_id}/lead", json=lead)
    assert (response.status_code, _lead(case_id)) == (200, ("Police", "police"))
    # now police lead: the police manager may transfer, the probation manager may not
    assert api.post("manager", f"/api/v1/cases/{case_id}/transfer", json=move).status_code == 403
    sign_in(client, "police_manager")
    response = post(client, f"/cases/{case_id}/transfer", {"to_area": "southmoor", "reason": "Moved to Southmoor"})
    assert response.status_code == 302 and response.headers["Location"] == "/cases"


def test_coordinator_transfer_needs_and_logs_the_reason(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users)
    sign_in(client, "coordinator")
    empty = check_page(post(client, f"/cases/{case_id}/transfer", {"to_area": "southmoor", "reason": ""}))
    assert list(summary_links(empty)) == ["#field-reason"]
    api = Api(client, users)
    assert fields(api.post("coordinator", f"/api/v1/cases/{case_id}/transfer",
                           json={"to_area": "southmoor", "reason": "  "})) == ["reason"]
    moved = post(client, f"/cases/{case_id}/transfer", {"to_area": "southmoor", "reason": "Approved premises"})
    assert "transferred to Southmoor" in flashed(client, moved)
    [event] = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                         CaseEvent.kind == "case_transferred"))
    assert event.actor_id == users["coordinator"].id and event.detail["reason"] == "Approved premises"
    assert "Approved premises" in event.summary
    logged = [row for row in _events("case_transfer_requested", case_id) if row.user_id == users["coordinator"].id]
    assert [row.detail for row in logged][-1] == "to southmoor: Approved premises"


def test_the_release_date_is_the_responsible_authoritys_or_the_coordinators(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users, custody=True, release_date="2027-06-01")
    api = Api(client, users)
    path = f"/api/v1/cases/{case_id}/release-date"
    for username in ("chair", "administrator", "manager", "housing"):
        body = {"release_date": "2027-05-01", "reason": "x"}
        assert api.post(username, path, json=body).status_code == 403, username
    sign_in(client, "chair")
    get_page(client, f"/cases/{case_id}/release-date", 403)
    for day, username in enumerate(("prison", "probation", "police", "coordinator"), start=1):
        response = api.post(username, path, json={"release_date": f"2027-05-0{day}", "reason": "Parole board"})
        assert response.status_code == 200, (username, response.get_data(as_text=True))


def test_a_lead_officer_without_the_lanes_role_leaves_the_task_in_the_pool(app: Flask, client: FlaskClient) -> None:
    api = Api(client, seeded())
    # the Level 1 review sits in the Offender Manager lane and names the lead officer; a police lead is not given it
    j = identify(app, api, lead_agency="Probation", notification_end="2030-09-30")
    j.post("coordinator", "lead", {"lead_agency": "Police", "lead_officer": "police", "reason": "Police lead"})
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 1,
                                                    "eligibility_facts": "SOA 2003 notification."})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS777"})
    j.tick("2027-02-11T09:30:00+00:00")
    review = j.task("probation", "Level 1 review")
    assert (review["assignee"], review["role"]) == (None, "offender_manager")
    assert "Level 1 review" not in j.names("police")
    history = api.get("coordinator", f"/api/v1/cases/{j.case_id}/history").get_json()["events"]
    refused = [e["summary"] for e in history if e["kind"] == "task_assignment_refused"]
    assert refused == ["'Level 1 review' not given to police: does not hold the offender manager role"]


def test_an_assigned_user_without_the_lanes_role_cannot_claim_or_complete(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    area = users["coordinator"].area
    users["cora"] = make_user("cora", {"coordinator"}, area, agency="MAPPA Unit", display_name="Cora Second")
    case = create_case(users["probation"])
    task = ready_task(case.id, "check_referral")
    claim(users["cora"], task.id)
    users["cora"].roles = {"administrator"}  # moved to the admin team: still named on the task
    db.session.commit()
    api = Api(client, users)
    done = {"referral_complete": "yes"}
    response = api.post("cora", f"/api/v1/tasks/{task.id}/complete", json={"data": done})
    assert error_message(response, 403) == "This task is for another role"
    assert api.post("cora", f"/api/v1/tasks/{task.id}/claim").status_code == 403
    sign_in(client, "cora")
    get_page(client, f"/tasks/{task.id}")
    assert post(client, f"/tasks/{task.id}", done).status_code == 403
    assert ready_task(case.id, "check_referral").state == "ready"
    assert len(_events("task_work_refused", case.id)) == 3


def test_a_new_lead_officer_gets_the_next_lead_step_the_old_one_does_not(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    users["piers"] = make_user("piers", {"offender_manager"}, users["probation"].area, display_name="Piers Obation")
    db.session.commit()
    api = Api(client, users)
    j = identify(app, api, lead_agency="Probation", notification_end="2030-09-30")
    j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 1,
                                                    "eligibility_facts": "SOA 2003 notification."})
    j.do("police", "Create or link ViSOR record", {"visor_reference": "VS777"})  # the review period waits
    j.post("coordinator", "lead", {"lead_agency": "Probation", "lead_officer": "piers", "reason": "Caseload"})
    j.tick("2027-02-11T09:30:00+00:00")
    review = j.task("piers", "Level 1 review")
    assert (review["assignee"], review["due"]) == ("piers", "2027-02-25")  # the review timer kept its date
    assert "Level 1 review" not in j.names("probation")
