"""The SMB annual audit (issue 14 item 8, MAPPA.md section 14) over HTTP with the injected clock: the coordinator
draws the year's sample with a recorded seed (the same seed draws the same sample), each sampled case and meeting is
an audit task scored against MAPPA K or L, an audit not scored by its date goes to the manager to chase, and the
scores are summarised per question for the SMB."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services import lifecycle, meetings, smb
from services.db import db
from services.models import AccessLog, AgendaItem, AreaSetting, HumanTask, MappaCase, SmbAudit, SmbAuditItem, User
from services.scheduler import sweep
from tests.api.conftest import Api
from tests.factories import csrf_token, ready_task, seeded, sign_in
from tests.meetings.test_meeting_cycle import MEETING_AT, level2_case
from tests.pages import check_page, get_page
from tests.platform.racing import RACERS, colleagues, race
from tests.web.test_case_actions_ui import flashed, post, summary_links

CASE_SCORES = {"referral_timely": "met", "referral_complete": "partly", "first_meeting_timely": "met",
               "agency_attendance": "met", "agency_reports": "not_met", "minutes_quality": "met",
               "category_level_recorded": "met", "initial_rmp": "partly",
               "audit_comments": "Health sent no report; the referral lacked the victim's details."}
MEETING_SCORES = {"confidentiality_read": "met", "right_agencies": "partly", "reports_shared": "met",
                  "risk_reviewed": "met", "actions_smart": "not_met", "disclosure_considered": "met",
                  "chairing": "met", "minutes_on_time": "met", "audit_comments": "Actions had no dates."}
AFTER_MEETING = datetime(2026, 12, 11, 10, 0, tzinfo=UTC)


def held_meeting(users: dict[str, User]) -> tuple[list[MappaCase], int]:
    """Three Level 2 cases discussed at a MAPP meeting held on 10 December 2026 (the clock is the next day)."""
    cases = [level2_case(users, name, due) for name, due in (("Adam Ashby", "2026-12-14"),
                                                              ("Brian Brook", "2026-12-18"),
                                                              ("Carl Carter", "2026-12-22"))]
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair",
                                  venue="Northshire HQ")
    assert len(meetings.build_agenda(users["administrator"], meeting.id)) == 3
    area_id = users["coordinator"].area_id
    db.session.add_all([AreaSetting(area_id=area_id, key="smb_audit_cases_per_level", value="2"),
                        AreaSetting(area_id=area_id, key="smb_audit_meetings", value="1")])
    db.session.commit()
    return cases, meeting.id


def complete_page(client: FlaskClient, task: HumanTask, data: dict[str, Any]) -> str:
    return flashed(client, post(client, f"/tasks/{task.id}", data))


def test_the_sample_is_drawn_scored_chased_when_late_and_summarised(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    cases, meeting_id = held_meeting(users)
    clock.set(AFTER_MEETING)
    sign_in(client, "coordinator")
    page = check_page(post(client, "/smb/audits", {"year_ending": "", "seed": "twelve"}))
    assert summary_links(page) == {"#field-year_ending": "Enter the year the audit covers, ending 31 March"}
    page = check_page(post(client, "/smb/audits", {"year_ending": "2027-03-31", "seed": "twelve"}))
    assert list(summary_links(page)) == ["#field-seed"]
    assert db.session.scalars(select(SmbAudit)).all() == []  # nothing half-written

    response = post(client, "/smb/audits", {"year_ending": "2027-03-31", "seed": "12345"})
    assert flashed(client, response) == "Success Audit sample drawn: 3 to audit by 8 January 2027"
    [audit] = db.session.scalars(select(SmbAudit)).all()
    assert (audit.seed, audit.due_on, audit.year_ending) == (12345, date(2027, 1, 8), date(2027, 3, 31))
    # reproducible: the recorded seed over the same candidates draws the same cases
    expected = smb.pick([c.id for c in cases], 2, random.Random(12345))
    sampled = [i.case_id for i in audit.items if i.kind == "case"]
    assert sampled == expected
    [meeting_item] = [i for i in audit.items if i.kind == "meeting"]
    assert meeting_item.meeting_id == meeting_id
    again = post(client, "/smb/audits", {"year_ending": "2027-03-31", "seed": "12345"})
    assert again.status_code == 409  # one sample a year

    sample = get_page(client, f"/smb/audits/{audit.id}")
    assert len(sample.get_element_by_id("audit-sample").xpath(".//tbody/tr")) == 3
    # each case the sample names has the read in its own access log (found in review: only the area's row)
    read = set(db.session.scalars(select(AccessLog.case_id).where(AccessLog.event == "smb_audit_viewed")))
    assert read >= {item.case_id for item in audit.items}
    first, second = (ready_task(case_id, "audit_case") for case_id in sampled)
    assert (first.role, first.due_date, first.form_key) == ("coordinator", date(2027, 1, 8), "smb_case_audit")
    meeting_task = ready_task(meeting_item.case_id, "audit_meeting")
    shown = get_page(client, f"/tasks/{meeting_task.id}").text_content()
    assert "Level 2 MAPP meeting of 10 December 2026" in shown

    refused = check_page(post(client, f"/tasks/{first.id}", {**CASE_SCORES, "agency_reports": ""}))
    assert list(summary_links(refused)) == ["#field-agency_reports"]
    assert complete_page(client, first, CASE_SCORES).startswith("Success 'Audit the case (MAPPA K)' completed")

    clock.set(datetime(2027, 1, 9, 10, 0, tzinfo=UTC))  # the date passes with two audits not scored
    sweep()
    db.session.commit()
    chases = list(db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "chase_audit",
                                                             HumanTask.state == "ready")))
    assert sorted(t.case_id for t in chases) == sorted([second.case_id, meeting_item.case_id])
    assert {t.role for t in chases} == {"manager"}
    sign_in(client, "manager")
    assert complete_page(client, chases[0], {"chase_note": "Asked the coordinator; done by Friday."}).startswith(
        "Success 'Chase overdue audit' completed")

    sign_in(client, "coordinator")
    complete_page(client, ready_task(meeting_item.case_id, "audit_meeting"), MEETING_SCORES)
    complete_page(client, ready_task(second.case_id, "audit_case"),
                  {**CASE_SCORES, "referral_complete": "met", "agency_reports": "met"})
    db.session.expire_all()
    assert {i.status for i in db.session.scalars(select(SmbAuditItem))} == {"audited"}
    tools = {t.kind: t for t in smb.summary(db.session.get_one(SmbAudit, audit.id))}
    assert (tools["case"].audited, tools["case"].sampled, tools["meeting"].audited) == (2, 2, 1)
    reports = next(q for q in tools["case"].questions if q.key == "agency_reports")
    assert reports.counts == {"Met": 1, "Partly met": 0, "Not met": 1}

    table = get_page(client, f"/smb/audits/{audit.id}").get_element_by_id("audit-summary-case")
    rows = {" ".join(tr[0].text_content().split()): [td.text_content() for td in tr[1:]]
            for tr in table.xpath(".//tbody/tr")}
    assert rows["Were all sections of the referral completed?"] == ["1", "1", "0"]

    sign_in(client, "lay_adviser")  # the SMB reads the summary in its pack: figures, no case, meeting or comment
    pack = get_page(client, "/smb?year_ending=2027-03-31")
    table = pack.get_element_by_id("audit-summary-meeting")
    assert "Meeting audit (MAPPA L): 1 of 1 audited" in " ".join(table.text_content().split())
    text = pack.text_content()
    assert not [n for n in ("Adam Ashby", "Brian Brook", "Carl Carter", "Actions had no dates") if n in text]
    answer = Api(client, users).get("lay_adviser", "/api/v1/smb/pack?year_ending=2027-03-31").get_json()
    [case_tool] = [t for t in answer["audit"] if t["kind"] == "case"]
    assert (case_tool["sampled"], case_tool["audited"]) == (2, 2)
    assert next(q["counts"] for q in case_tool["questions"] if q["key"] == "agency_reports") == {
        "Met": 1, "Partly met": 0, "Not met": 1}


def test_nothing_to_sample_says_so(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "coordinator")
    page = check_page(post(client, "/smb/audits", {"year_ending": "2026-03-31"}))
    assert list(summary_links(page).values()) == [
        "No Level 2 or 3 case was discussed at a MAPP meeting held in that year: there is nothing to audit"]
    sign_in(client, "chair")
    get_page(client, "/smb/audits", status=403)  # the sample names cases: coordinator and managers only


def test_coordinators_drawing_the_same_year_at_once_draw_it_once(app: Flask, clock: Any) -> None:
    """Real parallel requests (tests.platform.racing; the race shows on PostgreSQL): one draw wins, the others are
    told it is already drawn (409 with the field's message, never a 500), and one sample of audits is started."""
    users = seeded()
    held_meeting(users)
    clock.set(AFTER_MEETING)
    clients = []
    for name in colleagues(users, "coordinator", RACERS):
        racer = app.test_client()
        sign_in(racer, name)
        clients.append(racer)
    forms = [{"csrf_token": csrf_token(racer, "/smb/audits"), "year_ending": "2027-03-31", "seed": "12345"}
             for racer in clients]

    results = race([lambda racer=racer, form=form: racer.post("/smb/audits", data=form)
                    for racer, form in zip(clients, forms, strict=True)])

    assert sorted(r.status_code for r in results) == [302] + [409] * (RACERS - 1), [r.status_code for r in results]
    for lost in (r for r in results if r.status_code == 409):
        assert summary_links(check_page(lost)) == {
            "#field-year_ending": "The audit sample for the year ending 31 March 2027 is already drawn"}
    db.session.expire_all()
    [audit] = db.session.scalars(select(SmbAudit)).all()
    assert db.session.scalar(select(func.count()).select_from(SmbAuditItem)) == len(audit.items) == 3
    assert db.session.scalar(select(func.count()).select_from(HumanTask)
                             .where(HumanTask.bpmn_id.in_(("audit_case", "audit_meeting")))) == 3


def test_a_meeting_is_audited_on_a_case_still_in_the_area_and_no_task_goes_to_another_area(
        app: Flask, client: FlaskClient, clock: Any) -> None:
    """Found in review: the meeting's audit was started on its first agenda item's case, which had since been
    transferred, so Northshire's audit of its own meeting became a task in Southmoor's inbox."""
    users = seeded()
    _cases, meeting_id = held_meeting(users)
    clock.set(AFTER_MEETING)
    first = db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
                               .order_by(AgendaItem.position)).first()
    assert first is not None
    lifecycle.transfer(users["coordinator"], first.case_id, "southmoor", "Moved to a hostel there")
    db.session.commit()
    sign_in(client, "coordinator")
    response = post(client, "/smb/audits", {"year_ending": "2027-03-31", "seed": "7"})
    assert flashed(client, response).startswith("Success Audit sample drawn: 3 to audit")
    [audit] = db.session.scalars(select(SmbAudit)).all()
    north = users["coordinator"].area_id
    assert {db.session.get_one(MappaCase, i.case_id).area_id for i in audit.items} == {north}
    assert [i.meeting_id for i in audit.items if i.kind == "meeting"] == [meeting_id]
    tasks = db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id.in_(("audit_case", "audit_meeting")))).all()
    assert len(tasks) == 3 and {t.area_id for t in tasks} == {north}
