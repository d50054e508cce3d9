"""Acting on a task (issue 12): what the task is about, what happens next, conditional reveals, dates, messages
written for people and "Error:" in the title of a page with errors. Real engine, real forms, HTTP."""

from __future__ import annotations

from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.lifecycle import agree_action
from services.models import AccessLog, AgendaItem, CaseEvent, HumanTask
from services.tasks import complete
from tests.api.test_api_lifecycle_actions import in_review_period
from tests.factories import create_case, ready_task, seeded, sign_in
from tests.pages import check_page, get_page
from tests.web.test_case_actions_ui import flashed, post, summary_links, summary_rows
from tests.web.test_meeting_papers_ui import _meeting_with_approved_minutes
from tests.web.test_meetings_ui import a_meeting_with_agenda

REFERRAL_FORM = {"offender_name": "Jane Doe", "category": "2", "lead_agency": "Probation", "level_requested": "2",
                 "rosh": "high", "custody": "false", "referral_reason": "Threats to a neighbour."}


def _about(client: FlaskClient, task_id: int) -> tuple[dict[str, str], dict[str, str]]:
    page = get_page(client, f"/tasks/{task_id}")
    links = {a.text_content().strip(): a.get("href") for a in page.xpath("//ul[@id='task-about-links']//a")}
    return summary_rows(page, "task-about"), links


def test_check_referral_shows_the_whole_referral_in_words_and_logs_the_read(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["probation"], offender_name="Kevin Kerr", level_requested=3, custody=True,
                       release_date="2027-03-01", sentence_date="2025-01-10", victims_flag=True, crn="X123456",
                       level3_reason="Needs senior police resources.")
    task = ready_task(case.id, "check_referral")
    sign_in(client, "coordinator")
    rows, links = _about(client, task.id)
    assert rows["Offender's full name"] == "Kevin Kerr"
    assert rows["NDelius CRN"] == "X123456"
    assert rows["MAPPA category"].startswith("Category 1")
    assert rows["Level of management sought"] == "Level 3"
    assert rows["What can Level 2 not deliver?"] == "Needs senior police resources."
    assert rows["Risk of serious harm"] == "High"
    assert rows["Is the offender in custody?"] == "Yes"
    assert rows["Earliest release date"] == "1 March 2027"
    assert rows["Sentence date"] == "10 January 2025"
    assert rows["Are there identifiable victims or potential victims?"] == "Yes"
    assert rows["Relevant information and reason for referral"] == "Escalating behaviour towards ex-partner."
    assert rows["PNC ID"] == "Not given"
    assert links == {}
    logged = db.session.scalars(select(AccessLog.detail).where(AccessLog.case_id == case.id,
                                                               AccessLog.event == "case_viewed")).all()
    assert f"task {task.id}: The referral" in logged


def test_a_level_2_referral_does_not_show_the_level_3_question(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["probation"])
    sign_in(client, "coordinator")
    rows, _ = _about(client, ready_task(case.id, "check_referral").id)
    assert rows["Level of management sought"] == "Level 2" and "What can Level 2 not deliver?" not in rows
    get_page(client, "/tasks/999999", 404)


def test_minutes_tasks_link_to_the_minutes_and_their_pdf(app: Flask, client: FlaskClient) -> None:
    meeting_id, case_id, _users = _meeting_with_approved_minutes()
    distribute = ready_task(case_id, "distribute_minutes")
    sign_in(client, "administrator")
    rows, links = _about(client, distribute.id)
    assert rows["Meeting"] == "Level 2 MAPP meeting, 10 December 2026 at 10:00am" and rows["Minutes"] == "Approved"
    assert links == {"Read the minutes": f"/meetings/{meeting_id}/minutes/{case_id}",
                     "Download the minutes (PDF)": f"/meetings/{meeting_id}/minutes/{case_id}.pdf"}


def test_an_action_shows_the_minutes_it_came_from(app: Flask, client: FlaskClient) -> None:
    meeting_id, case_id, _users = _meeting_with_approved_minutes()
    action = ready_task(case_id, "complete_action")
    sign_in(client, "police")
    rows, links = _about(client, action.id)
    assert rows == {"Agreed at": "Level 2 MAPP meeting, 10 December 2026 at 10:00am"}
    assert links["Read the minutes"] == f"/meetings/{meeting_id}/minutes/{case_id}"


def test_research_shows_the_agenda_item_and_its_meeting(app: Flask, client: FlaskClient) -> None:
    meeting_id, case_ids = a_meeting_with_agenda()
    research = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_ids[0], HumanTask.state == "ready",
                                                          HumanTask.hook == "agenda_research")).first()
    assert research is not None
    item = db.session.scalars(select(AgendaItem).where(AgendaItem.case_id == case_ids[0])).one()
    sign_in(client, "police" if research.role == "police" else "probation")
    rows, links = _about(client, research.id)
    assert rows["Meeting"] == "Level 2 MAPP meeting, 10 December 2026 at 10:00am" and rows["Venue"] == "Northshire HQ"
    assert rows["Agenda item"].startswith(f"{item.position}: ")
    assert links == {"View the meeting": f"/meetings/{meeting_id}"}


def test_completing_says_what_happens_next(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["probation"])
    sign_in(client, "coordinator")
    task = ready_task(case.id, "check_referral")
    banner = flashed(client, post(client, f"/tasks/{task.id}", {"referral_complete": "yes"}))
    assert f"'Check referral is complete' completed for {case.reference}" in banner
    assert "The case is now with the MAPPA Coordinator for 'Screening decision'" in banner


def test_completing_the_last_open_step_says_nothing_waits(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case_id = in_review_period(users)
    agree_action(users["coordinator"], case_id, "Visit the address", "police",
                 date(2026, 12, 1))
    db.session.commit()
    action = ready_task(case_id, "complete_action")
    sign_in(client, "police")
    banner = flashed(client, post(client, f"/tasks/{action.id}", {"action_outcome": "done",
                                                                 "action_note": "Visited."}))
    assert "No further steps are waiting on this case." in banner


def test_conditional_fields_are_revealed_under_their_answer(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "probation")
    page = get_page(client, "/referrals/new")
    level3 = page.xpath("//input[@name='level_requested'][@value='3']")[0]
    reveal = page.get_element_by_id(level3.get("data-aria-controls"))
    assert reveal.xpath(".//textarea[@name='level3_reason']") and "govuk-radios__conditional--hidden" in reveal.get(
        "class")
    custody = page.xpath("//input[@name='custody'][@value='true']")[0]
    assert page.get_element_by_id(custody.get("data-aria-controls")).xpath(".//input[@name='release_date-day']")
    assert not page.xpath("//input[@name='level_requested'][@value='2']/@data-aria-controls")


def test_answers_to_hidden_questions_are_dropped_not_stored(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "probation")
    response = post(client, "/referrals/new", {**REFERRAL_FORM, "level3_reason": "Typed before choosing Level 2",
                                               "release_date-day": "99", "release_date-month": "x"})
    assert response.status_code == 302, summary_links(check_page(response))
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "referral_submitted")).one()
    assert "level3_reason" not in event.detail["referral"] and "release_date" not in event.detail["referral"]


def test_a_revealed_question_is_required_with_a_message_for_people(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "probation")
    page = check_page(post(client, "/referrals/new", {**REFERRAL_FORM, "level_requested": "3", "custody": "true"}))
    assert summary_links(page) == {"#field-level3_reason": "Enter what Level 2 cannot deliver",
                                   "#field-release_date": "Enter the earliest release date"}
    assert page.xpath("string(//title)").startswith("Error: New MAPPA referral")
    # a revealed field with an error is shown: its answer is checked, so GOV.UK does not hide it
    reveal = page.get_element_by_id(page.xpath("//input[@name='level_requested'][@value='3']/@data-aria-controls")[0])
    assert "govuk-radios__conditional--hidden" not in reveal.get("class")


def test_dates_that_must_be_future_or_past(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "probation")
    dates = {"custody": "true", "release_date-day": "1", "release_date-month": "1", "release_date-year": "2026",
             "date_of_birth-day": "1", "date_of_birth-month": "1", "date_of_birth-year": "2030"}
    page = check_page(post(client, "/referrals/new", {**REFERRAL_FORM, **dates}))
    assert summary_links(page) == {"#field-date_of_birth": "Date of birth must be today or in the past",
                                   "#field-release_date": "Earliest release date must be today or in the future"}
    far = check_page(post(client, "/referrals/new", {**REFERRAL_FORM, **dates, "release_date-year": "2040",
                                                     "date_of_birth-year": "1980"}))
    assert summary_links(far) == {"#field-release_date": "Earliest release date must be within the next 10 years"}
    partial = check_page(post(client, "/referrals/new", {**REFERRAL_FORM, **dates, "release_date-year": "",
                                                         "date_of_birth-year": "1980"}))
    assert summary_links(partial) == {"#field-release_date": "Earliest release date must include a year"}


def test_task_form_errors_are_written_for_people(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["probation"])
    task = ready_task(case.id, "check_referral")
    sign_in(client, "coordinator")
    page = check_page(post(client, f"/tasks/{task.id}", {}))
    assert summary_links(page) == {"#field-referral_complete": "Select whether the referral is complete enough to "
                                                               "screen"}
    assert page.xpath("string(//title)").startswith("Error: Check referral is complete")
    assert not get_page(client, f"/tasks/{task.id}").xpath("string(//title)").startswith("Error:")
    returned = check_page(post(client, f"/tasks/{task.id}", {"referral_complete": "no"}))
    assert summary_links(returned) == {"#field-missing_information": "Enter what is missing"}


def test_the_api_drops_hidden_answers_too(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["probation"])
    task = ready_task(case.id, "check_referral")
    complete(users["coordinator"], task.id, {"referral_complete": "yes", "missing_information": "Nothing"})
    db.session.commit()
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "task_completed")).one()
    assert event.detail["data"] == {"referral_complete": "yes"}


def test_every_shipped_form_speaks_to_people_and_its_reveals_sit_under_an_answer() -> None:
    from services import forms

    for path in sorted(forms.FORMS_DIR.glob("*.json")):
        schema = forms.load_form(path.stem)
        for name, prop in forms.fields(schema):
            message = forms.required_message(name, prop)
            assert not message.endswith("?") and "required" not in message, (path.name, name, message)
            assert prop.get("x-date") in (None, "future", "past"), (path.name, name)
        for name, reveal in forms.reveals(schema).items():
            offered = [value for value, _ in forms.options(schema["properties"][reveal.under])]
            assert reveal.value in offered, (path.name, name, reveal)
    revealed = {(r.field, r.under, r.value) for r in forms.reveals(forms.load_form("referral")).values()}
    assert revealed == {("level3_reason", "level_requested", "3"), ("release_date", "custody", "true")}
