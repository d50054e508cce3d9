"""Registered sex offender notification (issue 14 item 5, MAPPA.md §17) over HTTP with the injected clock: the
requirement makes the initial notification a police task due in 3 days; the initial notification sets the annual
date, the home visit and the notification period; a missed annual re-notification goes to the coordinator, who
finds a breach, and the police investigate; a change of address resets the annual date and goes to ViSOR; a
reported breach is investigated; late travel notice is flagged; only the police record, in their own area."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.models import (
    AccessLog,
    HumanTask,
    ProcessInstance,
    ReminderOutbox,
    RsoEvent,
    RsoRecord,
    VisorChange,
)
from services.scheduler import sweep
from tests.api.conftest import Api, error_message, fields
from tests.factories import create_case, make_area, make_user, ready_task, seeded, sign_in
from tests.lifecycle.test_lifecycle_api import open_case, screen
from tests.pages import get_page
from tests.platform.racing import RACERS, colleagues, race
from tests.web.test_case_actions_ui import flashed, post, summary_links

URL = "/api/v1/notifications/rso"
REQUIREMENT = {"kind": "requirement", "trigger": "conviction", "occurred_on": "2026-11-24",
               "disposal": "custody_over_6_under_30_months", "under_18": "no", "rosh": "low"}


def rso_tasks(case_id: int, bpmn_id: str) -> list[HumanTask]:
    db.session.expire_all()
    return list(db.session.scalars(select(HumanTask).where(
        HumanTask.case_id == case_id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == "ready")
        .order_by(HumanTask.due_date)))


def due_of(case_id: int) -> list[tuple[str, str]]:
    return [(str((t.context or {}).get("rso_due_label")), t.due_date.isoformat() if t.due_date else "")
            for t in rso_tasks(case_id, "take_notification")]


def events(case_id: int) -> list[tuple[str, bool]]:
    db.session.expire_all()
    return [(e.kind, e.late) for e in db.session.scalars(select(RsoEvent).where(RsoEvent.case_id == case_id)
                                                           .order_by(RsoEvent.id))]


def registered(api: Api, users: dict[str, Any], **changes: Any) -> int:
    case = create_case(users["probation"], offender_name="Ronald Register")
    response = api.post("police", URL, json={"case_id": case.id, **REQUIREMENT, **changes})
    assert response.status_code == 201, response.get_data(as_text=True)
    return case.id


def test_requirement_initial_notification_and_a_missed_annual_renotification_escalated(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    api = Api(client, users)
    case_id = registered(api, users)
    [task] = rso_tasks(case_id, "take_notification")
    assert (task.role, task.due_date, task.name) == ("police", date(2026, 11, 27), "Sex offender notification due")
    inbox = api.get("police", "/api/v1/tasks").get_json()["tasks"]  # the PPU's inbox shows what is due
    assert [(t["name"], t["due"]) for t in inbox if t["case_id"] == case_id] == [
        ("Sex offender notification due", "2026-11-27")]
    record = db.session.scalars(select(RsoRecord)).one()
    assert (record.period_end, record.indefinite) == (date(2036, 11, 24), False)  # 10 years

    response = api.post("police", URL, json={"case_id": case_id, "kind": "initial", "notified_on": "2026-11-25",
                                             "fixed_abode": "yes", "details": "12 High Street, Northtown."})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["kind"], body["due"], body["late"]) == ("initial", "2026-11-27", False)
    assert [(d["what"], d["due"]) for d in body["due_next"]] == [
        ("Annual re-notification", "2027-11-25"), ("Home visit (low risk of serious harm)", "2028-11-25")]
    assert api.post("police", URL, json={"case_id": case_id, "kind": "initial", "notified_on": "2026-11-25",
                                         "fixed_abode": "yes", "details": "Again."}).status_code == 409

    clock.set(datetime(2027, 11, 25, 20, tzinfo=UTC))  # due today: nothing yet
    sweep()
    assert rso_tasks(case_id, "consider_missed") == []
    clock.set(datetime(2027, 11, 26, 12, tzinfo=UTC))  # missed: the coordinator decides
    sweep()
    [missed] = rso_tasks(case_id, "consider_missed")
    assert (missed.role, missed.due_date) == ("coordinator", date(2027, 11, 30))  # 2 working days
    assert (missed.context or {}).get("rso_due_label") == "Annual re-notification"
    sign_in(client, "coordinator")
    page = get_page(client, f"/cases/{case_id}")
    due = " ".join(page.get_element_by_id("rso-due").text_content().split())
    assert "Annual re-notification: due 25 November 2027 Overdue" in due

    done = api.post("coordinator", f"/api/v1/tasks/{missed.id}/complete", json={"data": {
        "missed_outcome": "breach", "missed_note": "He did not attend and is not at his address."}})
    assert done.status_code == 200, done.get_data(as_text=True)
    [investigation] = rso_tasks(case_id, "investigate_breach")
    assert (investigation.role, investigation.due_date) == ("police", date(2027, 12, 24))
    assert events(case_id)[-1] == ("breach", False)
    done = api.post("police", f"/api/v1/tasks/{investigation.id}/complete", json={"data": {
        "investigation_outcome": "charged", "investigation_note": "Arrested and charged under s.91."}})
    assert done.status_code == 200, done.get_data(as_text=True)

    clock.set(datetime(2027, 12, 2, 9, tzinfo=UTC))  # 3 working days overdue: escalated like every late step
    sweep()
    [notification] = rso_tasks(case_id, "take_notification")[:1]
    escalated = db.session.scalars(select(ReminderOutbox.recipient_id).where(
        ReminderOutbox.rule == "escalation", ReminderOutbox.task_id == notification.id)).all()
    assert users["coordinator"].id in escalated
    late = api.post("police", URL, json={"case_id": case_id, "kind": "periodic", "notified_on": "2027-11-26",
                                         "fixed_abode": "yes", "details": "Attended a day late."})
    assert late.status_code == 201, late.get_data(as_text=True)
    assert late.get_json()["late"] is True
    assert ("Annual re-notification", "2028-11-26") in [(d["what"], d["due"]) for d in late.get_json()["due_next"]]
    assert events(case_id) == [("requirement", False), ("initial", False), ("breach", False), ("periodic", True)]


def test_change_of_address_resets_the_annual_date_and_goes_to_visor(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    api = Api(client, users)
    case_id = registered(api, users, disposal="custody_30_months_or_more", under_18="yes")
    assert api.post("police", URL, json={"case_id": case_id, "kind": "initial", "notified_on": "2026-11-25",
                                         "fixed_abode": "yes", "details": "First address."}).status_code == 201
    record = db.session.scalars(select(RsoRecord)).one()
    assert (record.indefinite, record.period_end, record.review_from) == (True, None, date(2034, 11, 25))
    clock.set(datetime(2027, 3, 10, 10, tzinfo=UTC))
    response = api.post("police", URL, json={"case_id": case_id, "kind": "change", "change": "address",
                                             "occurred_on": "2027-03-05", "notified_on": "2027-03-10",
                                             "details": "Moved to 3 Mill Lane, Northtown."})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert (response.get_json()["due"], response.get_json()["late"]) == ("2027-03-08", True)  # 3 days: late
    assert due_of(case_id)[0] == ("Annual re-notification", "2028-03-10")  # reset from the change
    cancelled = db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id,
                                                                 ProcessInstance.phase == "rso",
                                                                 ProcessInstance.status == "cancelled")).all()
    assert len(cancelled) == 1
    [change] = db.session.scalars(select(VisorChange).where(VisorChange.case_id == case_id)).all()
    assert change.kind == "address"
    assert ready_task(case_id, "update_visor").role == "offender_manager"  # the probation-led case's ViSOR user
    sign_in(client, "coordinator")
    rows = get_page(client, f"/cases/{case_id}").get_element_by_id("visor-pending").xpath(".//tbody/tr")
    assert [" ".join(td.text_content().split()) for td in rows[0].xpath("./td")][:2] == [
        "Address", "Address changed on 5 March 2027 (notified by the offender)"]


def test_missed_initial_notification_explained_and_a_reported_breach_investigated(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    api = Api(client, users)
    case_id = registered(api, users)
    clock.set(datetime(2026, 11, 28, 12, tzinfo=UTC))
    sweep()
    [missed] = rso_tasks(case_id, "consider_missed")
    done = api.post("coordinator", f"/api/v1/tasks/{missed.id}/complete", json={"data": {
        "missed_outcome": "no_breach", "missed_note": "In hospital; attends on Monday."}})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert rso_tasks(case_id, "investigate_breach") == []
    assert [t.bpmn_id for t in rso_tasks(case_id, "take_notification")] == ["take_notification"]  # still due

    response = api.post("police", URL, json={"case_id": case_id, "kind": "breach", "occurred_on": "2026-11-27",
                                             "details": "Seen staying at his sister's address, not notified."})
    assert response.status_code == 201, response.get_data(as_text=True)
    [investigation] = rso_tasks(case_id, "investigate_breach")
    assert (investigation.role, investigation.due_date) == ("police", date(2026, 12, 26))


def test_foreign_travel_notice_late_unless_short_notice_allowed(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    api = Api(client, users)
    case_id = registered(api, users)
    trip = {"case_id": case_id, "kind": "travel", "departure_on": "2026-11-30", "departure_time": "14:30",
            "details": "Spain, Ryanair FR123 from Stansted; returns 7 December."}
    homeless = api.post("police", URL, json={"case_id": case_id, "kind": "initial", "notified_on": "2026-11-25",
                                             "fixed_abode": "no", "details": "Sleeping rough in Northtown."})
    assert homeless.status_code == 201, homeless.get_data(as_text=True)
    assert due_of(case_id)[0] == ("Weekly notification (no fixed abode)", "2026-12-02")
    late = api.post("police", URL, json={**trip, "short_notice": "no"})
    assert (late.status_code, late.get_json()["late"], late.get_json()["due"]) == (201, True, "2026-11-23")
    short = api.post("police", URL, json={**trip, "short_notice": "yes"})
    assert (short.status_code, short.get_json()["late"]) == (201, False)


def test_bad_input_unknown_case_and_who_may_record(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    api = Api(client, users)
    case = create_case(users["probation"], offender_name="Ronald Register")
    assert sorted(fields(api.post("police", URL, json={"case_id": case.id, "kind": "requirement",
                                                       "trigger": "conviction"}))) == [
        "disposal", "occurred_on", "rosh", "under_18"]
    assert fields(api.post("police", URL, json={"case_id": case.id, **REQUIREMENT,
                                                "disposal": "conditional_discharge"})) == ["discharge_months"]
    assert "no notification record" in error_message(api.post("police", URL, json={
        "case_id": case.id, "kind": "breach", "occurred_on": "2026-11-20", "details": "x"}), 409)
    assert api.post("probation", URL, json={"case_id": case.id, **REQUIREMENT}).status_code == 403
    violent = create_case(users["probation"], offender_name="Victor Violent", category=2)
    assert "Only a Category 1 case" in error_message(api.post("police", URL, json={"case_id": violent.id,
                                                                                    **REQUIREMENT}), 409)
    south = make_area("southmoor")
    users["south_police"] = make_user("south_police", {"police"}, south, agency="Police")
    db.session.commit()
    assert api.post("south_police", URL, json={"case_id": case.id, **REQUIREMENT}).status_code == 404
    assert db.session.scalars(select(RsoRecord)).all() == []  # nothing half-written
    assert db.session.scalars(select(AccessLog).where(AccessLog.event.like("%refused"))).first() is not None


def test_the_case_page_section_and_recording_from_the_page(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["probation"], offender_name="Ronald Register")
    sign_in(client, "police")
    page = get_page(client, f"/cases/{case.id}")
    assert page.get_element_by_id("no-rso-record") is not None
    link = page.get_element_by_id("record-rso-event").get("href")
    response = post(client, link, {"kind": "requirement", "trigger": "conviction"})
    assert response.status_code == 200
    errors = summary_links(get_page_from(response))
    assert errors["#field-disposal"] == "Select the sentence or other disposal"
    message = flashed(client, post(client, link, {
        "kind": "requirement", "trigger": "caution", "occurred_on-day": "23", "occurred_on-month": "11",
        "occurred_on-year": "2026", "disposal": "caution", "under_18": "yes", "rosh": "medium"}))
    assert message == "Success Notification requirement starts recorded"
    page = get_page(client, f"/cases/{case.id}")
    record = " ".join(page.get_element_by_id("rso-record").text_content().split())
    assert "Caution (under 18)" in record and "until 23 November 2027" in record  # 2 years halved
    assert " ".join(page.get_element_by_id("rso-due").text_content().split()) == (
        "Initial notification: due 26 November 2026")
    task = ready_task(case.id, "take_notification")  # the initial notification, taken from the task page
    response = post(client, f"/tasks/{task.id}", {"notified_on-day": "25", "notified_on-month": "11",
                                                   "notified_on-year": "2026", "fixed_abode": "yes",
                                                   "details": "Attended Northtown police station."})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = get_page(client, f"/cases/{case.id}")
    assert page.get_element_by_id("rso-nothing-due") is not None  # the period ends before the annual date
    newest = page.get_element_by_id("rso-events").xpath(".//tbody/tr[1]/td")
    cells = [" ".join(td.text_content().split()) for td in newest]
    assert cells == ["25 November 2026", "Initial notification", "Attended Northtown police station.",
                     "26 November 2026"]
    sign_in(client, "probation")  # the Responsible Authority sees it but does not record
    page = get_page(client, f"/cases/{case.id}")
    assert page.get_element_by_id("rso-events") is not None
    assert not page.xpath("//a[@id='record-rso-event']")
    assert client.get(link).status_code == 403


def get_page_from(response: Any) -> Any:
    import lxml.html

    return lxml.html.fromstring(response.get_data(as_text=True))


def test_a_case_that_leaves_mappa_leaves_no_notification_work_and_takes_no_more(
        app: Flask, client: FlaskClient) -> None:
    """A registered sex offender who dies (or whose case otherwise closes) is not chased for an annual
    re-notification or visited at home for ever: the case's notification phases end with it, and no event starts
    new ones (found in review: the police kept both tasks, escalated every year, after the exit)."""
    users = seeded()
    api = Api(client, users)
    j = open_case(app, api, category=1, notification_end="2036-11-24", level_requested=2)
    screen(j, "accepted_level_2", first_review_due="2026-12-18")
    response = api.post("police", URL, json={"case_id": j.case_id, **REQUIREMENT})
    assert response.status_code == 201, response.get_data(as_text=True)
    response = api.post("police", URL, json={"case_id": j.case_id, "kind": "initial", "notified_on": "2026-11-25",
                                             "fixed_abode": "yes", "details": "12 High Street, Northtown."})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert [what for what, _due in due_of(j.case_id)] == ["Annual re-notification",
                                                          "Home visit (low risk of serious harm)"]
    j.post("police", "early-review", {"reason": "risk_change", "detail": "He has died."})
    j.do("chair", "MAPP meeting review", {"review_outcome": "exit", "review_rationale": "He has died."})
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "deceased",
                                                    "exit_date": "2026-11-25",
                                                    "early_exit_reason": "Death certificate seen."})
    assert j.case()["status"] == "exited"
    assert due_of(j.case_id) == []
    db.session.expire_all()
    assert db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == j.case_id,
                                                            ProcessInstance.phase == "rso",
                                                            ProcessInstance.status == "running")).all() == []
    phases = len(db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == j.case_id)).all())
    change = {"case_id": j.case_id, "kind": "change", "change": "address", "occurred_on": "2026-11-25",
              "notified_on": "2026-11-25", "details": "Moved."}
    breach = {"case_id": j.case_id, "kind": "breach", "occurred_on": "2026-11-25", "details": "Not at home."}
    for body in (change, breach):
        assert "closed" in error_message(api.post("police", URL, json=body), 409)
    db.session.expire_all()
    assert len(db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == j.case_id)).all()) == phases
    assert events(j.case_id) == [("requirement", False), ("initial", False)]  # nothing half-written


def test_police_recording_at_once_make_one_record_and_one_annual_date(app: Flask, client: FlaskClient) -> None:
    """Officers record the same requirement, then changes of details, at the same moment (real parallel requests):
    one notification record (the others 409, never a 500), and one annual re-notification due, from the last change
    (found in review)."""
    users = seeded()
    api = Api(client, users)
    case_id = create_case(users["probation"], offender_name="Ronald Register").id
    officers = colleagues(users, "police", RACERS)
    for name in officers:
        api.headers(name)  # tokens are made before the race: a racing thread has no app context
    results = race([lambda n=name: api.post(n, URL, json={"case_id": case_id, **REQUIREMENT}) for name in officers])
    assert sorted(r.status_code for r in results) == [201] + [409] * (RACERS - 1)
    initial = api.post("police", URL, json={"case_id": case_id, "kind": "initial", "notified_on": "2026-11-25",
                                            "fixed_abode": "yes", "details": "12 High Street, Northtown."})
    assert initial.status_code == 201, initial.get_data(as_text=True)
    change = {"case_id": case_id, "kind": "change", "change": "name", "occurred_on": "2026-11-25",
              "notified_on": "2026-11-25", "details": "Now uses the name Ron Smith."}
    results = race([lambda n=name: api.post(n, URL, json=change) for name in officers])
    assert [r.status_code for r in results] == [201] * RACERS
    assert [what for what, _due in due_of(case_id)] == ["Annual re-notification",
                                                        "Home visit (low risk of serious harm)"]
    db.session.expire_all()
    assert len(db.session.scalars(select(RsoRecord)).all()) == 1


def test_a_requirement_starting_at_release_runs_its_period_from_the_conviction(app: Flask, client: FlaskClient) -> None:
    """SOA 2003 s.82: the notification period begins with the relevant date, the conviction (caution or finding),
    even when the requirement is recorded at release; the initial notification is due 3 days after the release
    (s.83, time in custody disregarded). Found in review: the period ran from the release date, keeping an offender
    released after 18 months on the register, and in Category 1, 18 months too long."""
    users = seeded()
    api = Api(client, users)
    case_id = create_case(users["probation"], offender_name="Ronald Register").id
    release = {**REQUIREMENT, "case_id": case_id, "trigger": "release", "occurred_on": "2026-11-24"}
    assert fields(api.post("police", URL, json=release)) == ["convicted_on"]
    [error] = api.post("police", URL, json={**release, "convicted_on": "2026-11-25"}).get_json()["error"]["errors"]
    assert (error["field"], error["message"]) == ("convicted_on", "Date of the conviction, caution or finding must be "
                                                                  "on or before the date of the release")
    response = api.post("police", URL, json={**release, "convicted_on": "2025-05-20"})
    assert response.status_code == 201, response.get_data(as_text=True)
    db.session.expire_all()
    record = db.session.scalars(select(RsoRecord)).one()
    assert (record.relevant_date, record.period_end) == (date(2025, 5, 20), date(2035, 5, 20))  # 10 years
    assert due_of(case_id) == [("Initial notification", "2026-11-27")]  # 3 days after the release
    assert "convicted on 20 May 2025" in db.session.scalars(select(RsoEvent)).one().details
    other = create_case(users["probation"], offender_name="Rex Release").id
    sign_in(client, "police")  # the page asks for the conviction's date once the trigger is the release
    response = post(client, f"/cases/{other}/rso/new", {
        "kind": "requirement", "trigger": "release", "occurred_on-day": "24", "occurred_on-month": "11",
        "occurred_on-year": "2026", "disposal": "caution", "under_18": "no", "rosh": "low"})
    assert summary_links(get_page_from(response)) == {
        "#field-convicted_on": "Enter the date of the conviction, caution or finding"}


def test_a_case_that_leaves_mappa_ends_its_notification_tasks(app: Flask, client: FlaskClient, clock: Any) -> None:
    """Found in review: a registered sex offender's case exited (here: deceased) kept its 'Sex offender notification
    due' task, which nobody could record (a closed case takes no notification events), and once it was missed the
    coordinator was asked about a breach on the closed case."""
    from tests.lifecycle.test_lifecycle_api import Journey, screen

    users = seeded()
    api = Api(client, users)
    case_id = registered(api, users)
    j = Journey(app, api, case_id)
    screen(j, "accepted_level_2")
    j.post("police", "early-review", {"reason": "risk_change", "detail": "Reported deceased."})
    j.do("chair", "MAPP meeting review", {"review_outcome": "exit", "review_rationale": "Deceased."})
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "deceased",
                                                    "exit_date": "2026-11-25",
                                                    "early_exit_reason": "Death certificate seen."})
    assert [t["name"] for t in j.case()["open_tasks"]] == ["Update ViSOR"]
    assert rso_tasks(case_id, "take_notification") == []
    clock.set(datetime(2026, 12, 2, 12, tzinfo=UTC))  # past the initial notification's due date
    sweep()
    db.session.commit()
    assert rso_tasks(case_id, "consider_missed") == [] and j.names("coordinator") == []
    db.session.expire_all()
    assert not db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.case_id == case_id, ProcessInstance.phase == "rso",
        ProcessInstance.status.in_(("running", "error")))).all()
