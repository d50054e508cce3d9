"""Child Sex Offender Disclosure Scheme applications (issue 14 item 6, MAPPA.md §18) over HTTP with the injected
clock, on the real engine and bpmn/csods_application.bpmn: an application made through a police officer has its
stages and due dates (45 working days overall); the disclose path ends with the disclosure recorded like a case's
(and, for a MAPPA nominal, in the case's s.62 log); the non-disclose path ends with the letter; a child at immediate
risk goes to child protection at once; a stage not done by its date is escalated; and only the area's police work
the applications."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services.db import db
from services.models import AccessLog, CsodsApplication, CsodsStage, MappaCase, Notification, ReminderOutbox
from services.scheduler import sweep
from tests.api.conftest import Api, fields
from tests.api.test_api_lifecycle_actions import in_review_period
from tests.csods.factories import APPLICATION, application
from tests.factories import make_user, seeded, sign_in
from tests.pages import check_page, get_page
from tests.web.test_case_actions_ui import flashed, post, summary_links, summary_rows
from workflows.calendar import ENGLAND_AND_WALES

MADE = date(2026, 11, 25)  # the injected clock's day (a Wednesday)


def working_days(n: int) -> date:
    return ENGLAND_AND_WALES.add_working_days(MADE, n)


def day(name: str, iso: str) -> dict[str, str]:
    """A GOV.UK date input's three fields."""
    when = date.fromisoformat(iso)
    return {f"{name}-day": str(when.day), f"{name}-month": str(when.month), f"{name}-year": str(when.year)}


def page_form(data: dict[str, Any], *dates: str) -> dict[str, Any]:
    """An API-style answer as the page posts it (date fields split into day, month and year)."""
    out = {k: v for k, v in data.items() if k not in dates}
    for name in dates:
        out |= day(name, data[name])
    return out


INITIAL_CONTACT = {"identity_checked": "yes", "immediate_risk": "no", "triage_note": "Worried mother, no sign of "
                   "immediate harm."}
FACE_TO_FACE = {**day("met_on", "2026-11-25"), "identity_confirmed": "yes", "confidentiality_explained": "yes",
                "meeting_note": "The subject moved in last month and babysits."}
RISK = {"child_sex_convictions": "yes", "risk_summary": "Convicted in 2012 of offences against a girl of 8."}
DISCLOSE = {
    "panel": "Police (DI Khan), probation (SPO Reed), children's services (Team Manager Lowe)",
    "decision": "disclose", "recipient": "Mrs Jane Parent", "recipient_organisation": "The child's mother",
    "information": "He has a conviction for sexual offences against a child.", "power": "common_law_police",
    "rationale": "Presumption to disclose: he has child sex convictions and unsupervised contact.",
    **day("deliver_by", "2027-01-15"), "offender_told_first": "no",
    "offender_not_told_reason": "Telling him first could put the child at risk.",
    "undertaking": "Keep it confidential and use it only to protect her daughter.",
}
NOT_DISCLOSE = {"panel": "Police, probation and children's services", "decision": "not_disclose",
                "reason_not_disclosed": "No convictions or intelligence suggesting a risk to children."}
DELIVERED = {**day("delivered_on", "2027-01-12"), "delivery_method": "in_person", "undertaking_given": "yes"}
LETTER = {**day("letter_sent_on", "2027-01-20"), "safeguarding_advice": "Signs of grooming and who to call."}


def work(client: FlaskClient, application_id: int, data: dict[str, Any], username: str = "police") -> str:
    sign_in(client, username)
    response = post(client, f"/csods/applications/{application_id}", data)
    assert response.status_code == 302, summary_links(check_page(response))
    return flashed(client, response)


def stage_rows(client: FlaskClient, application_id: int, username: str = "police") -> list[list[str]]:
    sign_in(client, username)
    page = get_page(client, f"/csods/applications/{application_id}")
    return [[" ".join(td.text_content().split()) for td in tr.xpath("./td")]
            for tr in page.get_element_by_id("csods-stages").xpath(".//tbody/tr")]


def the(application_id: int) -> CsodsApplication:
    db.session.expire_all()
    row = db.session.get(CsodsApplication, application_id)
    assert row is not None
    return row


def open_stage(application_id: int) -> CsodsStage:
    db.session.expire_all()
    return db.session.scalars(select(CsodsStage).where(CsodsStage.application_id == application_id,
                                                       CsodsStage.state == "ready")).one()


def escalated_to(stage_id: int) -> list[str]:
    db.session.expire_all()
    return sorted(f"csods:{stage_id}:{recipient}" for recipient in db.session.scalars(
        select(ReminderOutbox.recipient_id).where(ReminderOutbox.rule == "escalation",
                                                  ReminderOutbox.key == f"csods:{stage_id}")))


def test_the_api_records_an_application_with_its_stages_and_due_dates(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    api = Api(client, users)
    response = api.post("police", "/api/v1/csods/applications", json=APPLICATION)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["reference"].startswith("CSODS-NORTHSHIRE-") and body["status"] == "open"
    assert response.headers["Location"] == f"/api/v1/csods/applications/{body['id']}"
    assert (body["received_on"], body["due"]) == ("2026-11-25", working_days(45).isoformat())
    assert body["due"] == "2027-02-01"  # 45 working days, skipping Christmas, Boxing Day (28th) and New Year
    assert [(s["name"], s["due"], s["state"]) for s in body["stages"]] == [
        ("Initial contact and triage", "2026-11-26", "ready")]
    assert [(t["what"], t["due"]) for t in body["targets"]] == [
        ("Initial contact and triage", "2026-11-26"), ("Face-to-face meeting", "2026-12-09"),
        ("Risk assessment and checks", working_days(25).isoformat()), ("Panel decision", working_days(35).isoformat()),
        ("Disclosure made or non-disclosure letter sent", "2027-02-01")]
    assert api.get("police", response.headers["Location"]).get_json() == body
    # bad input: 422 naming the fields, nothing written
    refused = api.post("police", "/api/v1/csods/applications",
                       json={**APPLICATION, "child_name": "", "parents_know": "maybe", "colour": "red"})
    assert refused.status_code == 422
    assert fields(refused) == ["colour", "child_name", "parents_know"]
    refused = api.post("police", "/api/v1/csods/applications", json={**APPLICATION, "mappa_case_reference": "NO-1"})
    assert fields(refused) == ["mappa_case_reference"]
    assert api.post("probation", "/api/v1/csods/applications", json=APPLICATION).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CsodsApplication)) == 1


def test_the_disclose_path_for_a_mappa_nominal_ends_in_the_cases_s62_log(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    case = db.session.get(MappaCase, in_review_period(users))
    assert case is not None
    sign_in(client, "police")
    page = check_page(post(client, "/csods/applications/new", {}))  # the GOV.UK error summary, nothing written
    assert list(summary_links(page))[:3] == ["#field-received_on", "#field-applicant_name", "#field-applicant_address"]
    made = {**page_form(APPLICATION, "received_on", "subject_date_of_birth", "child_date_of_birth"),
            "mappa_case_reference": case.reference}
    response = post(client, "/csods/applications/new", made)
    assert flashed(client, response).endswith("initial contact and triage due by 26 November 2026")
    application_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert the(application_id).mappa_case_id == case.id

    assert work(client, application_id, INITIAL_CONTACT) == "Success Initial contact and triage recorded"
    page = check_page(post(client, f"/csods/applications/{application_id}", {}))  # the face-to-face form, empty
    assert list(summary_links(page)) == ["#field-met_on", "#field-identity_confirmed",
                                         "#field-confidentiality_explained", "#field-meeting_note"]
    assert work(client, application_id, FACE_TO_FACE) == "Success Face-to-face meeting recorded"
    assert work(client, application_id, RISK) == "Success Risk assessment and checks recorded"
    page = get_page(client, f"/csods/applications/{application_id}")
    assert page.get_element_by_id("open-stage").text_content() == "Decision by the local decision-making panel"
    hint = " ".join(page.get_element_by_id("field-panel").getparent().text_content().split())
    assert f"The subject is a MAPPA nominal ({case.reference}): the MAPP meeting is the panel" in hint
    assert work(client, application_id, DISCLOSE) == "Success Decision by the local decision-making panel recorded"

    stage = open_stage(application_id)
    assert (stage.name, stage.due_date) == ("Deliver disclosure", date(2027, 1, 15))
    shown = summary_rows(get_page(client, f"/csods/applications/{application_id}"), "csods-decision")
    assert shown["Disclose to"] == "Mrs Jane Parent (The child's mother)"
    assert shown["Power used"] == "Common law police power to disclose to protect the public"
    assert shown["Subject told first"] == "No: Telling him first could put the child at risk."

    clock.set(datetime(2027, 1, 12, 15, tzinfo=UTC))
    sign_in(client, "police")  # a new day: signed in afresh
    page = check_page(post(client, f"/csods/applications/{application_id}", {**DELIVERED, "undertaking_given": ""}))
    assert list(summary_links(page)) == ["#field-undertaking_given"]
    assert open_stage(application_id).name == "Deliver disclosure"
    assert work(client, application_id, DELIVERED) == "Success Deliver disclosure recorded"
    row = the(application_id)
    assert (row.status, row.delivered_on, row.delivery_method, row.undertaking_given, row.process_status) == (
        "disclosed", date(2027, 1, 12), "in_person", True, "completed")
    [logged] = db.session.scalars(select(AccessLog).where(AccessLog.event == "disclosure",
                                                          AccessLog.case_id == case.id)).all()
    assert logged.user_id == users["police"].id
    assert logged.detail is not None and logged.detail.startswith(
        f"CSODS {row.reference}: to Mrs Jane Parent (The child's mother) on 12 January 2027, in person; "
        "power: Common law police power")
    rows = stage_rows(client, application_id)
    assert [r[0] for r in rows] == ["Initial contact and triage", "Face-to-face meeting", "Risk assessment and checks",
                                    "Decision by the local decision-making panel", "Deliver disclosure"]
    assert [r[2] for r in rows] == ["Done on 25 November 2026 by PC Pat Rolman"] * 4 + [
        "Done on 12 January 2027 by PC Pat Rolman"]


def test_the_non_disclose_path_ends_with_the_letter_late_and_escalated(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    police_manager = make_user("police_manager", {"manager"}, users["police"].area, agency="Police")
    application_id = application(users["police"]).id
    for data in (INITIAL_CONTACT, FACE_TO_FACE, RISK, NOT_DISCLOSE):
        work(client, application_id, data)
    letter = open_stage(application_id)
    assert (letter.name, letter.due_date) == ("Send non-disclosure letter", date(2027, 2, 1))
    assert the(application_id).decision == "not_disclose"

    clock.set(datetime(2027, 2, 1, 18, tzinfo=UTC))  # due today: nothing yet
    sweep()
    assert escalated_to(letter.id) == []
    clock.set(datetime(2027, 2, 2, 12, tzinfo=UTC))  # the timer fires at 09:00 the day after
    sweep()
    assert escalated_to(letter.id) == sorted(f"csods:{letter.id}:{u.id}" for u in (users["coordinator"],
                                                                                    police_manager))
    sweep()  # once only
    assert len(escalated_to(letter.id)) == 2
    [note] = db.session.scalars(select(Notification).where(Notification.user_id == police_manager.id)).all()
    assert "Send non-disclosure letter" in note.title and "Mr Sid Subject" not in note.body  # no names
    assert stage_rows(client, application_id)[-1][2] == "Overdue, escalated on 2 February 2027"

    assert work(client, application_id, {**LETTER, **day("letter_sent_on", "2027-02-02")}) == (
        "Success Send non-disclosure letter recorded")
    row = the(application_id)
    assert (row.status, row.rationale, row.recipient) == ("not disclosed", NOT_DISCLOSE["reason_not_disclosed"], None)
    assert db.session.scalar(select(func.count()).select_from(AccessLog).where(AccessLog.event == "disclosure")) == 0


def test_a_child_at_immediate_risk_is_referred_to_child_protection_at_once(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    application_id = application(users["police"]).id
    sign_in(client, "police")
    page = check_page(post(client, f"/csods/applications/{application_id}", {**INITIAL_CONTACT,
                                                                             "immediate_risk": "yes"}))
    assert summary_links(page) == {"#field-immediate_risk_reason": "Enter what the immediate risk is"}
    assert work(client, application_id, {**INITIAL_CONTACT, "immediate_risk": "yes",
                                         "immediate_risk_reason": "He is alone with the child tonight."}) == (
        "Success Initial contact and triage recorded")
    referral = open_stage(application_id)
    assert (referral.name, referral.due_date) == ("Refer to child protection now", MADE)  # the same day

    clock.set(datetime(2026, 11, 26, 10, tzinfo=UTC))  # not done the same day: escalated the next morning
    sweep()
    assert len(escalated_to(referral.id)) == 1  # the coordinator (no police manager in this area)
    assert work(client, application_id, {**day("referred_on", "2026-11-26"), "referred_to": "Northshire MASH",
                                         "referral_note": "Strategy meeting held; the child stays with her aunt."})\
        == "Success Refer to child protection now recorded"
    row = the(application_id)
    assert (row.status, row.process_status) == ("referred", "completed")
    assert [s.name for s in db.session.scalars(select(CsodsStage).where(
        CsodsStage.application_id == application_id).order_by(CsodsStage.id))] == [
        "Initial contact and triage", "Refer to child protection now"]  # no face-to-face: it ended there
    sign_in(client, "police")
    assert get_page(client, f"/csods/applications/{application_id}").get_element_by_id("open-stage", None) is None


def test_every_missed_stage_is_escalated_once_and_not_before_its_date(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    application_id = application(users["police"]).id
    steps = [("Initial contact and triage", date(2026, 11, 26), INITIAL_CONTACT),
             ("Face-to-face meeting", date(2026, 12, 9), {**FACE_TO_FACE, **day("met_on", "2026-12-10")}),
             ("Risk assessment and checks", working_days(25), RISK),
             ("Decision by the local decision-making panel", working_days(35),
              {**DISCLOSE, **day("deliver_by", "2027-01-29")}),
             ("Deliver disclosure", date(2027, 1, 29), {**DELIVERED, **day("delivered_on", "2027-02-01")})]
    for name, due, data in steps:
        stage = open_stage(application_id)
        assert (stage.name, stage.due_date) == (name, due)
        clock.set(datetime(due.year, due.month, due.day, 20, tzinfo=UTC))
        sweep()
        assert escalated_to(stage.id) == []
        late = ENGLAND_AND_WALES.add_working_days(due, 1)
        clock.set(datetime(late.year, late.month, late.day, 10, tzinfo=UTC))
        sweep()
        assert escalated_to(stage.id) == [f"csods:{stage.id}:{users['coordinator'].id}"], name
        api = Api(client, users)
        [shown] = [s for s in api.get("coordinator", f"/api/v1/csods/applications/{application_id}").get_json()[
            "stages"] if s["name"] == name]
        assert (shown["overdue"], shown["escalated"]) == (True, True)
        assert work(client, application_id, data) == f"Success {name} recorded"
    assert the(application_id).status == "disclosed"
    assert db.session.scalar(select(func.count()).select_from(CsodsStage).where(
        CsodsStage.application_id == application_id, CsodsStage.escalated_at.is_not(None))) == 5


def test_only_the_areas_police_work_applications_and_the_mappa_unit_follows_them(
        app: Flask, client: FlaskClient) -> None:
    users = seeded()
    application_id = application(users["police"]).id
    south_police = make_user("south_police", {"police"}, users["south_coordinator"].area, agency="Police")
    db.session.commit()
    for username in ("coordinator", "manager"):  # the MAPPA unit sees the list and the page, without the form
        sign_in(client, username)
        page = get_page(client, "/csods/applications")
        assert page.get_element_by_id("new-application", None) is None
        assert get_page(client, f"/csods/applications/{application_id}").get_element_by_id("open-stage", None) is None
        assert post(client, f"/csods/applications/{application_id}", INITIAL_CONTACT,
                    "/account/tokens").status_code == 403
    for username in ("probation", "housing", "childrens_services"):  # not theirs to see
        sign_in(client, username)
        get_page(client, "/csods/applications", status=403)
        get_page(client, f"/csods/applications/{application_id}", status=403)
    sign_in(client, "south_coordinator")  # another area's: no such application
    get_page(client, f"/csods/applications/{application_id}", status=404)
    assert get_page(client, "/csods/applications").get_element_by_id("no-applications") is not None
    sign_in(client, south_police.username)
    assert post(client, f"/csods/applications/{application_id}", INITIAL_CONTACT,
                "/csods/applications").status_code == 404
    api = Api(client, {**users, "south_police": south_police})
    assert api.get("south_police", f"/api/v1/csods/applications/{application_id}").status_code == 404
    assert open_stage(application_id).name == "Initial contact and triage"  # nothing changed
    events = db.session.scalars(select(AccessLog.event)).all()
    assert "csods_application_access_refused" in events and "csods_application_viewed" in events
    sign_in(client, "police")
    [row] = [[" ".join(td.text_content().split()) for td in tr.xpath("./td")] for tr in get_page(
        client, "/csods/applications").get_element_by_id("csods-applications").xpath(".//tbody/tr")]
    assert row[1:] == ["25 November 2026", "Mr Sid Subject", "In progress", "1 February 2027"]


def test_the_api_works_the_open_stage_with_field_paths_for_bad_data(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    api = Api(client, users)
    made = api.post("police", "/api/v1/csods/applications", json=APPLICATION).get_json()
    url = f"/api/v1/csods/applications/{made['id']}/stage"
    refused = api.post("police", url, json={"data": {"identity_checked": "yes", "immediate_risk": "yes"}})
    assert refused.status_code == 422
    assert fields(refused) == ["data.immediate_risk_reason", "data.triage_note"]
    assert api.post("coordinator", url, json={"data": INITIAL_CONTACT}).status_code == 403
    done = api.post("police", url, json={"data": INITIAL_CONTACT})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert [(s["name"], s["state"], s["due"]) for s in done.get_json()["stages"]] == [
        ("Initial contact and triage", "completed", "2026-11-26"), ("Face-to-face meeting", "ready", "2026-12-09")]


def test_open_stages_wait_in_my_tasks_for_the_areas_police_and_show_when_overdue(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    """An application's open stage is the police's work: My tasks lists it beside their case tasks, with its due
    date, marked overdue once the date has passed; the coordinators (who follow applications), here and in another
    area, do not get it as work."""
    users = seeded()
    row = application(users["police"])
    stage = db.session.scalars(select(CsodsStage).where(CsodsStage.application_id == row.id)).one()
    sign_in(client, "police")
    listed = get_page(client, "/tasks").get_element_by_id(f"csods-stage-{stage.id}")
    cells = [" ".join(td.text_content().split()) for td in listed.xpath("./td")]
    assert cells == [stage.name, row.reference, "26 November 2026"] and stage.due_date == working_days(1)
    assert listed.xpath(".//a/@href") == [f"/csods/applications/{row.id}#open-stage"]

    clock.set(datetime(2026, 11, 27, 10, tzinfo=UTC))
    sign_in(client, "police")  # (the session ended while nobody used it)
    listed = get_page(client, "/tasks").get_element_by_id(f"csods-stage-{stage.id}")
    assert " ".join(listed.xpath("./td")[2].text_content().split()) == "26 November 2026 Overdue"
    assert db.session.scalar(select(func.count()).select_from(AccessLog)
                             .where(AccessLog.event == "csods_stages_listed")) == 2
    api = Api(client, users)  # the API lists the same work, and its link completes it
    [listed_api] = api.get("police", "/api/v1/csods/stages").get_json()["stages"]
    assert listed_api == {"application_id": row.id, "reference": row.reference, "name": stage.name,
                          "due": "2026-11-26", "overdue": True, "escalated": False, "links": {
                              "application": f"/api/v1/csods/applications/{row.id}",
                              "complete": f"/api/v1/csods/applications/{row.id}/stage"}}
    assert api.post("police", listed_api["links"]["complete"], json={"data": INITIAL_CONTACT}).status_code == 200
    assert [s["name"] for s in api.get("police", "/api/v1/csods/stages").get_json()["stages"]] == [
        "Face-to-face meeting"]
    for other in ("coordinator", "probation"):  # they follow applications or have none: not their work
        assert api.get(other, "/api/v1/csods/stages").status_code == 403

    for other in ("coordinator", "south_coordinator"):
        theirs = app.test_client()
        sign_in(theirs, other)
        assert get_page(theirs, "/tasks").xpath("//*[@id='csods-stages']") == []


def test_a_disclosure_is_not_dated_before_the_application_or_its_decision(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    """The day the scheme's disclosure was made is on or after the panel's decision, so never before the application
    was received (found in review: a delivery dated before the application was accepted). The same rule as a case's
    disclosure (services.disclosures): 422 naming data.delivered_on on the API, the error summary on the page,
    nothing written."""
    users = seeded()
    api = Api(client, users)
    made = api.post("police", "/api/v1/csods/applications", json={**APPLICATION, "received_on": "2026-11-20"})
    assert made.status_code == 201, made.get_data(as_text=True)
    application_id = made.get_json()["id"]
    url = f"/api/v1/csods/applications/{application_id}/stage"
    clock.set(datetime(2026, 11, 26, 10, tzinfo=UTC))
    for data in (INITIAL_CONTACT, {**FACE_TO_FACE, "met_on": "2026-11-26"}, RISK,
                 {**DISCLOSE, "deliver_by": "2027-01-15"}):
        data = {k: v for k, v in data.items() if not k.endswith(("-day", "-month", "-year"))}
        done = api.post("police", url, json={"data": data})
        assert done.status_code == 200, done.get_data(as_text=True)
    assert open_stage(application_id).name == "Deliver disclosure"

    before_received = {"delivered_on": "2026-11-19", "delivery_method": "in_person", "undertaking_given": "yes"}
    refused = api.post("police", url, json={"data": before_received})
    assert fields(refused) == ["data.delivered_on"]
    assert refused.get_json()["error"]["errors"][0]["message"] == (
        "Date the disclosure was made must be on or after 26 November 2026, when it was decided")
    sign_in(client, "police")
    page = check_page(post(client, f"/csods/applications/{application_id}",
                           {**DELIVERED, **day("delivered_on", "2026-11-25")}))  # after it was made, before decided
    assert summary_links(page) == {
        "#field-delivered_on": "Date the disclosure was made must be on or after 26 November 2026, when it was decided"}
    row = the(application_id)
    assert (row.status, row.delivered_on, open_stage(application_id).name) == ("open", None, "Deliver disclosure")
    assert db.session.scalars(select(AccessLog).where(AccessLog.event == "disclosure")).all() == []

    done = api.post("police", url, json={"data": {**before_received, "delivered_on": "2026-11-26"}})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert the(application_id).delivered_on == date(2026, 11, 26)


def test_the_child_is_under_18_on_the_day_the_application_was_made(app: Flask, client: FlaskClient) -> None:
    """The scheme is about a child: one 18 or over on the day the application was made is refused (found in review:
    a date of birth in 1990 was accepted). The form's ``x-max-age`` (services.forms), read by the API and the page
    alike: 422 naming child_date_of_birth, the error summary, nothing written. A child who turns 18 that very day
    is no longer a child; one who turns 18 the day after still is."""
    users = seeded()
    api = Api(client, users)
    made_on = {**APPLICATION, "received_on": "2026-11-20"}
    message = "The child must be under 18 on the date the application was made"
    for born in ("1990-01-01", "2008-11-20"):
        refused = api.post("police", "/api/v1/csods/applications", json={**made_on, "child_date_of_birth": born})
        assert fields(refused) == ["child_date_of_birth"], born
        assert refused.get_json()["error"]["errors"][0]["message"] == message
    sign_in(client, "police")
    page = check_page(post(client, "/csods/applications/new", page_form(
        {**made_on, "child_date_of_birth": "2008-11-19"}, "received_on", "subject_date_of_birth",
        "child_date_of_birth")))
    assert summary_links(page) == {"#field-child_date_of_birth": message}
    assert db.session.scalar(select(func.count()).select_from(CsodsApplication)) == 0

    made = api.post("police", "/api/v1/csods/applications", json={**made_on, "child_date_of_birth": "2008-11-21"})
    assert made.status_code == 201, made.get_data(as_text=True)
