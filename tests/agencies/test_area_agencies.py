"""Duty-to-co-operate agencies set up per area (issue 14 item 7; CJA 2003 s.325(5)-(6), MAPPA.md section 1): the
s.325(6) list as one vocabulary, the coordinator's agencies page with each agency's memorandum of understanding,
roles refused for an agency the area does not work with, meetings inviting only the agencies that work with the
area, and a full journey over HTTP for an agency set up this way."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services import meetings
from services.db import db
from services.models import AccessLog, AgendaItem, AreaAgency, Attendance, HumanTask, User
from services.scheduler import sweep
from tests.api.test_api_lifecycle_actions import in_review_period
from tests.factories import api_token_for, auth_header, make_area, make_user, ready_task, seeded, sign_in
from tests.meetings.test_meeting_cycle import MEETING_AT
from tests.pages import get_page
from tests.web.test_agency_roles import agree, case_links, inbox_rows
from tests.web.test_case_actions_ui import flashed, post, summary_links
from workflows.lanes import (
    DTC_AGENCIES,
    DTC_AGENCY_BY_KEY,
    DUTY_TO_COOPERATE_ROLES,
    ROLE_BY_KEY,
    agency_roles,
    dtc_agency_of_role,
)

NHS_TRUST_MOU = {"enabled": "yes", "contact_name": "Safeguarding lead, Northshire NHS Trust",
                 "contact_email": "safeguarding@northshire.nhs.example", "mou_signed_on-day": "1",
                 "mou_signed_on-month": "4", "mou_signed_on-year": "2026", "mou_review_on-day": "1",
                 "mou_review_on-month": "4", "mou_review_on-year": "2027", "mou_reference": "MOU/NHS-TRUST/2026",
                 "mou_notes": "Signed at the SMB of March 2026."}


def agency_rows(page: lxml.html.HtmlElement) -> dict[str, list[str]]:
    """The agencies table: agency key -> its cells in words."""
    return {tr.get("data-agency"): [" ".join(td.text_content().split()) for td in tr.xpath("./td")]
            for tr in page.get_element_by_id("area-agencies").xpath(".//tbody/tr")}


def give_roles(client: FlaskClient, user: User, roles: list[str]) -> Any:
    sign_in(client, "coordinator")
    path = f"/admin/users/{user.id}/roles"
    get_page(client, path)
    return post(client, path, {"roles": roles})


def test_the_s325_6_list_is_one_vocabulary_with_a_role_for_each_agency() -> None:
    names = {a.name for a in DTC_AGENCIES}
    # the bodies the 2022 guidance lists that the first vocabulary lacked
    assert {"NHS England", "Integrated Care Board", "NHS Trust", "Social housing provider", "Border Force",
            "Immigration Enforcement"} <= names
    for agency in DTC_AGENCIES:
        roles = agency_roles(agency.key)
        assert roles, f"{agency.name} has no role to sign in with"
        assert all(ROLE_BY_KEY[r].duty_to_cooperate and ROLE_BY_KEY[r].agency == agency.name for r in roles)
    # the roles people already hold keep their keys and their agencies' names (meetings invite by them)
    for key, agency in [("childrens_social_care", "Children's social care"), ("housing", "Housing"),
                        ("immigration", "UK Visas and Immigration"), ("jobcentre", "Jobcentre Plus")]:
        assert ROLE_BY_KEY[key].agency == agency and dtc_agency_of_role(key) == DTC_AGENCY_BY_KEY[key]
    # victim liaison is probation's unit: it sees only its cases but is not a s.325(6) body set up per area
    assert dtc_agency_of_role("victim_liaison") is None
    assert {r for r in DUTY_TO_COOPERATE_ROLES if dtc_agency_of_role(r) is None} == {"victim_liaison"}


def test_the_coordinator_records_an_agency_and_its_memorandum(app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    sign_in(client, "coordinator")
    page = get_page(client, "/admin/agencies")
    rows = agency_rows(page)
    assert list(rows) == [a.key for a in DTC_AGENCIES]
    assert rows["nhs_trust"][0] == "Yes" and rows["nhs_trust"][2] == "Not recorded"  # not set up: works, no MoU

    response = post(client, "/admin/agencies/nhs_trust", NHS_TRUST_MOU)
    assert flashed(client, response) == ("Success NHS Trust saved: works with the area; memorandum in force")
    rows = agency_rows(get_page(client, "/admin/agencies"))
    assert rows["nhs_trust"] == ["Yes", "Safeguarding lead, Northshire NHS Trust safeguarding@northshire.nhs.example",
                                 "In force MOU/NHS-TRUST/2026", "1 April 2027"]
    row = db.session.scalars(select(AreaAgency).where(AreaAgency.agency == "nhs_trust")).one()
    assert (row.area_id, row.mou_signed_on, row.mou_review_on, row.mou_notes, row.updated_by_id) == (
        users["coordinator"].area_id, date(2026, 4, 1), date(2027, 4, 1), "Signed at the SMB of March 2026.",
        users["coordinator"].id)
    assert db.session.scalars(select(AccessLog.detail).where(AccessLog.event == "area_agency_set_up")).all() == [
        "NHS Trust: works with the area; memorandum MOU/NHS-TRUST/2026"]

    # the API lists every agency as the caller's area set it up (anyone signed in may read it)
    token = api_token_for(users["housing"])
    answer = client.get("/api/v1/area/agencies", headers=auth_header(token)).get_json()
    assert answer["area"] == "northshire" and len(answer["agencies"]) == len(DTC_AGENCIES)
    trust = next(a for a in answer["agencies"] if a["agency"] == "nhs_trust")
    assert trust == {"agency": "nhs_trust", "name": "NHS Trust", "statute": "NHS Trusts", "roles": ["nhs_trust"],
                     "works_with_area": True, "contact_name": "Safeguarding lead, Northshire NHS Trust",
                     "contact_email": "safeguarding@northshire.nhs.example", "memorandum": "In force",
                     "mou_signed_on": "2026-04-01", "mou_review_on": "2027-04-01",
                     "mou_reference": "MOU/NHS-TRUST/2026"}
    south = client.get("/api/v1/area/agencies", headers=auth_header(api_token_for(users["south_coordinator"])))
    assert {a["memorandum"] for a in south.get_json()["agencies"]} == {"Not recorded"}  # one area's, not another's

    # the review date passes: the page and the API say the memorandum is due for review
    clock.set(datetime(2027, 4, 2, 9, tzinfo=UTC))
    sign_in(client, "manager")
    assert agency_rows(get_page(client, "/admin/agencies"))["nhs_trust"][2] == "Review overdue MOU/NHS-TRUST/2026"
    token = api_token_for(users["housing"])  # (the first has expired by then)
    answer = client.get("/api/v1/area/agencies", headers=auth_header(token)).get_json()
    assert next(a for a in answer["agencies"] if a["agency"] == "nhs_trust")["memorandum"] == "Review overdue"


def test_bad_input_shows_the_error_summary_and_writes_nothing(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "coordinator")
    bad = NHS_TRUST_MOU | {"enabled": "", "contact_email": "not an address", "mou_review_on-year": "2025",
                           "mou_signed_on-day": "31", "mou_signed_on-month": "2"}
    response = post(client, "/admin/agencies/nhs_trust", bad)
    assert response.status_code == 422
    links = summary_links(lxml.html.document_fromstring(response.get_data()))
    assert links == {"#field-enabled": "Choose whether NHS Trust works with this area",
                     "#field-contact_email": "Enter an email address in the correct format, like "
                                             "name@example.gov.uk",
                     "#field-mou_signed_on": "Date the memorandum was signed must be a real date, like 31 3 2026"}
    response = post(client, "/admin/agencies/nhs_trust", NHS_TRUST_MOU | {"mou_review_on-year": "2025"})
    assert summary_links(lxml.html.document_fromstring(response.get_data())) == {
        "#field-mou_review_on": "Date the memorandum is to be reviewed must be after the date it was signed"}
    response = post(client, "/admin/agencies/nhs_trust", {"enabled": "yes", "mou_review_on-day": "1",
                                                          "mou_review_on-month": "4", "mou_review_on-year": "2027"})
    assert summary_links(lxml.html.document_fromstring(response.get_data())) == {
        "#field-mou_signed_on": "Enter the date the memorandum was signed to give its review date"}
    assert db.session.scalars(select(AreaAgency)).all() == []
    get_page(client, "/admin/agencies/wizards", 404)  # not a s.325(6) agency


def test_only_the_coordinator_and_manager_set_agencies_up_and_only_in_their_area(
    app: Flask, client: FlaskClient
) -> None:
    users = seeded()
    for username in ("administrator", "housing", "police"):
        sign_in(client, username)
        get_page(client, "/admin/agencies", 403)
        get_page(client, f"/admin/users/{users['housing'].id}/roles", 403)
    sign_in(client, "manager")
    get_page(client, "/admin/agencies")
    get_page(client, "/admin/users")
    get_page(client, f"/admin/users/{users['south_coordinator'].id}/roles", 404)  # another area's person
    response = post(client, f"/admin/users/{users['manager'].id}/roles", {"roles": ["manager", "coordinator"]})
    assert response.status_code == 422  # never one's own roles
    assert "You cannot change your own roles" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, users["manager"].id).roles == {"manager"}


def test_an_agency_not_working_with_the_area_cannot_be_given_roles_or_invited(
    app: Flask, client: FlaskClient
) -> None:
    users = seeded()
    nurse = make_user("trust_nurse", {"referrer"}, users["coordinator"].area, agency="NHS Trust",
                      display_name="Nina Nurse")
    case_id = in_review_period(users)
    db.session.commit()
    assert flashed(client, give_roles(client, nurse, ["nhs_trust"])) == "Success Nina Nurse's roles saved"
    agree(client, case_id, "nhs_trust", "Share the discharge plan")

    # the area says the NHS Trust does not work with it: refused while someone holds its role
    response = post(client, "/admin/agencies/nhs_trust", {"enabled": "no"})
    assert response.status_code == 422
    assert summary_links(lxml.html.document_fromstring(response.get_data())) == {
        "#field-enabled": "Nina Nurse still holds a role of NHS Trust: take it from them on their roles page first"}
    assert flashed(client, give_roles(client, nurse, ["referrer"])) == "Success Nina Nurse's roles saved"
    assert flashed(client, post(client, "/admin/agencies/nhs_trust", {"enabled": "no"})) == (
        "Success NHS Trust saved: does not work with the area; memorandum not recorded")

    # its role cannot be given to anyone in the area, and the page says why
    page = get_page(client, f"/admin/users/{nurse.id}/roles")
    assert "NHS Trust: not set up to work with this area" in page.text_content()
    response = give_roles(client, nurse, ["nhs_trust", "referrer"])
    assert response.status_code == 422
    assert summary_links(lxml.html.document_fromstring(response.get_data())) == {
        "#field-roles": "NHS Trust is not set up to work with this area, so no one here can be given its role "
                        "NHS Trust. Set the agency up first"}
    db.session.expire_all()
    assert db.session.get(User, nurse.id).roles == {"referrer"}
    response = give_roles(client, users["housing"], [])
    assert response.status_code == 422 and "Choose at least one role" in response.get_data(as_text=True)

    # nor can it be given a new action on the area's cases
    sign_in(client, "coordinator")
    response = post(client, f"/cases/{case_id}/actions/new", {"description": "Visit", "owner_role": "nhs_trust",
                                                               "due-day": "10", "due-month": "12", "due-year": "2026"})
    assert summary_links(lxml.html.document_fromstring(response.get_data())) == {
        "#field-owner_role": "NHS Trust does not work with this area: select another owner"}
    assert len(db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "complete_action")).all()) == 1

    # nor is it invited to the area's meetings, though it owns an action on the case; other agencies still are
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair",
                                  venue="Northshire HQ")
    assert [i.case_id for i in meetings.build_agenda(users["administrator"], meeting.id)] == [case_id]
    db.session.commit()
    invited = set(db.session.scalars(select(Attendance.agency).where(Attendance.meeting_id == meeting.id)))
    assert "NHS Trust" not in invited and {"Probation", "Police", "Housing"} <= invited

    # another area that does not say so keeps every agency
    south = make_area("southmoor")
    assert not db.session.scalars(select(AreaAgency).where(AreaAgency.area_id == south.id)).all()
    sign_in(client, "south_coordinator")
    assert agency_rows(get_page(client, "/admin/agencies"))["nhs_trust"][0] == "Yes"


def test_an_agency_set_up_in_the_area_works_its_cases_end_to_end(app: Flask, client: FlaskClient, clock: Any) -> None:
    """Set up the NHS Trust with its memorandum -> give a nurse its role -> it owns an action on one case and sees
    only that case -> it is invited to discuss that case at the meeting, and sees the meeting with that case
    only -> its action goes overdue and is chased -> it completes its task; it never sees the other case, and the
    same role in another area sees nothing of this one."""
    users = seeded()
    area = users["coordinator"].area
    nurse = make_user("trust_nurse", {"referrer"}, area, agency="NHS Trust", display_name="Nina Nurse")
    south_nurse = make_user("south_nurse", {"nhs_trust"}, make_area("southmoor"), agency="NHS Trust")
    ours = in_review_period(users, offender_name="Owen Ours")
    other = in_review_period(users, offender_name="Oscar Other")
    db.session.commit()

    sign_in(client, "coordinator")
    assert "works with the area" in flashed(client, post(client, "/admin/agencies/nhs_trust", NHS_TRUST_MOU))
    assert flashed(client, give_roles(client, nurse, ["nhs_trust"])) == "Success Nina Nurse's roles saved"
    people = get_page(client, "/admin/users").get_element_by_id("area-people")
    assert "Nina Nurse NHS Trust NHS Trust" in " ".join(people.text_content().split())
    assert agree(client, ours, "nhs_trust", "Share the discharge plan with the community team") == (
        "Success Action recorded for NHS Trust, due 10 December 2026")

    # the agency sees the case it works on, and only that one
    sign_in(client, "trust_nurse")
    [row] = inbox_rows(get_page(client, "/tasks"))
    assert (row["Task"], row["Role"]) == ("Complete agreed action", "NHS Trust")
    assert case_links(get_page(client, "/cases")) == [ours]
    get_page(client, f"/cases/{ours}")
    get_page(client, f"/cases/{other}", 404)

    # both cases come to the meeting; the NHS Trust is invited to discuss its case only, and sees only that item
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair",
                                  venue="Northshire HQ")
    assert sorted(i.case_id for i in meetings.build_agenda(users["administrator"], meeting.id)) == sorted([ours, other])
    db.session.commit()
    invited = {(case_id, agency) for case_id, agency in db.session.execute(
        select(AgendaItem.case_id, Attendance.agency).join(AgendaItem, AgendaItem.id == Attendance.agenda_item_id)
        .where(Attendance.meeting_id == meeting.id))}
    assert (ours, "NHS Trust") in invited and (other, "NHS Trust") not in invited
    get_page(client, f"/meetings/{meeting.id}")
    page = get_page(client, f"/meetings/{meeting.id}/agenda")
    assert f"/cases/{ours}" in page.xpath("//table//a/@href") and "Oscar Other" not in page.text_content()
    assert " ".join(page.get_element_by_id("agenda-not-shown").text_content().split()) == (
        "1 other case on this agenda, not shown: your agency does not work on it.")
    assert client.get(f"/meetings/{meeting.id}/minutes/{ours}").status_code == 403  # minutes come by distribution

    # the action goes overdue: the coordinator is given the chase
    clock.set(datetime(2026, 12, 11, 12, tzinfo=UTC))
    sweep()
    db.session.commit()
    chase = ready_task(ours, "chase_action")
    assert chase.role == "coordinator"

    # the agency completes its task
    sign_in(client, "trust_nurse")
    task = ready_task(ours, "complete_action")
    response = post(client, f"/tasks/{task.id}", {"action_outcome": "done", "action_note": "Plan shared"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.session.get(HumanTask, task.id).state == "completed"
    get_page(client, f"/cases/{ours}")
    get_page(client, f"/cases/{other}", 404)
    refused = db.session.scalars(select(AccessLog.detail).where(AccessLog.user_id == nurse.id,
                                                                AccessLog.event == "case_access_refused")).all()
    assert f"case {other}" in refused

    sign_in(client, south_nurse.username)  # the same agency's role in another area: nothing of Northshire's
    assert inbox_rows(get_page(client, "/tasks")) == []
    get_page(client, f"/cases/{ours}", 404)
    get_page(client, f"/meetings/{meeting.id}", 404)


def test_minutes_cannot_give_an_action_to_an_agency_not_working_with_the_area(
    app: Flask, client: FlaskClient
) -> None:
    from tests.web.test_meetings_ui import a_meeting_with_agenda

    meeting_id, case_ids = a_meeting_with_agenda(held=True)
    sign_in(client, "coordinator")
    assert "does not work with" in flashed(client, post(client, "/admin/agencies/adult_social_care", {"enabled": "no"}))
    path = f"/meetings/{meeting_id}/minutes/{case_ids[0]}"
    sign_in(client, "administrator")
    page = get_page(client, path)
    form = {"etag": page.get_element_by_id("minutes-etag").get("value"), "summary": "Discussed in full.",
            "risk_assessment": "High.", "level_decision": "level_2", "level_rationale": "Agreed.",
            "next_review_date-day": "28", "next_review_date-month": "2", "next_review_date-year": "2027",
            "action-0-description": "Assess care needs", "action-0-owner_role": "adult_social_care",
            "action-0-due-day": "20", "action-0-due-month": "12", "action-0-due-year": "2026"}
    assert post(client, path, form).status_code == 302  # a draft may say so while it is written
    response = post(client, f"{path}/submit", {}, form_path=path)
    assert response.status_code != 302
    assert "Adult social care does not work with this area: select another owner" in response.get_data(as_text=True)
    assert db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "approve_minutes")).all() == []


def test_a_memorandum_due_for_review_is_told_once_to_the_areas_coordinators(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    sign_in(client, "coordinator")
    flashed(client, post(client, "/admin/agencies/nhs_trust", NHS_TRUST_MOU))  # to be reviewed by 1 April 2027
    flashed(client, post(client, "/admin/agencies/border_force", NHS_TRUST_MOU | {
        "enabled": "no", "mou_reference": "MOU/BF/2026"}))  # not working with the area: nobody is told

    def told(username: str) -> list[str]:
        token = api_token_for(users[username])
        return [n["title"] for n in client.get("/api/v1/notifications", headers=auth_header(token)).get_json()[
            "notifications"]]

    sweep(datetime(2027, 3, 31, 12, tzinfo=UTC))  # the day before: nothing yet
    assert told("coordinator") == []
    sweep(datetime(2027, 4, 1, 8, tzinfo=UTC))
    sweep(datetime(2027, 4, 1, 8, 1, tzinfo=UTC))  # every sweep that day: still once
    sweep(datetime(2027, 4, 5, 8, tzinfo=UTC))
    assert told("coordinator") == ["Memorandum of understanding with NHS Trust is due for review"]
    assert told("manager") == told("south_coordinator") == told("housing") == []

    clock.set(datetime(2027, 4, 6, 9, tzinfo=UTC))  # reviewed: a new date, told again when it comes
    sign_in(client, "coordinator")
    flashed(client, post(client, "/admin/agencies/nhs_trust", NHS_TRUST_MOU | {"mou_review_on-year": "2028"}))
    sweep(datetime(2028, 4, 1, 8, tzinfo=UTC))
    assert told("coordinator") == ["Memorandum of understanding with NHS Trust is due for review"] * 2


def test_only_a_holder_of_a_mappa_unit_role_gives_or_takes_it(app: Flask, client: FlaskClient) -> None:
    """A manager gives people their agency roles, not the coordinator's (more rights than a manager's) nor takes
    it from the area's coordinator (found in review: both saved). A coordinator may make another coordinator."""
    users = seeded()
    housing, coordinator = users["housing"], users["coordinator"]
    housing_roles, coordinator_roles = set(housing.roles), set(coordinator.roles)
    assert "coordinator" in coordinator_roles and "coordinator" not in housing_roles
    sign_in(client, "manager")
    page = get_page(client, f"/admin/users/{housing.id}/roles")
    assert page.xpath("//input[@name='roles'][@value='coordinator']") == []  # not the manager's to give
    kept = " ".join(get_page(client, f"/admin/users/{coordinator.id}/roles").get_element_by_id(
        "kept-roles").text_content().split())
    assert kept.startswith(f"{coordinator.display_name} also holds MAPPA Coordinator: only someone who holds")
    response = post(client, f"/admin/users/{housing.id}/roles", {"roles": [*housing_roles, "coordinator"]})
    assert response.status_code == 422
    assert summary_links(lxml.html.document_fromstring(response.get_data())) == {
        "#field-roles": "Only a MAPPA Coordinator can give someone the MAPPA Coordinator role"}
    # the coordinator's checkbox cannot be unticked by a manager: saving their other roles keeps it
    assert flashed(client, post(client, f"/admin/users/{coordinator.id}/roles", {"roles": ["police"]})) == (
        f"Success {coordinator.display_name}'s roles saved")
    db.session.expire_all()
    assert db.session.get(User, housing.id).roles == housing_roles
    assert db.session.get(User, coordinator.id).roles == {"coordinator", "police"}
    # no box ticked: the coordinator keeps their role, and only that
    assert flashed(client, post(client, f"/admin/users/{coordinator.id}/roles", {}))
    db.session.expire_all()
    assert db.session.get(User, coordinator.id).roles == {"coordinator"}
    sign_in(client, "coordinator")
    assert flashed(client, post(client, f"/admin/users/{housing.id}/roles", {"roles": [*housing_roles, "coordinator"]}))
    db.session.expire_all()
    assert db.session.get(User, housing.id).roles == housing_roles | {"coordinator"}
