"""Disclosure decisions (issue 14 item 1, MAPPA.md §9) over HTTP with the injected clock: a decision to disclose at a
Level 2 review is a task for the person delivering it, due the day set; delivering it puts the disclosure, with its
recipient, in the case's s.62 log; a decision not to disclose keeps its reason and starts nothing; a missed delivery
date goes overdue, is chased by the coordinator and escalated; and only those with a part in the case may record."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services import meetings
from services.db import db
from services.models import (
    AccessLog,
    CaseEvent,
    DisclosureDecision,
    HumanTask,
    MappaCase,
    Minutes,
    ProcessInstance,
    ReminderOutbox,
)
from services.scheduler import sweep
from tests.api.conftest import Api, fields
from tests.api.test_api_lifecycle_actions import in_review_period
from tests.factories import make_user, ready_task, seeded, sign_in
from tests.meetings.test_meeting_cycle import MEETING_AT, level2_case, minutes_text
from tests.pages import check_page, get_page
from tests.web.test_case_actions_ui import flashed, post, summary_links, summary_rows

DISCLOSE: dict[str, Any] = {
    "decision": "disclose", "recipient": "Mrs Ann Jones", "recipient_organisation": "Head teacher, St Mary's Primary",
    "information": "His conviction for offences against children and his licence condition not to approach the school.",
    "power": "common_law_police", "rationale": "He has been seen outside the school gates at home time.",
    "deliverer_role": "police", "deliverer": "police", "deliver_by-day": "4", "deliver_by-month": "12",
    "deliver_by-year": "2026", "offender_told_first": "no",
    "offender_not_told_reason": "Telling him first would raise the risk to the pupils.",
    "undertaking": "Keep it confidential, share it only with the deputy head, and use it only to protect pupils.",
}
NOT_DISCLOSE = {"decision": "not_disclose",
                "reason_not_disclosed": "The risk is managed by his licence conditions; disclosure is not necessary."}


def record(client: FlaskClient, case_id: int, data: dict[str, Any], username: str = "chair") -> str:
    sign_in(client, username)
    return flashed(client, post(client, f"/cases/{case_id}/disclosures/new", data))


def decisions() -> list[DisclosureDecision]:
    db.session.expire_all()
    return list(db.session.scalars(select(DisclosureDecision).order_by(DisclosureDecision.id)))


def disclosure_phases(case_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.case_id == case_id, ProcessInstance.phase == "disclosure")) or 0


def s62_rows(client: FlaskClient, case_id: int) -> list[list[str]]:
    """The case's access log page (who saw or was told), as rows of cell texts."""
    sign_in(client, "coordinator")
    page = get_page(client, f"/cases/{case_id}/access-log")
    return [[" ".join(td.text_content().split()) for td in tr.xpath("./td")]
            for tr in page.get_element_by_id("access-log").xpath(".//tbody/tr")]


def test_a_decision_to_disclose_on_a_level_2_case_is_delivered_and_logged(
        app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users)
    assert db.session.get(MappaCase, case_id).level == 2  # type: ignore[union-attr]
    assert record(client, case_id, DISCLOSE) == (
        "Success Disclosure to Mrs Ann Jones recorded: Police Public Protection to deliver it by 4 December 2026")

    task = ready_task(case_id, "deliver_disclosure")
    assert (task.due_date, task.role, task.assignee_id) == (date(2026, 12, 4), "police", users["police"].id)
    api = Api(client, users)
    inbox = api.get("police", "/api/v1/tasks").get_json()["tasks"]
    assert [(t["name"], t["due"], t["assignee"]) for t in inbox if t["case_id"] == case_id] == [
        ("Deliver disclosure", "2026-12-04", "police")]
    assert "Deliver disclosure" not in [t["name"] for t in api.get("probation", "/api/v1/tasks").get_json()["tasks"]]
    sign_in(client, "police")  # the task page shows what to disclose, to whom, and whether the offender is told
    shown = summary_rows(get_page(client, f"/tasks/{task.id}"), "task-context")
    assert shown["Disclose to"] == "Mrs Ann Jones (Head teacher, St Mary's Primary)"
    assert shown["Offender told first"] == "No: Telling him first would raise the risk to the pupils."
    assert shown["Power used"] == "Common law police power to disclose to protect the public"

    refused = api.post("police", f"/api/v1/tasks/{task.id}/complete",
                       json={"data": {"delivered_on": "2026-11-25", "delivery_method": "in_person"}})
    assert fields(refused) == ["data.undertaking_given"]
    assert decisions()[0].status == "to deliver"  # nothing half-written

    done = api.post("police", f"/api/v1/tasks/{task.id}/complete",
                    json={"data": {"delivered_on": "2026-11-25", "delivery_method": "in_person",
                                   "undertaking_given": "yes"}})
    assert done.status_code == 200, done.get_data(as_text=True)
    [row] = decisions()
    assert (row.status, row.delivered_on, row.delivery_method, row.undertaking_given, row.delivered_by_id) == (
        "delivered", date(2026, 11, 25), "in_person", True, users["police"].id)
    [logged] = [r for r in s62_rows(client, case_id) if r[2] == "Disclosure"]
    assert logged[1] == "PC Pat Rolman (Police)"  # who disclosed
    assert logged[3].startswith("to Mrs Ann Jones (Head teacher, St Mary's Primary) on 25 November 2026, in person; "
                                "power: Common law police power")
    assert "undertaking given" in logged[3]

    page = get_page(client, f"/cases/{case_id}")
    [cells] = [[" ".join(td.text_content().split()) for td in tr.xpath("./td")]
               for tr in page.get_element_by_id("disclosure-decisions").xpath(".//tbody/tr")]
    assert cells[1:3] == ["Disclose", "Mrs Ann Jones (Head teacher, St Mary's Primary): " + DISCLOSE["information"]]
    assert cells[4] == "Delivered on 25 November 2026, undertaking given"
    assert "Offender not told first: Telling him first would raise the risk to the pupils." in cells[3]


def test_a_level_2_meeting_review_records_its_decision_from_the_minutes(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    case = level2_case(users, "Adam Ashby", "2026-12-14")
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair",
                                  venue="Northshire HQ")
    meetings.build_agenda(users["administrator"], meeting.id)
    clock.set(MEETING_AT)
    meetings.open_meeting(users["chair"], meeting.id)
    db.session.commit()
    minutes_url = f"/meetings/{meeting.id}/minutes/{case.id}"
    sign_in(client, "administrator")  # the minute-taker: the meeting has not considered disclosure yet
    page = get_page(client, minutes_url)
    assert page.get_element_by_id("no-review-disclosure-decision") is not None
    link = page.get_element_by_id("record-review-disclosure").get("href")
    minutes_id = db.session.scalars(select(Minutes.id).where(Minutes.case_id == case.id)).one()
    assert link == f"/cases/{case.id}/disclosures/new?minutes={minutes_id}"
    get_page(client, f"/cases/{case.id}/disclosures/new?minutes=99999", status=404)  # not this case's minutes

    decided = {**DISCLOSE, "deliver_by-day": "18"}  # a week after the meeting on 10 December
    response = post(client, link, decided)
    assert response.headers["Location"] == minutes_url
    assert flashed(client, response) == (
        "Success Disclosure to Mrs Ann Jones recorded: Police Public Protection to deliver it by 18 December 2026")
    [row] = decisions()
    assert (row.minutes_id, row.decided_by_id) == (minutes_id, users["administrator"].id)
    task = ready_task(case.id, "deliver_disclosure")
    assert (task.due_date, task.assignee_id) == (date(2026, 12, 18), users["police"].id)
    page = get_page(client, minutes_url)
    assert page.get_element_by_id("no-review-disclosure-decision", None) is None
    assert " ".join(page.get_element_by_id("review-disclosure-decisions").text_content().split()) == (
        "Disclose: Mrs Ann Jones (Head teacher, St Mary's Primary), to deliver by 18 December 2026")
    history = db.session.scalars(select(CaseEvent.summary).where(CaseEvent.kind == "disclosure_decided")).one()
    assert history.startswith("At the MAPP meeting of 10 December 2026: Disclosure to Mrs Ann Jones")


def test_a_decision_not_to_disclose_keeps_its_reason_and_starts_no_task(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users)
    assert record(client, case_id, NOT_DISCLOSE, username="coordinator") == (
        "Success Decision not to disclose recorded")
    [row] = decisions()
    assert (row.decision, row.rationale, row.status, row.recipient, row.process_instance_id) == (
        "not_disclose", NOT_DISCLOSE["reason_not_disclosed"], "not disclosed", None, None)
    assert disclosure_phases(case_id) == 0
    assert db.session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.case_id == case_id, HumanTask.name == "Deliver disclosure")) == 0
    assert [r for r in s62_rows(client, case_id) if r[2] == "Disclosure"] == []
    page = get_page(client, f"/cases/{case_id}")
    text = " ".join(page.get_element_by_id("disclosure-decisions").text_content().split())
    assert "Do not disclose Nobody" in text and NOT_DISCLOSE["reason_not_disclosed"] in text


def test_a_missed_delivery_date_goes_overdue_is_chased_and_escalated(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    case_id = in_review_period(users)
    record(client, case_id, {**DISCLOSE, "deliverer": ""})  # anyone in the police role may pick it up
    task = ready_task(case_id, "deliver_disclosure")
    assert (task.assignee_id, task.due_date) == (None, date(2026, 12, 4))

    clock.set(datetime(2026, 12, 4, 18, tzinfo=UTC))  # still due today: nothing happens
    sweep()
    assert ready_task(case_id, "deliver_disclosure").overdue is False
    clock.set(datetime(2026, 12, 5, 12, tzinfo=UTC))  # the overdue timer is set for 09:00 the next day
    sweep()
    assert ready_task(case_id, "deliver_disclosure").overdue is True
    chase = ready_task(case_id, "chase_disclosure")
    assert (chase.role, chase.due_date) == ("coordinator", date(2026, 12, 8))  # 2 working days: Mon 7, Tue 8
    sign_in(client, "coordinator")
    shown = summary_rows(get_page(client, f"/tasks/{chase.id}"), "task-context")
    assert (shown["Delivered by"], shown["Deliver by"]) == ("Police Public Protection", "4 December 2026")

    clock.set(datetime(2026, 12, 11, 9, tzinfo=UTC))  # more than 3 working days late: escalated
    sweep()
    escalated = db.session.scalars(select(ReminderOutbox.recipient_id).where(
        ReminderOutbox.rule == "escalation", ReminderOutbox.task_id == task.id)).all()
    assert users["coordinator"].id in escalated

    api = Api(client, users)
    response = api.post("coordinator", f"/api/v1/tasks/{chase.id}/complete",
                        json={"data": {"chase_note": "Spoke to the police PPU: delivering on Monday."}})
    assert response.status_code == 200, response.get_data(as_text=True)
    response = api.post("police", f"/api/v1/tasks/{task.id}/complete",
                        json={"data": {"delivered_on": "2026-12-11", "delivery_method": "letter",
                                   "undertaking_given": "yes"}})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert decisions()[0].status == "delivered"
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.case_id == case_id, ProcessInstance.phase == "disclosure",
        ProcessInstance.status == "completed")) == 1


def test_only_the_coordinator_chair_and_lead_officer_record_and_others_cannot_see(
        app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users)
    outsider = make_user("housing_elsewhere", {"housing"}, users["coordinator"].area, agency="Housing")
    south = make_user("south_police", {"police"}, users["south_coordinator"].area, agency="Police")
    db.session.commit()
    # a duty-to-co-operate user not on the case: their role never records (403), and the case is not theirs to see
    sign_in(client, outsider.username)
    get_page(client, f"/cases/{case_id}/disclosures/new", status=403)
    assert post(client, f"/cases/{case_id}/disclosures/new", DISCLOSE, "/account/tokens").status_code == 403
    get_page(client, f"/cases/{case_id}", status=404)
    sign_in(client, south.username)  # police of another area: no such case
    get_page(client, f"/cases/{case_id}/disclosures/new", status=404)
    assert post(client, f"/cases/{case_id}/disclosures/new", DISCLOSE, "/account/tokens").status_code == 404
    get_page(client, f"/cases/{case_id}", status=404)
    sign_in(client, "police")  # the police see the case but do not lead it
    get_page(client, f"/cases/{case_id}/disclosures/new", status=403)
    assert get_page(client, f"/cases/{case_id}").get_element_by_id("record-disclosure", None) is None
    sign_in(client, "health")  # the health agency is not on this case at all
    get_page(client, f"/cases/{case_id}/disclosures/new", status=404)
    assert decisions() == []
    refusals = db.session.scalars(select(AccessLog.event).where(AccessLog.event.like("%refused"))).all()
    assert "disclosure_decision_refused" in refusals and "case_access_refused" in refusals

    case = db.session.get(MappaCase, case_id)
    assert case is not None and case.lead_officer_id == users["probation"].id  # the case's lead officer may record
    assert record(client, case_id, NOT_DISCLOSE, username="probation") == "Success Decision not to disclose recorded"


def test_validation_errors_name_their_fields_and_write_nothing(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users)
    sign_in(client, "chair")
    url = f"/cases/{case_id}/disclosures/new"
    page = check_page(post(client, url, {}))
    assert summary_links(page) == {"#field-decision": "Select whether to disclose"}

    page = check_page(post(client, url, {"decision": "disclose", "offender_told_first": "no"}))
    assert list(summary_links(page)) == [f"#field-{name}" for name in (
        "recipient", "recipient_organisation", "information", "power", "rationale", "deliverer_role", "deliver_by",
        "offender_not_told_reason", "undertaking")]

    page = check_page(post(client, url, {"decision": "not_disclose"}))
    assert summary_links(page) == {"#field-reason_not_disclosed": "Enter why the information is not disclosed"}

    late = {**DISCLOSE, "deliver_by-day": "24", "deliver_by-month": "11"}
    assert list(summary_links(check_page(post(client, url, late)))) == ["#field-deliver_by"]

    wrong_person = {**DISCLOSE, "deliverer": "housing"}  # Housing does not work as Police Public Protection
    page = check_page(post(client, url, wrong_person))
    assert summary_links(page) == {"#field-deliverer": "Hugo Using does not work as Police Public Protection: choose "
                                                 "someone who does, or leave it blank"}
    assert decisions() == [] and disclosure_phases(case_id) == 0



API_DISCLOSE: dict[str, Any] = {
    **{k: v for k, v in DISCLOSE.items() if not k.startswith("deliver_by-")}, "deliver_by": "2026-12-04"}


def test_the_api_records_a_decision_201_reads_them_logged_and_names_bad_fields_422(
        app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users)
    api = Api(client, users)
    url = f"/api/v1/cases/{case_id}/disclosures"
    assert api.get("police", url).get_json() == {"case_id": case_id, "decisions": []}

    refused = api.post("chair", url, json={"decision": "disclose", "power": "hearsay", "offender_told_first": "no"})
    assert refused.status_code == 422
    assert "power" in fields(refused)  # not a power of the vocabulary (services.disclosures.POWERS)
    refused = api.post("chair", url, json={"decision": "disclose", "offender_told_first": "no"})
    assert fields(refused) == ["recipient", "recipient_organisation", "information", "power", "rationale",
                               "deliverer_role", "deliver_by", "offender_not_told_reason", "undertaking"]
    assert api.post("police", url, json=NOT_DISCLOSE).status_code == 403  # the police do not lead this case
    assert decisions() == [] and disclosure_phases(case_id) == 0  # nothing half-written

    created = api.post("chair", url, json=API_DISCLOSE)
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert (body["decision"], body["status"], body["deliver_by"], body["deliverer"], body["decided_by"]) == (
        "disclose", "to deliver", "2026-12-04", "police", "chair")
    assert created.headers["Location"].endswith(url)
    assert ready_task(case_id, "deliver_disclosure").due_date == date(2026, 12, 4)
    assert api.post("coordinator", url, json=NOT_DISCLOSE).status_code == 201

    listed = api.get("police", url)
    assert listed.status_code == 200
    assert [(d["decision"], d["status"]) for d in listed.get_json()["decisions"]] == [
        ("not_disclose", "not disclosed"), ("disclose", "to deliver")]
    logged = db.session.scalars(select(AccessLog.user_id).where(AccessLog.event == "disclosure_decisions_viewed",
                                                                AccessLog.case_id == case_id)).all()
    assert logged == [users["police"].id, users["police"].id]
    assert api.get("housing", url).status_code == 403  # a duty-to-co-operate role does not read decisions


def test_minutes_of_a_level_2_review_are_not_approved_until_disclosure_is_decided(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    case = level2_case(users, "Adam Ashby", "2026-12-14")
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair",
                                  venue="Northshire HQ")
    meetings.build_agenda(users["administrator"], meeting.id)
    clock.set(MEETING_AT)
    meetings.open_meeting(users["chair"], meeting.id)
    minutes = meetings.minutes_for(users["administrator"], meeting.id, case.id)
    meetings.save_minutes(users["administrator"], meeting.id, case.id, minutes_text("level_2", "2027-03-01"),
                          meetings.etag(minutes))
    meetings.submit_for_approval(users["administrator"], meeting.id, case.id)
    db.session.commit()
    approve = ready_task(case.id, "approve_minutes")

    api = Api(client, users)
    refused = api.post("chair", f"/api/v1/tasks/{approve.id}/complete", json={"data": {"approval": "approve"}})
    assert refused.status_code == 422
    [error] = refused.get_json()["error"]["errors"]
    assert error["field"] == "data.approval"
    assert error["message"].startswith("Record a disclosure decision for this review before approving the minutes")
    sign_in(client, "chair")
    page = check_page(post(client, f"/tasks/{approve.id}", {"approval": "approve"}))
    assert list(summary_links(page)) == ["#field-approval"]
    assert ready_task(case.id, "approve_minutes").state == "ready"  # nothing half-written
    assert db.session.get(Minutes, minutes.id).status == "awaiting approval"  # type: ignore[union-attr]

    # the chair records the review's decision from the minutes page's link, then approves
    flashed(client, post(client, f"/cases/{case.id}/disclosures/new?minutes={minutes.id}", NOT_DISCLOSE))
    assert [row.minutes_id for row in decisions()] == [minutes.id]
    done = api.post("chair", f"/api/v1/tasks/{approve.id}/complete", json={"data": {"approval": "approve"}})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert db.session.get(Minutes, minutes.id).status == "approved"  # type: ignore[union-attr]


def test_a_disclosure_is_not_delivered_before_it_was_decided(app: Flask, client: FlaskClient, clock: Any) -> None:
    """The delivery date is on or after the day of the decision: a disclosure 'made' years before anyone decided it
    would put a false date in the case's s.62 log (found in review: 1 January 2020 was accepted). 422 naming the
    field on the API, the error summary on the task page, nothing written."""
    users = seeded()
    case_id = in_review_period(users)
    clock.set(datetime(2026, 11, 27, 10, tzinfo=UTC))
    record(client, case_id, DISCLOSE)
    task = ready_task(case_id, "deliver_disclosure")
    api = Api(client, users)
    early = {"delivered_on": "2026-11-26", "delivery_method": "in_person", "undertaking_given": "yes"}
    refused = api.post("police", f"/api/v1/tasks/{task.id}/complete", json={"data": early})
    assert fields(refused) == ["data.delivered_on"]
    assert "27 November 2026" in refused.get_json()["error"]["errors"][0]["message"]
    sign_in(client, "police")
    response = post(client, f"/tasks/{task.id}", {"delivered_on-day": "1", "delivered_on-month": "1",
                                                   "delivered_on-year": "2020", "delivery_method": "in_person",
                                                   "undertaking_given": "yes"})
    assert response.status_code == 200
    [message] = summary_links(check_page(response)).values()
    assert message.startswith("Date the disclosure was made must be on or after 27 November 2026")
    assert [(d.status, d.delivered_on) for d in decisions()] == [("to deliver", None)]
    assert db.session.scalars(select(AccessLog).where(AccessLog.event == "disclosure")).all() == []
    on_the_day = early | {"delivered_on": "2026-11-27"}
    done = api.post("police", f"/api/v1/tasks/{task.id}/complete", json={"data": on_the_day})
    assert done.status_code == 200, done.get_data(as_text=True)
