"""ViSOR as work, not a field (issue 14, item 4): after a MAPP meeting of a case and after each change of its level,
lead or release date, its ViSOR user gets an "Update ViSOR" task (bpmn/visor_update.bpmn) due within the area's
``visor_update_days``; the case page lists what ViSOR has not been told yet until that task is done.

Over HTTP on the real engine, with the clock injected at 25 November 2026, 10:00 (a Wednesday)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services import scheduler
from services.db import db
from services.models import AccessLog, CaseEvent, HumanTask, ReminderOutbox, User
from tests.api.conftest import Api, fields
from tests.factories import considered_disclosure, make_user, on_its_day, sign_in
from tests.lifecycle.test_lifecycle_api import Journey, open_case, screen
from tests.meetings.test_meeting_cycle import level2_case
from tests.pages import get_page
from tests.web.test_case_actions_ui import flashed, post, summary_links

UPDATE = "Update ViSOR"
RECORDED = {"visor_recorded": "Level 3 and the new review date recorded on the nominal.", "visor_reference": "VS12345",
            "visor_recorded_on": "2026-11-25"}


def _level_2(app: Flask, api: Api, lead_agency: str = "Police") -> Journey:
    """A case accepted at Level 2 whose ViSOR record the police have created; its review period waits."""
    j = open_case(app, api, "police" if lead_agency == "Police" else "probation", lead_agency=lead_agency)
    screen(j, "accepted_level_2")
    return j


def _to_level_3(j: Journey) -> None:
    """An early review at which the chair raises the case to Level 3."""
    j.post("police", "early-review", {"reason": "arrest", "detail": "Arrested near the victim's home."})
    j.do("chair", "MAPP meeting review", {"review_outcome": "level_3", "review_rationale": "Risk is imminent.",
                                          "next_review_date": "2026-12-20"})


def _not_told(client: FlaskClient, case_id: int) -> list[list[str]]:
    """The rows of the case page's "What ViSOR has not been told yet" table (none: an empty list)."""
    page = get_page(client, f"/cases/{case_id}")
    assert page.xpath("//h2[@id='visor-pending-heading']/text()") == ["What ViSOR has not been told yet"]
    return [[" ".join(cell.text_content().split()) for cell in row.xpath("./td")]
            for row in page.xpath("//table[@id='visor-pending']/tbody/tr")]


def _update_task(j: Journey, username: str) -> dict[str, Any]:
    return j.task(username, UPDATE)


def test_a_level_change_gives_the_police_an_update_visor_task_that_clears_the_case_list_when_done(
        app: Flask, api: Api, client: FlaskClient) -> None:
    j = _level_2(app, api)
    assert UPDATE not in j.names("police")  # the first level went onto ViSOR when the record was created
    sign_in(client, "police")
    assert _not_told(client, j.case_id) == []

    _to_level_3(j)
    task = _update_task(j, "police")
    assert (task["due"], task["role"]) == ("2026-11-28", "police")  # 3 days (the area's default) after the change
    assert UPDATE not in j.names("probation")  # police-led: the police are its ViSOR user
    assert _not_told(client, j.case_id) == [
        ["Level", "Level changed from 2 to 3", "25 November 2026 at 10:00am", "28 November 2026"]]

    too_early = j.api.post("police", f"/api/v1/tasks/{task['id']}/complete",
                           json={"data": RECORDED | {"visor_recorded_on": "2026-11-24"}})
    assert fields(too_early) == ["data.visor_recorded_on"]  # before the change it records: 422, nothing written
    assert len(_not_told(client, j.case_id)) == 1
    done = j.do("police", UPDATE, RECORDED)
    assert done["state"] == "completed"
    assert _not_told(client, j.case_id) == []
    assert UPDATE not in j.names("police")
    history = [e["summary"] for e in j.api.get("coordinator", f"/api/v1/cases/{j.case_id}/history")
               .get_json()["events"]]
    assert "For ViSOR: Level changed from 2 to 3" in history  # the history keeps what the list no longer shows
    assert "Recorded on ViSOR VS12345: Level changed from 2 to 3" in history


def test_changes_while_a_task_is_open_join_it_and_probation_led_cases_go_to_the_offender_manager(
        app: Flask, api: Api, client: FlaskClient) -> None:
    j = _level_2(app, api, lead_agency="Probation")
    _to_level_3(j)
    first = _update_task(j, "probation")
    assert (first["due"], first["role"]) == ("2026-11-28", "offender_manager")
    assert UPDATE not in j.names("police")

    make_user("olly", {"offender_manager"}, api.users["probation"].area, display_name="Olly Fender")
    db.session.commit()
    app.extensions["mappa.clock"].set(datetime(2026, 11, 26, 15, 30, tzinfo=UTC))
    j.post("coordinator", "lead", {"lead_agency": "Probation", "lead_officer": "olly", "reason": "Reallocated"})
    [task] = [t for t in j.tasks("probation") if t["name"] == UPDATE]  # one task: the ViSOR user updates once
    assert (task["id"], task["due"]) == (first["id"], "2026-11-28")  # due when its oldest change is
    sign_in(client, "probation")
    assert _not_told(client, j.case_id) == [
        ["Level", "Level changed from 2 to 3", "25 November 2026 at 10:00am", "28 November 2026"],
        ["Lead agency or officer", "Lead changed to Probation (Olly Fender)", "26 November 2026 at 3:30pm",
         "28 November 2026"]]
    task_page = get_page(client, f"/tasks/{task['id']}")
    listed = " ".join(task_page.text_content().split())
    assert "Level changed from 2 to 3" in listed and "Lead changed to Probation (Olly Fender)" in listed

    refused = post(client, f"/tasks/{task['id']}", {"visor_recorded": "", "visor_reference": "VS12345",
                                                    "visor_recorded_on-day": "1", "visor_recorded_on-month": "1",
                                                    "visor_recorded_on-year": "2027"})
    errors = summary_links(lxml.html.fromstring(refused.get_data(as_text=True)))
    assert errors == {"#field-visor_recorded": "Enter what was recorded on ViSOR",
                      "#field-visor_recorded_on": "Date recorded on ViSOR must be today or in the past"}
    assert len(_not_told(client, j.case_id)) == 2  # nothing written
    banner = flashed(client, post(client, f"/tasks/{task['id']}", {
        "visor_recorded": "Level 3 and new lead recorded.", "visor_reference": "VS12345",
        "visor_recorded_on-day": "26", "visor_recorded_on-month": "11", "visor_recorded_on-year": "2026"}))
    assert "Update ViSOR" in banner
    assert _not_told(client, j.case_id) == []

    app.extensions["mappa.clock"].set(datetime(2026, 11, 27, 9, tzinfo=UTC))  # a later change: a new task
    j.post("coordinator", "lead", {"lead_agency": "Police", "lead_officer": "police", "reason": "Police lead now"})
    task = _update_task(j, "police")  # the new lead agency's ViSOR user
    assert task["due"] == "2026-11-30" and task["id"] != first["id"]


def test_a_release_date_change_is_for_visor_and_an_unchanged_date_is_not(app: Flask, api: Api) -> None:
    j = _level_2(app, api)
    assert UPDATE not in j.names("police")
    j.post("police", "release-date", {"release_date": "2027-05-01", "reason": "Parole board"}, status=422)  # not in
    j2 = Journey(app, api, open_case(app, api, "police", lead_agency="Police", custody=True,
                                     release_date="2027-06-01").case_id)
    screen(j2, "accepted_level_2")
    j2.post("police", "release-date", {"release_date": "2027-06-01", "reason": "Confirmed"})
    assert UPDATE not in j2.names("police")
    j2.post("police", "release-date", {"release_date": "2027-05-01", "reason": "Parole board"})
    assert _update_task(j2, "police")["due"] == "2026-11-28"


def test_approved_minutes_of_a_mapp_meeting_are_for_visor(app: Flask, api: Api, client: FlaskClient) -> None:
    case = level2_case(api.users, "Adam Ashby", "2026-12-14")
    j = Journey(app, api, case.id)
    made = api.post("administrator", "/api/v1/meetings", json={
        "area": "northshire", "level": 2, "starts_at": "2026-12-10T10:00:00+00:00", "chair": "chair",
        "venue": "Northshire HQ"})
    assert made.status_code == 201, made.get_data(as_text=True)
    meeting_id = made.get_json()["id"]
    api.post("administrator", f"/api/v1/meetings/{meeting_id}/agenda/build")
    path = f"/api/v1/meetings/{meeting_id}/minutes/{case.id}"
    sections = {"summary": "Discussed.", "risk_assessment": "High risk to ex-partner.",
                "level_decision": {"decision": "level_2", "rationale": "Agreed."}, "next_review_date": "2027-03-01"}
    etag = api.get("administrator", path).headers["ETag"]
    saved = api.client.put(path, json={"sections": sections}, headers=api.headers("administrator") | {"If-Match": etag})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    on_its_day(meeting_id)
    assert api.post("chair", f"/api/v1/meetings/{meeting_id}/open").status_code == 200
    sign_in(client, "administrator")
    minutes_page = f"/meetings/{meeting_id}/minutes/{case.id}"
    assert post(client, f"{minutes_page}/submit", {}, form_path=minutes_page).status_code == 302
    assert UPDATE not in j.names("probation")  # not before the chair approves the minutes
    considered_disclosure(j.case_id)
    j.do("chair", "Approve minutes", {"approval": "approve"})
    task = _update_task(j, "probation")  # probation-led
    assert task["due"] == "2026-12-13"  # three days from the approval, on the meeting's day (10 December)
    sign_in(client, "probation")
    assert [row[:2] for row in _not_told(client, case.id)] == [
        ["MAPP meeting", "MAPP meeting of 10 December 2026: minutes approved"]]  # Level 2 kept: no level change


def test_a_missed_deadline_is_marked_overdue_and_escalated_like_any_task(
        app: Flask, api: Api, client: FlaskClient) -> None:
    j = _level_2(app, api)
    _to_level_3(j)
    task_id = _update_task(j, "police")["id"]
    scheduler.sweep(datetime(2026, 11, 28, 10, tzinfo=UTC))  # due today: not yet late
    assert not db.session.get(HumanTask, task_id).overdue  # type: ignore[union-attr]
    scheduler.sweep(datetime(2026, 11, 29, 10, tzinfo=UTC))
    db.session.expire_all()
    assert db.session.get(HumanTask, task_id).overdue  # type: ignore[union-attr]
    assert _outbox(task_id, "overdue") == ["police"]  # unclaimed: the area's police are told
    app.extensions["mappa.clock"].set(datetime(2026, 11, 29, 10, tzinfo=UTC))
    sign_in(client, "police")
    [row] = _not_told(client, j.case_id)
    assert row[3] == "28 November 2026 Overdue"
    # escalated 3 working days (the default) after the due Saturday: Monday, Tuesday, Wednesday; on Thursday
    scheduler.sweep(datetime(2026, 12, 2, 10, tzinfo=UTC))
    assert _outbox(task_id, "escalation") == []
    scheduler.sweep(datetime(2026, 12, 3, 10, tzinfo=UTC))
    assert _outbox(task_id, "escalation") == ["coordinator"]


def _outbox(task_id: int, rule: str) -> list[str]:
    """Who a reminder of ``rule`` about the task was recorded for."""
    db.session.expire_all()
    return sorted(db.session.scalars(select(User.username).join(ReminderOutbox, ReminderOutbox.recipient_id == User.id)
                                     .where(ReminderOutbox.task_id == task_id, ReminderOutbox.rule == rule)))


def test_other_areas_and_duty_to_cooperate_agencies_can_neither_see_nor_complete_it(
        app: Flask, api: Api, client: FlaskClient) -> None:
    j = _level_2(app, api)
    j.post("coordinator", "actions", {"description": "Check the address", "owner_role": "housing",
                                      "due": "2026-12-10"}, status=201)  # housing now works on the case
    _to_level_3(j)
    task_id = _update_task(j, "police")["id"]
    for username, status in (("south_coordinator", 404), ("housing", 404)):  # not told the task exists
        assert api.get(username, f"/api/v1/tasks/{task_id}").status_code == status, username
        assert api.post(username, f"/api/v1/tasks/{task_id}/complete", json={"data": RECORDED}).status_code == status
        assert UPDATE not in [t["name"] for t in api.get(username, "/api/v1/tasks").get_json()["tasks"]]
        sign_in(client, username)
        get_page(client, f"/tasks/{task_id}", status)
    assert db.session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == j.case_id,
                                                           CaseEvent.kind == "visor_updated")).all() == []
    assert _update_task(j, "police")["id"] == task_id  # still open for the police


def test_an_exit_from_mappa_is_for_visor_and_the_api_case_view_lists_what_visor_has_not_been_told(
        app: Flask, api: Api, client: FlaskClient) -> None:
    j = _level_2(app, api)
    assert j.case("police")["visor_pending"] == []
    j.post("police", "early-review", {"reason": "arrest", "detail": "Licence ended early on appeal."})
    j.do("chair", "MAPP meeting review", {"review_outcome": "exit", "review_rationale": "No longer MAPPA eligible."})
    assert UPDATE not in j.names("police")  # nothing changed on the case yet: the coordinator confirms the exit
    j.do("coordinator", "Confirm exit from MAPPA", {"exit_decision": "exit", "exit_reason": "meeting_decision",
                                                    "exit_date": "2026-11-25"})
    case = j.case("police")
    assert case["status"] == "exited"
    assert case["visor_pending"] == [{
        "kind": "exit", "summary": "Exited MAPPA on 25 November 2026: MAPP meeting decided management no longer needed",
        "happened_at": "2026-11-25T10:00:00+00:00", "due": "2026-11-28", "overdue": False}]
    sign_in(client, "police")
    assert _not_told(client, j.case_id) == [["Exit from MAPPA", case["visor_pending"][0]["summary"],
                                             "25 November 2026 at 10:00am", "28 November 2026"]]
    j.do("police", UPDATE, RECORDED)  # the closed case's ViSOR task is still done (it is not a side phase ended)
    assert j.case("police")["visor_pending"] == []


def test_a_change_of_address_is_recorded_on_the_case_and_given_to_its_visor_user(
        app: Flask, api: Api, client: FlaskClient) -> None:
    j = _level_2(app, api)
    j.post("coordinator", "actions", {"description": "Check the hostel place", "owner_role": "housing",
                                      "due": "2026-12-10"}, status=201)  # housing works on the case, but is no RA
    sign_in(client, "police")
    form = f"/cases/{j.case_id}/address"
    refused = post(client, form, {"address": "", "moved_on-day": "30", "moved_on-month": "11",
                                  "moved_on-year": "2026", "reason": ""})
    assert summary_links(lxml.html.fromstring(refused.get_data(as_text=True))) == {
        "#field-address": "Enter the new address",
        "#field-moved_on": "Date the offender moved there must be today or in the past",
        "#field-reason": "Enter why the offender moved"}
    assert UPDATE not in j.names("police")  # nothing written
    moved = {"address": "Elm House Approved Premises, 4 Elm Road, Northtown NT1 4AB", "moved_on-day": "24",
             "moved_on-month": "11", "moved_on-year": "2026", "reason": "Released to approved premises."}
    assert flashed(client, post(client, form, moved)).endswith("ViSOR is to be told")
    page = get_page(client, f"/cases/{j.case_id}")
    summary = {" ".join(row.xpath("string(./dt)").split()): " ".join(row.xpath("string(./dd)").split())
               for row in page.xpath("//dl[@id='case-summary']/div")}
    assert summary["Address"] == f"{moved['address']} (since 24 November 2026)"
    assert _not_told(client, j.case_id) == [
        ["Address", f"Moved on 24 November 2026 to {moved['address']}", "25 November 2026 at 10:00am",
         "28 November 2026"]]
    assert _update_task(j, "police")["due"] == "2026-11-28"
    again = post(client, form, moved)  # the same address again is not a change
    assert summary_links(lxml.html.fromstring(again.get_data(as_text=True))) == {
        "#field-address": "This is already the case's address"}
    history = [e["summary"] for e in j.api.get("coordinator", f"/api/v1/cases/{j.case_id}/history")
               .get_json()["events"]]
    assert "Address changed on 24 November 2026: Released to approved premises." in history

    case = j.case("police")  # the API case view has it too, and records one the same way
    assert (case["address"], case["address_since"]) == (moved["address"], "2026-11-24")
    assert fields(j.api.post("probation", f"/api/v1/cases/{j.case_id}/address", json={
        "address": "Flat 2, 9 Oak Street", "moved_on": "2026-11-26", "reason": "Evicted"})) == ["moved_on"]
    j.post("probation", "address", {"address": "Flat 2, 9 Oak Street", "moved_on": "2026-11-25", "reason": "Evicted"})
    assert [row[1] for row in _not_told(client, j.case_id)] == [
        f"Moved on 24 November 2026 to {moved['address']}", "Moved on 25 November 2026 to Flat 2, 9 Oak Street"]

    sign_in(client, "housing")  # on the case, but not the Responsible Authority: no form, refused and logged
    assert "Record a change of address" not in " ".join(get_page(client, f"/cases/{j.case_id}").text_content().split())
    get_page(client, form, 403)
    assert post(client, form, moved | {"address": "Somewhere else"}, f"/cases/{j.case_id}").status_code == 403
    sign_in(client, "south_coordinator")
    get_page(client, form, 404)
    assert [s for s in db.session.scalars(select(CaseEvent.summary).where(CaseEvent.case_id == j.case_id))
            if s.startswith("Address changed")] == [
        "Address changed on 24 November 2026: Released to approved premises.",
        "Address changed on 25 November 2026: Evicted"]
    refusals = db.session.scalars(select(AccessLog.detail).where(AccessLog.event.like("%refused"),
                                                                 AccessLog.user_id == api.users["housing"].id)).all()
    assert refusals == [f"cases:change_address: {verb} /cases/{j.case_id}/address" for verb in ("GET", "POST")]
