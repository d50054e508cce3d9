"""Critical Public Protection Cases (issue 14 item 3, MAPPA.md §12; the CPPC criteria are UNCONFIRMED) over HTTP with
the injected clock: a Level 3 case flagged by the coordinator runs bpmn/critical_case.bpmn on the real engine (the
CPPC referral, the senior manager's decision, the national notification to HMPPS Public Protection Group, the
flag's reviews until de-registered), each step's missed deadline escalated; only a Level 3 case can be flagged."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.models import AccessLog, CriticalFlag, HumanTask, ProcessInstance, User
from services.scheduler import sweep
from tests.api.conftest import Api, fields
from tests.api.test_api_lifecycle_actions import in_review_period
from tests.factories import csrf_token, ready_task, seeded, sign_in
from tests.lifecycle.test_lifecycle_api import Journey
from tests.pages import check_page, get_page
from tests.platform.racing import RACERS, colleagues, race
from tests.web.test_case_actions_ui import action_links, flashed, post, summary_links, summary_rows

REASON = "He has made threats to kill a public figure and there is national media interest."
REFERRAL = {"cppc_risk_summary": "Imminent risk of serious harm to a named MP.",
            "cppc_national_resources": "A specialist approved premises place outside the area."}


def level3_case(users: dict[str, User]) -> int:
    """A case accepted at Level 3 (first meeting due 15 December 2026) waiting in its review period."""
    return in_review_period(users, "accepted_level_3")


def work(api: Api, username: str, task: HumanTask, data: dict[str, Any]) -> None:
    response = api.post(username, f"/api/v1/tasks/{task.id}/complete", json={"data": data})
    assert response.status_code == 200, response.get_data(as_text=True)


def flag_and_refer(client: FlaskClient, api: Api, case_id: int) -> None:
    """The coordinator flags the case on its page and prepares the CPPC referral: it waits for the manager."""
    sign_in(client, "coordinator")
    flashed(client, post(client, f"/cases/{case_id}/critical", {"critical_flag_reason": REASON}))
    work(api, "coordinator", ready_task(case_id, "prepare_cppc_referral"), REFERRAL)


def flag(case_id: int) -> CriticalFlag:
    db.session.expire_all()
    return db.session.scalars(select(CriticalFlag).where(CriticalFlag.case_id == case_id)
                              .order_by(CriticalFlag.id.desc())).first()  # type: ignore[return-value]


def case_page(client: FlaskClient, case_id: int, username: str = "coordinator") -> Any:
    sign_in(client, username)
    return get_page(client, f"/cases/{case_id}")


def history(page: Any) -> list[str]:
    return [" ".join(li.text_content().split()) for li in page.get_element_by_id("critical-history").xpath("./li")]


def late(clock: Any, day: date) -> None:
    """The day after ``day`` at noon, and the timers that fell due."""
    clock.set(datetime.combine(day + timedelta(days=1), time(12), UTC))
    sweep()


def test_a_critical_case_is_referred_approved_notified_reviewed_and_deregistered_with_every_deadline_escalated(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    api = Api(client, users)
    case_id = level3_case(users)
    sign_in(client, "coordinator")
    assert "Flag as a critical public protection case" in action_links(get_page(client, f"/cases/{case_id}"))
    assert flashed(client, post(client, f"/cases/{case_id}/critical", {"critical_flag_reason": REASON})).endswith(
        "flagged: prepare the CPPC referral")
    referral = ready_task(case_id, "prepare_cppc_referral")
    assert (referral.role, referral.due_date) == ("coordinator", date(2026, 12, 2))  # 5 working days
    page = case_page(client, case_id)
    assert page.get_element_by_id("critical-badge", None) is None  # not critical until the senior manager approves
    assert summary_rows(page, "critical-flag")["Status"] == "CPPC referral being prepared"
    assert "Flag as a critical public protection case" not in action_links(page)  # one flag at a time

    late(clock, date(2026, 12, 2))  # the referral was not prepared in time: the manager is told
    escalation = ready_task(case_id, "escalate_cppc_step")
    assert (escalation.role, escalation.due_date) == ("manager", date(2026, 12, 7))
    assert ready_task(case_id, "prepare_cppc_referral").overdue is True
    work(api, "manager", escalation, {"escalation_note": "Asked the coordinator to finish it today."})
    work(api, "coordinator", referral, REFERRAL)
    assert flag(case_id).status == "awaiting decision"

    approval = ready_task(case_id, "approve_cppc_referral")
    assert (approval.role, approval.due_date) == ("manager", date(2026, 12, 10))
    sign_in(client, "manager")  # the senior manager's task page shows what the referral says
    shown = summary_rows(get_page(client, f"/tasks/{approval.id}"), "task-context")
    assert (shown["Why it may be critical"], shown["Risk summary"], shown["Decision due"]) == (
        REASON, REFERRAL["cppc_risk_summary"], "10 December 2026")
    assert "Approve CPPC referral" not in [t["name"] for t in api.get("coordinator", "/api/v1/tasks").get_json()[
        "tasks"] if t["case_id"] == case_id]
    late(clock, date(2026, 12, 10))  # the senior manager is late: the coordinator chases
    chase = ready_task(case_id, "chase_cppc_approval")
    assert chase.role == "coordinator"
    work(api, "coordinator", chase, {"chase_note": "Reminded the senior manager by phone."})
    work(api, "manager", approval, {"cppc_decision": "approve", "cppc_decision_note": "Meets the CPPC criteria."})
    row = flag(case_id)
    assert (row.status, row.decided_by_id) == ("critical", users["manager"].id)
    page = case_page(client, case_id, "police")  # every agency on the case sees the flag
    assert page.get_element_by_id("critical-badge").text_content().strip() == "Critical public protection case"

    notify = ready_task(case_id, "notify_ppg")
    assert (notify.role, notify.due_date) == ("coordinator", date(2026, 12, 15))  # 2 working days
    late(clock, date(2026, 12, 15))
    work(api, "manager", ready_task(case_id, "escalate_cppc_step"), {"escalation_note": "Chased the unit."})
    work(api, "coordinator", notify, {"ppg_contact": "Sam Patel, PPG duty officer", "notified_on": "2026-12-16",
                                      "notification_reference": "PPG/2026/0412"})
    row = flag(case_id)
    assert (row.status, row.notified_on, row.notification_reference, row.notified_by_id) == (
        "notified", date(2026, 12, 16), "PPG/2026/0412", users["coordinator"].id)
    logged = db.session.scalars(select(AccessLog.detail).where(AccessLog.event == "critical_case_notified")).one()
    assert logged == ("Notified to Sam Patel, PPG duty officer of HMPPS Public Protection Group on 16 December 2026, "
                      "reference PPG/2026/0412")

    review = ready_task(case_id, "review_critical_flag")
    assert review.due_date == date(2027, 2, 10)  # 8 weeks after the notification
    late(clock, date(2027, 2, 10))
    work(api, "manager", ready_task(case_id, "escalate_cppc_step"), {"escalation_note": "Review booked."})
    work(api, "coordinator", review, {"flag_review_decision": "keep", "flag_review_note": "Threats continue."})
    again = ready_task(case_id, "review_critical_flag")
    assert again.due_date == date(2027, 4, 8)  # the next review, 8 weeks on
    assert flag(case_id).status == "notified"
    work(api, "coordinator", again, {"flag_review_decision": "deregister",
                                     "flag_review_note": "Placed in specialist accommodation; risk now managed."})
    assert flag(case_id).status == "de-registered"
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id,
                                                                ProcessInstance.phase == "critical")).one()
    assert instance.status == "completed"

    page = case_page(client, case_id)
    assert page.get_element_by_id("critical-badge", None) is None
    shown = summary_rows(page, "critical-flag")
    assert shown["Status"] == "De-registered"
    assert shown["National notification"] == ("16 December 2026 to Sam Patel, PPG duty officer (HMPPS Public "
                                              "Protection Group), reference PPG/2026/0412")
    assert [line.split(": ", 1)[1] for line in history(page)] == [
        f"Flagged as a possible critical public protection case: {REASON}",
        f"CPPC referral prepared: {REFERRAL['cppc_risk_summary']}",
        "CPPC referral approved: the case is a critical public protection case. Meets the CPPC criteria.",
        "Notified to Sam Patel, PPG duty officer of HMPPS Public Protection Group on 16 December 2026, reference "
        "PPG/2026/0412",
        "Critical case flag reviewed: still critical. Threats continue.",
        "Critical case flag reviewed: de-registered. Placed in specialist accommodation; risk now managed."]


def test_only_a_level_3_case_is_flagged_and_a_declined_referral_ends_the_flag(
        app: Flask, client: FlaskClient) -> None:
    users = seeded()
    api = Api(client, users)
    level2 = in_review_period(users)
    sign_in(client, "coordinator")
    assert "Flag as a critical public protection case" not in action_links(get_page(client, f"/cases/{level2}"))
    refused = post(client, f"/cases/{level2}/critical", {"critical_flag_reason": REASON})
    assert refused.status_code == 409
    summary = check_page(refused).xpath("string(//div[@class='govuk-error-summary'])")
    assert "Only a Level 3 case can be a critical public protection case: this case is at Level 2" in summary
    assert flag(level2) is None

    case_id = level3_case(users)
    assert summary_links(check_page(post(client, f"/cases/{case_id}/critical", {}))) == {
        "#field-critical_flag_reason": "Enter why the case may be a critical public protection case"}
    assert flag(case_id) is None  # nothing half-written
    sign_in(client, "police")  # only the coordinator flags
    get_page(client, f"/cases/{case_id}/critical", status=403)
    assert db.session.scalars(select(AccessLog.event).where(AccessLog.event.like("%refused"))).first()

    flag_and_refer(client, api, case_id)
    refused_api = api.post("manager", f"/api/v1/tasks/{ready_task(case_id, 'approve_cppc_referral').id}/complete",
                           json={"data": {"cppc_decision": "decline"}})
    assert refused_api.status_code == 422
    work(api, "manager", ready_task(case_id, "approve_cppc_referral"),
         {"cppc_decision": "decline", "cppc_decision_note": "National resources are not needed."})
    row = flag(case_id)
    assert (row.status, row.ended_at is not None) == ("declined", True)
    assert db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == "ready",
                                                      HumanTask.bpmn_id == "notify_ppg")).first() is None
    page = case_page(client, case_id)
    assert page.get_element_by_id("critical-badge", None) is None
    assert summary_rows(page, "critical-flag")["Status"] == "CPPC referral declined"
    assert history(page)[-1].endswith("CPPC referral declined. National resources are not needed.")
    assert "Flag as a critical public protection case" in action_links(page)  # it may be flagged again later


def test_a_flag_ends_when_the_case_leaves_mappa(app: Flask, client: FlaskClient) -> None:
    """A critical case that exits MAPPA is no longer critical: its flag ends, its reviews stop and nobody is left a
    CPPC task on a closed case."""
    users = seeded()
    api = Api(client, users)
    case_id = level3_case(users)
    flag_and_refer(client, api, case_id)
    work(api, "manager", ready_task(case_id, "approve_cppc_referral"),
         {"cppc_decision": "approve", "cppc_decision_note": "Meets the CPPC criteria."})
    assert flag(case_id).status == "critical"
    other = in_review_period(users)  # a Level 2 case: never critical
    assert critical_listed(client, api) == ([case_id], {case_id: True, other: False})
    assert api.get("coordinator", "/api/v1/cases?critical=yes").status_code == 422

    j = Journey(app, api, case_id)
    j.post("police", "early-review", {"reason": "arrest", "detail": "Deported; no longer in the jurisdiction."})
    j.do("chair", "MAPP meeting review", {"review_outcome": "exit", "review_rationale": "Left the jurisdiction."})
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "meeting_decision",
                                                    "exit_date": "2026-11-25"})
    assert j.case()["status"] == "exited"
    row = flag(case_id)
    assert (row.status, row.ended_at is not None) == ("ended", True)
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id,
                                                                ProcessInstance.phase == "critical")).one()
    assert instance.status == "cancelled"
    assert db.session.scalars(select(HumanTask.bpmn_id).where(
        HumanTask.case_id == case_id, HumanTask.state == "ready", HumanTask.bpmn_id.in_(
            ("notify_ppg", "review_critical_flag", "escalate_cppc_step")))).all() == []
    page = case_page(client, case_id)
    assert page.get_element_by_id("critical-badge", None) is None
    assert summary_rows(page, "critical-flag")["Status"] == "Ended: the case left MAPPA"
    assert history(page)[-1].endswith("Critical case flag ended: the case is exited")
    assert critical_listed(client, api) == ([], {case_id: False, other: False})


def critical_listed(client: FlaskClient, api: Api) -> tuple[list[int], dict[int, bool]]:
    """The cases the case list shows with "Critical public protection cases only" ticked (the page and the API agree),
    and each case's ``critical`` in the API's whole list."""
    sign_in(client, "coordinator")
    page = get_page(client, "/cases?critical=true")
    assert page.get_element_by_id("filter-critical").get("checked") is not None
    rows = page.xpath("//table[@id='case-list']/tbody/tr")
    assert all(row.xpath("string(.//strong[contains(@class,'app-critical')])") == "Critical" for row in rows)
    listed = api.get("coordinator", "/api/v1/cases?critical=true").get_json()["cases"]
    assert [row.xpath("string(./td[1])").strip() for row in rows] == [c["reference"] for c in listed]
    every = api.get("coordinator", "/api/v1/cases").get_json()["cases"]
    return [c["id"] for c in listed], {c["id"]: c["critical"] for c in every}


def test_coordinators_flagging_one_case_at_once_make_one_flag(app: Flask, api: Api) -> None:
    """Coordinators flag the same Level 3 case at the same moment (real parallel requests through the page): one
    flag and one CPPC referral; the others are told it is already flagged (409) (found in review: each read 'not
    flagged' and each started a referral)."""
    case_id = level3_case(api.users)
    people = colleagues(api.users, "coordinator", RACERS)
    clients = {}
    for name in people:
        page_client = app.test_client()
        sign_in(page_client, name)
        clients[name] = (page_client, csrf_token(page_client, f"/cases/{case_id}/critical"))
    results = race([lambda c=c, t=t: c.post(f"/cases/{case_id}/critical",
                                            data={"csrf_token": t, "critical_flag_reason": REASON})
                    for c, t in clients.values()])
    assert sorted(r.status_code for r in results) == [302] + [409] * (RACERS - 1)
    for refused in (r for r in results if r.status_code == 409):
        assert "already flagged" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.scalars(select(CriticalFlag).where(CriticalFlag.case_id == case_id)).all()) == 1
    assert len(db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id,
                                                                ProcessInstance.phase == "critical")).all()) == 1
    assert len(db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                          HumanTask.bpmn_id == "prepare_cppc_referral")).all()) == 1


def test_the_national_notification_is_not_dated_before_the_approval(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    """A critical case is notified to HMPPS Public Protection Group on or after the day the senior manager approved the
    referral (found in review: a notification dated before the approval was accepted). 422 naming data.notified_on on
    the API, the error summary on the task page, nothing written."""
    users = seeded()
    api = Api(client, users)
    case_id = level3_case(users)
    flag_and_refer(client, api, case_id)
    clock.set(datetime(2026, 12, 3, 10, tzinfo=UTC))
    work(api, "manager", ready_task(case_id, "approve_cppc_referral"),
         {"cppc_decision": "approve", "cppc_decision_note": "Meets the CPPC criteria."})
    notify = ready_task(case_id, "notify_ppg")
    early = {"ppg_contact": "Sam Patel, PPG duty officer", "notified_on": "2026-12-02",
             "notification_reference": "PPG/2026/0412"}

    refused = api.post("coordinator", f"/api/v1/tasks/{notify.id}/complete", json={"data": early})
    assert fields(refused) == ["data.notified_on"]
    assert refused.get_json()["error"]["errors"][0]["message"] == (
        "Date notified must be on or after 3 December 2026, when the referral was approved")
    sign_in(client, "coordinator")
    response = post(client, f"/tasks/{notify.id}", {"ppg_contact": early["ppg_contact"], "notified_on-day": "25",
                                                    "notified_on-month": "11", "notified_on-year": "2026",
                                                    "notification_reference": "PPG/2026/0412"})
    assert response.status_code == 200
    assert summary_links(check_page(response)) == {
        "#field-notified_on": "Date notified must be on or after 3 December 2026, when the referral was approved"}
    row = flag(case_id)
    assert (row.status, row.notified_on, row.notification_reference) == ("critical", None, None)
    assert ready_task(case_id, "notify_ppg").id == notify.id
    assert db.session.scalars(select(AccessLog).where(AccessLog.event == "critical_case_notified")).all() == []

    work(api, "coordinator", notify, {**early, "notified_on": "2026-12-03"})
    assert flag(case_id).notified_on == date(2026, 12, 3)
