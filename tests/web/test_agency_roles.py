"""Actions belong to the right people (issue 8): a task row names its owning role in words, not the lane it is drawn
in, and every duty-to-co-operate agency is a role that signs in and sees only the cases it works on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services import meetings
from services.db import db
from services.models import AccessLog, Attendance, CaseEvent, HumanTask, Minutes, User
from services.scheduler import sweep
from tests.api.conftest import Api, fields
from tests.api.test_api_lifecycle_actions import in_review_period
from tests.factories import (
    api_token_for,
    auth_header,
    considered_disclosure,
    create_case,
    make_area,
    make_user,
    ready_task,
    seeded,
    sign_in,
)
from tests.meetings.test_meeting_cycle import MEETING_AT
from tests.pages import get_page
from tests.web.test_case_actions_ui import flashed, post, summary_rows
from workflows.lanes import ACTION_OWNER_ROLES, DUTY_TO_COOPERATE_ROLES, ROLE_NAMES, ROLES


def inbox_rows(page: lxml.html.HtmlElement) -> list[dict[str, str]]:
    """The inbox table as rows of {column heading: cell text}."""
    table = page.get_element_by_id("inbox", None)
    if table is None:
        assert page.get_element_by_id("inbox-empty") is not None
        return []
    headings = [" ".join(th.text_content().split()) for th in table.xpath(".//thead//th")]
    return [
        dict(zip(headings, (" ".join(td.text_content().split()) for td in tr.xpath("./td")), strict=True))
        for tr in table.xpath(".//tbody/tr")
    ]


def open_task_holders(page: lxml.html.HtmlElement) -> dict[str, str]:
    """The case page's open tasks: task name -> who holds it."""
    rows = page.get_element_by_id("open-tasks").xpath(".//tbody/tr")
    return {" ".join(r[0].text_content().split()): " ".join(r[1].text_content().split()) for r in rows}


def agree(client: FlaskClient, case_id: int, owner_role: str, description: str = "Home visit") -> str:
    sign_in(client, "coordinator")
    return flashed(
        client,
        post(
            client,
            f"/cases/{case_id}/actions/new",
            {
                "description": description,
                "owner_role": owner_role,
                "due-day": "10",
                "due-month": "12",
                "due-year": "2026",
            },
        ),
    )


def test_an_action_for_police_shows_police_public_protection_not_the_lane(
    app: Flask, client: FlaskClient, clock: Any
) -> None:
    users = seeded()
    case_id = in_review_period(users)
    assert agree(client, case_id, "police") == (
        "Success Action recorded for Police Public Protection, due 10 December 2026"
    )

    sign_in(client, "police")
    [row] = [r for r in inbox_rows(get_page(client, "/tasks")) if r["Task"] == "Complete agreed action"]
    assert row["Role"] == "Police Public Protection"  # the lane it is drawn in is "Offender Manager"
    holders = open_task_holders(get_page(client, f"/cases/{case_id}"))
    assert holders["Complete agreed action"] == "Unclaimed (Police Public Protection)"
    task = ready_task(case_id, "complete_action")
    page = get_page(client, f"/tasks/{task.id}")
    assert page.get_element_by_id("task-role").text_content().strip() == "Police Public Protection"

    clock.set(datetime(2026, 12, 11, 12, tzinfo=UTC))
    sweep()  # overdue: the coordinator chases the owner, named in words
    db.session.commit()
    sign_in(client, "coordinator")
    chase = ready_task(case_id, "chase_action")
    assert summary_rows(get_page(client, f"/tasks/{chase.id}"), "task-context")["Action owned by"] == (
        "Police Public Protection"
    )

    sign_in(client, "probation")  # the offender manager's inbox does not get the police's action
    assert "Complete agreed action" not in [r["Task"] for r in inbox_rows(get_page(client, "/tasks"))]


def test_an_action_for_childrens_social_care_reaches_that_agency_and_only_its_case(
    app: Flask, client: FlaskClient
) -> None:
    users = seeded()
    southmoor_user = make_user(
        "south_childrens", {"childrens_social_care"}, make_area("southmoor"), agency="Children's social care"
    )
    case_id = in_review_period(users, children_flag=True)
    unrelated = in_review_period(users, offender_name="Unrelated Person")
    db.session.commit()
    page = get_page(client_signed_in(client, "coordinator"), f"/cases/{case_id}/actions/new")
    options = dict(
        zip(
            page.xpath("//select[@name='owner_role']/option/@value"),
            page.xpath("//select[@name='owner_role']/option/text()"),
            strict=True,
        )
    )
    assert options["childrens_social_care"] == "Children's Social Care"
    assert set(options) - {""} == set(ACTION_OWNER_ROLES)
    assert agree(client, case_id, "childrens_social_care", "Check the children's school has the safety plan") == (
        "Success Action recorded for Children's Social Care, due 10 December 2026"
    )

    sign_in(client, "childrens_services")
    [row] = inbox_rows(get_page(client, "/tasks"))
    assert (row["Task"], row["Role"]) == ("Complete agreed action", "Children's Social Care")
    assert [c for c in case_links(get_page(client, "/cases"))] == [case_id]
    get_page(client, f"/cases/{case_id}")
    get_page(client, f"/cases/{unrelated}", 404)
    task = ready_task(case_id, "complete_action")
    response = post(client, f"/tasks/{task.id}", {"action_outcome": "done", "action_note": "Safety plan shared"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert db.session.get(HumanTask, task.id).state == "completed"
    get_page(client, f"/cases/{case_id}")  # still theirs once the task is done: the role held a task on it

    refused = db.session.scalars(
        select(AccessLog.detail).where(
            AccessLog.user_id == users["childrens_services"].id, AccessLog.event == "case_access_refused"
        )
    ).all()
    assert f"case {unrelated}" in refused

    sign_in(client, southmoor_user.username)  # same role, another area: nothing of Northshire's
    assert inbox_rows(get_page(client, "/tasks")) == []
    get_page(client, f"/cases/{case_id}", 404)
    get_page(client, f"/tasks/{task.id}", 404)


def client_signed_in(client: FlaskClient, username: str) -> FlaskClient:
    sign_in(client, username)
    return client


def case_links(page: lxml.html.HtmlElement) -> list[int]:
    hrefs = page.xpath("//a[starts-with(@href, '/cases/')]/@href")
    return sorted({int(h.split("/")[2]) for h in hrefs if h.split("/")[2].isdigit()})


def test_another_areas_case_is_404_for_a_duty_to_cooperate_user(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    south = create_case(users["south_coordinator"], children_flag=True)
    sign_in(client, "childrens_services")
    get_page(client, f"/cases/{south.id}", 404)
    assert case_links(get_page(client, "/cases")) == []


def test_the_lead_agency_and_invited_agencies_see_the_case(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    yot_led = create_case(users["probation"], lead_agency="Youth Offending Team", offender_name="Young Person")
    probation_led = create_case(users["probation"], offender_name="Adult Person")
    sign_in(client, "yot")
    assert case_links(get_page(client, "/cases")) == [yot_led.id]
    get_page(client, f"/cases/{probation_led.id}", 404)

    victims = in_review_period(users, victims_flag=True, offender_name="Victim Case")
    quiet = in_review_period(users, offender_name="Quiet Case")
    sign_in(client, "victim_liaison")
    get_page(client, f"/cases/{victims}", 404)  # not invited yet
    [meeting] = meetings.schedule(
        users["administrator"], level=2, starts_at=MEETING_AT, chair="chair", venue="Northshire HQ"
    )
    meetings.build_agenda(users["administrator"], meeting.id)
    db.session.commit()
    get_page(client, f"/cases/{victims}")  # invited to discuss it
    invited = set(db.session.scalars(select(Attendance.agency)))
    assert "Victim liaison" in invited
    assert invited <= {role.agency for role in ROLES}, "meetings invite agencies by the names the roles carry"
    get_page(client, f"/cases/{quiet}", 404)  # on the agenda too, but victim liaison is not invited to it


def test_an_unknown_owner_role_is_refused_with_422_naming_owner_role(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users)
    api = Api(client, users)
    path = f"/api/v1/cases/{case_id}/actions"
    for owner in ("wizard", "referrer", "manager", "Police Public Protection"):
        assert fields(
            api.post("coordinator", path, json={"description": "Visit", "owner_role": owner, "due": "2026-12-10"})
        ) == ["owner_role"]
    sign_in(client, "coordinator")
    response = post(
        client,
        f"/cases/{case_id}/actions/new",
        {"description": "Visit", "owner_role": "wizard", "due-day": "10", "due-month": "12", "due-year": "2026"},
    )
    page = lxml.html.document_fromstring(response.get_data())
    assert page.xpath("//div[@class='govuk-error-summary']//a/@href") == ["#field-owner_role"]
    db.session.expire_all()
    assert db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "complete_action")).all() == []
    assert "action_agreed" not in db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)).all()

    created = api.post(
        "chair", path, json={"description": "Check the address", "owner_role": "immigration", "due": "2026-12-10"}
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    [task] = [t for t in created.get_json()["open_tasks"] if t["name"] == "Complete agreed action"]
    assert (task["role"], task["role_name"]) == ("immigration", "UK Visas and Immigration")


def test_every_duty_to_cooperate_role_gets_its_actions_and_only_their_cases(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    area = users["coordinator"].area
    case_id = in_review_period(users)
    unrelated = in_review_period(users, offender_name="Unrelated Person")
    api = Api(client, users)
    for role in sorted(DUTY_TO_COOPERATE_ROLES):
        person: User = make_user(f"dtc_{role}", {role}, area, agency=ROLE_NAMES[role])
        db.session.commit()
        body: dict[str, Any] = {"description": f"Action for {role}", "owner_role": role, "due": "2026-12-10"}
        assert api.post("coordinator", f"/api/v1/cases/{case_id}/actions", json=body).status_code == 201
        token = api_token_for(person)
        tasks = client.get(f"/api/v1/tasks?case={case_id}", headers=auth_header(token)).get_json()["tasks"]
        assert [(t["role"], t["role_name"]) for t in tasks] == [(role, ROLE_NAMES[role])]
        assert client.get(f"/api/v1/cases/{case_id}", headers=auth_header(token)).status_code == 200
        assert client.get(f"/api/v1/cases/{unrelated}", headers=auth_header(token)).status_code == 404


def test_minutes_actions_can_be_owned_by_a_duty_to_cooperate_agency(app: Flask, client: FlaskClient) -> None:
    from tests.web.test_meetings_ui import a_meeting_with_agenda

    meeting_id, case_ids = a_meeting_with_agenda(held=True)
    path = f"/meetings/{meeting_id}/minutes/{case_ids[0]}"
    sign_in(client, "administrator")
    page = get_page(client, path)
    select_ = page.get_element_by_id("field-actions-0-owner_role")
    offered = dict(zip(select_.xpath("./option/@value"), select_.xpath("./option/text()"), strict=True))
    assert offered == {key: ROLE_NAMES[key] for key in ACTION_OWNER_ROLES}
    form = {
        "etag": page.get_element_by_id("minutes-etag").get("value"),
        "summary": "Discussed in full.",
        "risk_assessment": "High.",
        "level_decision": "level_2",
        "level_rationale": "Agreed.",
        "next_review_date-day": "28",
        "next_review_date-month": "2",
        "next_review_date-year": "2027",
        "action-0-description": "Tell the school about the exclusion zone",
        "action-0-owner_role": "childrens_social_care",
        "action-0-due-day": "20",
        "action-0-due-month": "12",
        "action-0-due-year": "2026",
    }
    assert post(client, path, form).status_code == 302
    assert post(client, f"{path}/submit", {}, form_path=path).status_code == 302
    minutes = db.session.scalars(select(Minutes).where(Minutes.case_id == case_ids[0])).one()
    assert minutes.sections["actions"][0]["owner_agency"] == "Children's social care"

    sign_in(client, "chair")
    considered_disclosure(case_ids[0])
    approve = ready_task(case_ids[0], "approve_minutes")
    assert post(client, f"/tasks/{approve.id}", {"approval": "approve"}).status_code == 302
    sign_in(client, "childrens_services")
    [row] = inbox_rows(get_page(client, "/tasks"))
    assert (row["Task"], row["Role"]) == ("Complete agreed action", "Children's Social Care")
    get_page(client, f"/cases/{case_ids[0]}")
    get_page(client, f"/cases/{case_ids[1]}", 404)


def test_a_duty_to_cooperate_agency_asks_for_an_early_review_but_does_not_move_the_case(
    app: Flask, client: FlaskClient
) -> None:
    users = seeded()
    case_id = in_review_period(users, custody=True, release_date="2027-06-01", lead_agency="Youth Offending Team")
    history_before = history(case_id)
    sign_in(client, "yot")
    page = get_page(client, f"/cases/{case_id}")
    assert [a.text_content().strip() for a in page.xpath("//div[@id='case-actions']/a")] == ["Request an early review"]
    for path, form in [
        ("transfer", {"to_area": "southmoor", "reason": "Moved"}),
        ("lead", {"lead_agency": "Youth Offending Team", "reason": "Ours now"}),
        (
            "release-date",
            {"release_date-day": "1", "release_date-month": "5", "release_date-year": "2027", "reason": "x"},
        ),
    ]:
        get_page(client, f"/cases/{case_id}/{path}", 403)
        assert post(client, f"/cases/{case_id}/{path}", form, form_path=f"/cases/{case_id}").status_code == 403
    api = Api(client, users)
    for path, body in [
        ("transfer", {"to_area": "southmoor", "reason": "Moved"}),
        ("lead", {"lead_agency": "Probation", "reason": "x"}),
        ("release-date", {"release_date": "2027-05-01", "reason": "x"}),
    ]:
        assert api.post("yot", f"/api/v1/cases/{case_id}/{path}", json=body).status_code == 403
    assert history(case_id) == history_before  # nothing written

    response = post(
        client, f"/cases/{case_id}/early-review", {"reason": "intelligence", "detail": "Seen outside the school."}
    )
    assert "Early review requested" in flashed(client, response)


def history(case_id: int) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(CaseEvent.summary).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    )


def test_a_returned_referral_is_only_its_referrers_not_every_referrers(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["housing"], offender_name="Returned Referral")
    sign_in(client, "coordinator")
    check = ready_task(case.id, "check_referral")
    response = post(client, f"/tasks/{check.id}", {"referral_complete": "no", "missing_information": "Section 6"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    amend = ready_task(case.id, "amend_referral")
    assert (amend.role, amend.assignee_id) == ("referrer", users["housing"].id)

    sign_in(client, "yot")  # also a referrer, in the same area
    get_page(client, f"/cases/{case.id}", 404)
    get_page(client, f"/tasks/{amend.id}", 404)
    assert case.id not in case_links(get_page(client, "/cases"))
    sign_in(client, "housing")
    get_page(client, f"/cases/{case.id}")
    get_page(client, f"/tasks/{amend.id}")
