"""Serious further offences and MAPPA serious case reviews (issue 14 item 2, MAPPA.md §13) over HTTP with the injected
clock, on the real bpmn/sfo_review.bpmn: a charge notified on a case is a MAPPA N for the lead officer; the SMB chair
decides whether a serious case review is held, and sees the case only once the review has reached them; a review
runs its terms, panel, MAPPA O report, action plan (each action a task for its owner) and publication decision; every
step missed is chased (the coordinator, or the manager for the coordinator's own steps) and escalated; a decision not
to hold a review ends it; and only the Responsible Authority and the coordinator may notify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services import sfo
from services.db import db
from services.models import (
    AccessLog,
    CaseEvent,
    HumanTask,
    MappaCase,
    ProcessInstance,
    ReminderOutbox,
    SeriousFurtherOffence,
    User,
)
from services.scheduler import sweep
from tests.api.conftest import Api, fields
from tests.api.test_api_lifecycle_actions import in_review_period
from tests.factories import make_user, ready_task, seeded, sign_in
from tests.pages import check_page, get_page
from tests.web.test_case_actions_ui import flashed, post, summary_links, summary_rows

CHARGE = {"offence": "rape", "charged_on": "2026-11-25",
          "details": "Charged with the rape of a woman he met after his release; arrested at his approved premises."}
MAPPA_N = {"mappa_n_management": "Level 2, category 2, probation led; last MAPP meeting 1 October 2026.",
           "mappa_n_agencies": "Probation (offender manager), police (ViSOR), housing (approved premises).",
           "mappa_n_concerns": "The licence condition on contact with women was not checked after he moved.",
           "mappa_n_recommendation": "recommend",
           "mappa_n_reasons": "A Level 2 offender charged with rape: the criteria are met."}
HOLD = {"scr_decision": "hold", "scr_criteria": ["level_2_3", "specified_offence"],
        "scr_reasons": "A Level 2 offender charged with rape; lessons likely for all agencies."}
TERMS = {"scr_remit": "Whether MAPPA was applied effectively from release to the charge.",
         "scr_period": "From release on 3 March 2026 to the charge", "scr_author": "independent",
         "scr_author_name": "Dr Ann Author"}
PANEL = {"panel_chair": "Jo Chair, Northshire Police", "panel_lay_adviser": "Les Lay, SMB lay adviser",
         "panel_members": "Probation senior manager\nHousing manager"}
MAPPA_O = {key: f"Section text for {key}." for key in (
    "mappa_o_why", "mappa_o_background", "mappa_o_process", "mappa_o_agencies", "mappa_o_chronology",
    "mappa_o_findings", "mappa_o_conclusions", "mappa_o_action_plan")}
PUBLISH = {"publication_decision": "publish", "publication_reasons": "The executive summary names nobody."}


def smb_chair(users: dict[str, User]) -> User:
    """The demo area's SMB chair (services.demo)."""
    return users["smb_chair"]


def complete(api: Api, username: str, task: HumanTask, data: dict[str, Any]) -> dict[str, Any]:
    response = api.post(username, f"/api/v1/tasks/{task.id}/complete", json={"data": data})
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def the_sfo() -> SeriousFurtherOffence:
    db.session.expire_all()
    return db.session.scalars(select(SeriousFurtherOffence)).one()


def miss(clock: Any, api: Api, case_id: int, step: str, chaser: str) -> HumanTask:
    """Let the step's due date pass: its timer fires the morning after, the chase is due in 2 working days, and the
    step is escalated once 3 working days late. The chase is done; the step is returned, still open."""
    due = ready_task(case_id, step).due_date
    assert due is not None
    clock.set(datetime.combine(due, datetime.min.time(), UTC) + timedelta(hours=18))  # due today: nothing yet
    sweep()
    assert ready_task(case_id, step).overdue is False
    assert db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == f"chase_{step}")).first() is None
    clock.set(datetime.combine(due + timedelta(days=7), datetime.min.time(), UTC) + timedelta(hours=12))
    sweep()
    task = ready_task(case_id, step)
    assert task.overdue is True
    chase = ready_task(case_id, f"chase_{step}")
    assert chase.role == chaser
    escalated = db.session.scalars(select(ReminderOutbox.recipient_id).where(
        ReminderOutbox.rule == "escalation", ReminderOutbox.task_id == task.id)).all()
    assert escalated, f"{step} was not escalated"
    complete(api, chaser, chase, {"chase_note": "Spoke to them: it is being done this week."})
    return ready_task(case_id, step)


def stages(client: FlaskClient, case_id: int, sfo_id: int) -> list[list[str]]:
    page = get_page(client, f"/cases/{case_id}/sfo")
    return [[" ".join(td.text_content().split()) for td in tr.xpath("./td")]
            for tr in page.get_element_by_id(f"sfo-{sfo_id}-stages").xpath(".//tbody/tr")]


def test_a_serious_case_review_runs_every_step_and_each_missed_deadline_is_chased_and_escalated(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    smb_chair(users)
    api = Api(client, users)
    case_id = in_review_period(users)
    assert api.get("smb_chair", f"/api/v1/cases/{case_id}").status_code == 404  # not theirs until the review is

    response = api.post("police", f"/api/v1/cases/{case_id}/sfo", json=CHARGE)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/cases/{case_id}/sfo")
    assert (body["offence"], body["charged_on"], body["status"]) == ("rape", "2026-11-25", "mappa n")
    [step] = body["steps"]  # the MAPPA N: the lead officer's, due in the area's 5 days
    assert (step["name"], step["role"], step["assignee"], step["due"]) == (
        "Send the MAPPA N to the SMB chair", "offender_manager", "probation", "2026-11-30")
    row = the_sfo()
    assert (row.level_at_charge, row.category_at_charge, row.notified_by_id) == (2, 2, users["police"].id)
    counted = db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)).all()
    assert "sfo_notified" in counted and "serious_further_offence" in counted  # the annual statistics count it

    mappa_n = miss(clock, api, case_id, "mappa_n", "coordinator")
    sign_in(client, "probation")
    shown = summary_rows(get_page(client, f"/tasks/{mappa_n.id}"), "task-context")
    assert (shown["Charged with"], shown["Charged on"]) == ("Rape", "25 November 2026")
    complete(api, "probation", mappa_n, MAPPA_N)
    assert the_sfo().status == "scr decision"

    decision = ready_task(case_id, "scr_decision")
    assert decision.role == "smb_chair"
    inbox = api.get("smb_chair", "/api/v1/tasks").get_json()["tasks"]
    assert [t["name"] for t in inbox] == ["Decide whether to hold a serious case review"]
    assert api.get("smb_chair", f"/api/v1/cases/{case_id}").status_code == 200  # through the review only
    sign_in(client, "smb_chair")
    check_page(client.get(f"/tasks/{decision.id}"))
    assert stages(client, case_id, row.id)[-1][:2] == ["Decide whether to hold a serious case review", "SMB Chair"]
    get_page(client, f"/cases/{case_id}/sfo/new", status=403)  # the SMB chair does not notify

    decision = miss(clock, api, case_id, "scr_decision", "coordinator")
    complete(api, "smb_chair", decision, HOLD)
    assert (the_sfo().status, the_sfo().scr_decision) == ("review", "hold")
    assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == case_id, CaseEvent.kind == "serious_case_review")) == 1

    complete(api, "smb_chair", miss(clock, api, case_id, "scr_terms", "coordinator"), TERMS)
    complete(api, "coordinator", miss(clock, api, case_id, "scr_panel", "manager"), PANEL)
    report = miss(clock, api, case_id, "mappa_o_report", "manager")
    refused = api.post("coordinator", f"/api/v1/tasks/{report.id}/complete",
                       json={"data": {**MAPPA_O, "mappa_o_findings": ""}})
    assert fields(refused) == ["data.mappa_o_findings"]
    complete(api, "coordinator", report, MAPPA_O)

    plan = miss(clock, api, case_id, "scr_action_plan", "manager")
    today = clock.now().date()
    actions = {"action_1": "Check licence conditions on every move of address", "action_1_how": "A checklist",
               "action_1_owner": "offender_manager", "action_1_due": (today + timedelta(days=30)).isoformat(),
               "another_action": "yes", "action_2": "Brief PPU officers on the findings",
               "action_2_how": "Team briefings", "action_2_owner": "police",
               "action_2_due": (today + timedelta(days=60)).isoformat()}
    complete(api, "coordinator", plan, actions)
    owned = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                       HumanTask.bpmn_id == "complete_action",
                                                       HumanTask.state == "ready")
                               .order_by(HumanTask.due_date)).all()
    assert [(t.role, t.due_date) for t in owned] == [("offender_manager", today + timedelta(days=30)),
                                                     ("police", today + timedelta(days=60))]

    complete(api, "smb_chair", miss(clock, api, case_id, "scr_publication", "coordinator"), PUBLISH)
    done = the_sfo()
    assert (done.status, done.publication, done.closed_at is not None) == ("completed", "publish", True)
    instance = db.session.get(ProcessInstance, done.process_instance_id)
    assert instance is not None and instance.status == "completed"

    sign_in(client, "coordinator")
    rows = stages(client, case_id, done.id)
    assert [r[0] for r in rows if not r[0].startswith("Chase")] == [
        "Send the MAPPA N to the SMB chair", "Decide whether to hold a serious case review",
        "Set the review's terms of reference", "Appoint the review panel", "Write the MAPPA O report",
        "Agree the action plan", "Decide whether to publish the review"]
    assert len([r for r in rows if r[0].startswith("Chase overdue step")]) == 7
    assert all(r[3] != "Open" for r in rows)
    summary = summary_rows(get_page(client, f"/cases/{case_id}/sfo"), f"sfo-{done.id}-summary")
    assert summary["Status"] == "Serious case review completed"
    assert summary["Publication"] == "Approved by the SMB"
    # the annual statistics (year ending 31 March 2027) count the charge and the review at the case's Level 2
    annual = api.get("coordinator", "/api/v1/statistics/annual?year_ending=2027-03-31").get_json()
    [outcomes] = [{r[0]: r[1:] for r in t["rows"]} for t in annual["tables"] if t["key"] == "outcomes"]
    assert outcomes["Charged with a serious further offence"] == [0, 1, 0, 0, 1]
    assert outcomes["MAPPA serious case review commissioned"] == [0, 1, 0, 0, 1]
    logged = set(db.session.scalars(select(AccessLog.event).where(AccessLog.case_id == case_id)))
    assert {"sfo_notified", "sfo_mappa_n_sent", "sfo_scr_decided", "sfo_action_plan_agreed",
            "sfo_publication_decided", "sfo_viewed"} <= logged


def test_the_smb_decides_against_a_review_and_the_process_ends(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    smb_chair(users)
    api = Api(client, users)
    case_id = in_review_period(users)
    other_case = in_review_period(users)
    sign_in(client, "coordinator")
    page = get_page(client, f"/cases/{case_id}")
    assert page.get_element_by_id("sfo-record") is not None
    assert "Notify a serious further offence" in page.text_content()
    notified = flashed(client, post(client, f"/cases/{case_id}/sfo/new", {
        "sfo_offence": "manslaughter", "sfo_charged_on-day": "20", "sfo_charged_on-month": "11",
        "sfo_charged_on-year": "2026", "sfo_details": "A fight outside a pub; the victim died."}))
    assert notified == "Success Serious further offence notified: the MAPPA N is due by 30 November 2026"

    complete(api, "probation", ready_task(case_id, "mappa_n"), {**MAPPA_N, "mappa_n_recommendation": "not_recommend"})
    decision = ready_task(case_id, "scr_decision")
    complete(api, "smb_chair", decision, {"scr_decision": "not_hold", "scr_criteria": [],
                                          "scr_reasons": "A Level 2 case, but the offence was not foreseeable."})
    row = the_sfo()
    assert (row.status, row.scr_decision, row.closed_at is not None) == ("no review", "not_hold", True)
    instance = db.session.get(ProcessInstance, row.process_instance_id)
    assert instance is not None and instance.status == "completed"
    assert db.session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.instance_id == row.process_instance_id, HumanTask.state == "ready")) == 0
    assert db.session.scalar(select(func.count()).select_from(CaseEvent).where(
        CaseEvent.kind == "serious_case_review")) == 0

    sign_in(client, "smb_chair")  # the SMB chair sees this SFO's record, not the area's other cases
    summary = summary_rows(get_page(client, f"/cases/{case_id}/sfo"), f"sfo-{row.id}-summary")
    assert summary["Status"] == "No serious case review"
    assert summary["SMB decision"].startswith("No serious case review: A Level 2 case")
    get_page(client, f"/cases/{other_case}/sfo", status=404)
    get_page(client, f"/cases/{other_case}", status=404)
    get_page(client, "/referrals/new", status=403)  # nor does the SMB chair refer offenders


def test_notifying_is_for_the_responsible_authority_and_coordinator_and_bad_input_writes_nothing(
        app: Flask, client: FlaskClient) -> None:
    users = seeded()
    smb_chair(users)
    south = make_user("south_police", {"police"}, users["south_coordinator"].area, agency="Police")
    db.session.commit()
    users["south_police"] = south
    api = Api(client, users)
    case_id = in_review_period(users)
    url = f"/api/v1/cases/{case_id}/sfo"
    assert client.post(url, json=CHARGE).status_code == 401
    for username, status in (("housing", 403), ("chair", 403), ("smb_chair", 403), ("south_police", 404),
                             ("south_coordinator", 404)):
        assert api.post(username, url, json=CHARGE).status_code == status, username
    assert api.post("police", "/api/v1/cases/999999/sfo", json=CHARGE).status_code == 404

    missing = api.post("coordinator", url, json={})
    assert missing.status_code == 422
    assert fields(missing) == ["offence", "charged_on", "details"]
    wrong = api.post("coordinator", url, json={**CHARGE, "offence": "burglary", "extra": 1})
    assert fields(wrong) == ["extra", "offence"]
    future = api.post("coordinator", url, json={**CHARGE, "charged_on": "2026-12-25"})
    assert (future.status_code, fields(future)) == (422, ["charged_on"])
    assert db.session.scalar(select(func.count()).select_from(SeriousFurtherOffence)) == 0
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.phase == "sfo")) == 0

    sign_in(client, "probation")  # the web form: the GOV.UK error summary names each field
    page = check_page(post(client, f"/cases/{case_id}/sfo/new", {}))
    assert summary_links(page) == {"#field-sfo_offence": "Select the offence the offender is charged with",
                                   "#field-sfo_charged_on": "Enter the date the offender was charged",
                                   "#field-sfo_details": "Enter what happened"}
    sign_in(client, "housing")  # a duty-to-co-operate agency does not read SFO records
    get_page(client, f"/cases/{case_id}/sfo", status=403)
    assert db.session.scalar(select(func.count()).select_from(SeriousFurtherOffence)) == 0
    case = db.session.get(MappaCase, case_id)
    assert case is not None
    case.status = "exited"  # a case that has left MAPPA: only the coordinator notifies on it
    db.session.commit()
    closed = api.post("police", url, json=CHARGE)
    assert closed.status_code == 409 and "only a MAPPA coordinator" in closed.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(SeriousFurtherOffence)) == 0
    assert api.post("coordinator", url, json=CHARGE).status_code == 201

    document = client.get("/api/v1/openapi.json").get_json()  # declared once: the form's vocabulary, every answer
    declared = document["paths"]["/cases/{case_id}/sfo"]["post"]
    assert declared["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/SfoRequest")
    assert {"201", "401", "403", "404", "409", "422"} <= set(declared["responses"])
    assert document["components"]["schemas"]["SfoRequest"]["properties"]["offence"]["enum"] == list(sfo.offences())
    opened = api.get("coordinator", f"/api/v1/cases/{case_id}").get_json()["open_tasks"]
    assert ("Send the MAPPA N to the SMB chair", "2026-11-30") in [(t["name"], t["due"]) for t in opened]
