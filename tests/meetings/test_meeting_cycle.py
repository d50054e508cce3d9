"""The whole MAPP meeting cycle on the real engine: schedule, agenda from due cases, research, attendance,
minutes for three offenders, approval, distribution, and the lifecycle moving on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from services import meetings
from services.db import db
from services.errors import PreconditionFailed, ValidationFailed
from services.models import HumanTask, MappaCase, User
from services.scheduler import sweep
from services.tasks import complete
from tests.factories import considered_disclosure, create_case, hold, on_its_day, ready_task, seeded

MEETING_AT = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)


def level2_case(users: dict[str, User], name: str, first_review_due: str, referrer: str = "probation") -> MappaCase:
    case = create_case(users[referrer], offender_name=name)
    complete(users["coordinator"], ready_task(case.id, "check_referral").id, {"referral_complete": "yes"})
    complete(users["coordinator"], ready_task(case.id, "screening_decision").id, {
        "screening_outcome": "accepted_level_2", "screening_rationale": "High risk.",
        "first_review_due": first_review_due})
    complete(users["police"], ready_task(case.id, "visor_record").id, {"visor_reference": f"VS-{name}"})
    db.session.commit()
    return case


def minutes_text(decision: str, review: str | None, actions: list[dict] | None = None) -> dict:
    sections = {"summary": "Discussed.", "risk_assessment": "High risk to ex-partner.",
                "level_decision": {"decision": decision, "rationale": "Agreed by all agencies."},
                "actions": actions or []}
    if review:
        sections["next_review_date"] = review
    return sections


@pytest.fixture
def world(app: Flask) -> dict:
    users = seeded()
    cases = [level2_case(users, n, d) for n, d in (("Adam Ashby", "2026-12-14"), ("Brian Brook", "2026-12-22"),
                                                  ("Carl Carter", "2026-12-18"))]
    far = level2_case(users, "Dean Dunn", "2026-12-23")
    far.next_review_due = (MEETING_AT + timedelta(days=60)).date()  # not due at this meeting
    db.session.commit()
    return {"users": users, "cases": cases, "far": far}


def test_whole_meeting_cycle(app: Flask, world: dict) -> None:
    users, cases = world["users"], world["cases"]
    admin, chair, coordinator = users["administrator"], users["chair"], users["coordinator"]
    [meeting] = meetings.schedule(admin, level=2, starts_at=MEETING_AT, chair="chair", venue="Northshire HQ")
    items = meetings.build_agenda(admin, meeting.id)
    assert [i.case.offender_name for i in items] == ["Adam Ashby", "Carl Carter", "Brian Brook"]  # by due date
    assert world["far"].id not in [i.case_id for i in items]
    assert meetings.build_agenda(admin, meeting.id) == []  # already on the agenda
    db.session.commit()

    # research: police flag an issue to the chair before the meeting
    research = ready_task(cases[0].id, "police_research")
    assert research.due_date.isoformat() == "2026-12-08"  # two working days before
    complete(users["police"], research.id, {"issues_of_concern": "Seen near victim's address.", "flag_to_chair": True})
    db.session.commit()
    db.session.refresh(items[0])
    assert items[0].research_flags[0]["flag_to_chair"] is True

    on_its_day(meeting.id)
    meetings.open_meeting(chair, meeting.id)
    rows = meetings.attendance(meeting)
    assert {"Probation", "Police", "Housing"} <= {r.agency for r in rows}
    meetings.record_attendance(admin, meeting.id, {rows[0].id: "present", rows[1].id: "apologies"})

    decisions = {cases[0].id: ("level_3", "2027-01-20"), cases[1].id: ("level_2", "2027-03-01"),
                 cases[2].id: ("exit", None)}
    for case in cases:
        minutes = meetings.minutes_for(admin, meeting.id, case.id)
        first = meetings.save_minutes(admin, meeting.id, case.id, {"summary": "Draft"}, meetings.etag(minutes))
        with pytest.raises(PreconditionFailed):
            meetings.save_minutes(chair, meeting.id, case.id, {"summary": "Lost?"}, '"stale"')
        decision, review = decisions[case.id]
        actions = [{"description": "Joint home visit", "owner_role": "police", "owner_agency": "Police",
                    "due": "2026-12-20"}] if case is cases[1] else []
        meetings.save_minutes(admin, meeting.id, case.id, minutes_text(decision, review, actions),
                              meetings.etag(first))
        meetings.submit_for_approval(admin, meeting.id, case.id)
    db.session.commit()

    for case in cases:
        approve = ready_task(case.id, "approve_minutes")
        assert approve.role == "chair"
        considered_disclosure(case.id)
        complete(chair, approve.id, {"approval": "approve"})
        db.session.commit()
    db.session.expire_all()
    adam, brian, carl = (db.session.get(MappaCase, c.id) for c in cases)
    assert (adam.level, adam.next_review_due.isoformat()) == (3, "2027-01-20")
    assert (brian.level, brian.next_review_due.isoformat()) == (2, "2027-03-01")
    assert carl.status == "level 2" and ready_task(carl.id, "confirm_exit").role == "coordinator"
    action = ready_task(brian.id, "complete_action")
    assert (action.role, action.due_date.isoformat()) == ("police", "2026-12-20")

    distribute = ready_task(adam.id, "distribute_minutes")
    assert distribute.due_date.isoformat() == "2026-12-24"  # ten working days from the meeting (10 December)
    complete(admin, distribute.id, {"distributed_to": "Police, Probation, Housing"})
    db.session.commit()
    assert meetings.minutes_for(admin, meeting.id, adam.id).status == "distributed"
    assert meetings.minutes_for(coordinator, meeting.id, brian.id).status == "approved"


def test_distribution_not_done_in_time_is_overdue(app: Flask, world: dict) -> None:
    users, case = world["users"], world["cases"][0]
    admin = users["administrator"]
    [meeting] = meetings.schedule(admin, level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    meetings.build_agenda(admin, meeting.id)
    hold(meeting.id)
    meetings.save_minutes(admin, meeting.id, case.id, minutes_text("level_2", "2027-02-01"), None)
    meetings.submit_for_approval(admin, meeting.id, case.id)
    considered_disclosure(case.id)
    complete(users["chair"], ready_task(case.id, "approve_minutes").id, {"approval": "approve"})
    db.session.commit()
    def distribution() -> HumanTask:
        db.session.expire_all()
        return db.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id,
                                                          HumanTask.bpmn_id == "distribute_minutes")).one()

    sweep(datetime(2026, 12, 24, 12, tzinfo=UTC))  # due ten working days after the meeting on 10 December
    assert distribution().overdue is False
    report = sweep(datetime(2026, 12, 29, 12, tzinfo=UTC))  # (25 and 28 December are bank holidays)
    assert report.tasks_marked_overdue >= 1
    assert distribution().overdue is True


def test_minutes_returned_by_the_chair_can_be_edited_again(app: Flask, world: dict) -> None:
    users, case = world["users"], world["cases"][0]
    admin = users["administrator"]
    [meeting] = meetings.schedule(admin, level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    meetings.build_agenda(admin, meeting.id)
    hold(meeting.id)
    meetings.save_minutes(admin, meeting.id, case.id, minutes_text("level_2", "2027-02-01"), None)
    with pytest.raises(ValidationFailed):
        meetings.submit_for_approval(admin, meeting.id, world["cases"][1].id)  # nothing written yet
    meetings.submit_for_approval(admin, meeting.id, case.id)
    complete(users["chair"], ready_task(case.id, "approve_minutes").id,
             {"approval": "return", "approval_comments": "Add the victim safety plan."})
    minutes = meetings.minutes_for(admin, meeting.id, case.id)
    assert minutes.status == "draft"
    meetings.save_minutes(admin, meeting.id, case.id, {"rmp_victim_safety": "Panic alarm fitted."},
                          meetings.etag(minutes))
    complete(admin, ready_task(case.id, "revise_minutes").id, {"revision_note": "Added victim safety plan."})
    assert meetings.minutes_for(admin, meeting.id, case.id).status == "awaiting approval"
    assert len(meetings.revisions(minutes)) == 2


def test_only_the_chair_permits_onward_sharing_and_it_is_logged(app: Flask, world: dict) -> None:
    from services.errors import Forbidden
    from services.models import AccessLog

    users, case = world["users"], world["cases"][0]
    admin = users["administrator"]
    [meeting] = meetings.schedule(admin, level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    meetings.build_agenda(admin, meeting.id)
    minutes = meetings.save_minutes(admin, meeting.id, case.id, {"summary": "x"}, None)
    with pytest.raises(Forbidden):
        meetings.record_disclosure(admin, minutes.id, "Head teacher", "Safeguarding")
    meetings.record_disclosure(users["chair"], minutes.id, "Head teacher, St Mary's", "Child safeguarding")
    events = db.session.scalars(select(AccessLog.detail).where(AccessLog.event == "minutes_disclosed")).all()
    assert events == ["to Head teacher, St Mary's: Child safeguarding"]


def test_recording_is_kept_until_its_retention_date(app: Flask, world: dict) -> None:
    from services import recordings

    admin = world["users"]["administrator"]
    [meeting] = meetings.schedule(admin, level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    with pytest.raises(ValidationFailed):
        recordings.attach(admin, meeting.id, "notes.txt", b"not audio")
    row = recordings.attach(admin, meeting.id, "../../meeting.mp3", b"ID3" + b"\0" * 100)
    assert row.filename == "meeting.mp3" and row.retention_until.isoformat() == "2027-02-23"  # 90 days
    _row, path = recordings.open_recording(admin, row.id)
    assert path.read_bytes().startswith(b"ID3")
    db.session.commit()
    assert sweep(datetime(2027, 2, 23, 12, tzinfo=UTC)).recordings_deleted == 0
    assert sweep(datetime(2027, 2, 24, 12, tzinfo=UTC)).recordings_deleted == 1
    assert not path.exists() and recordings.recordings_of(meeting.id) == []


def test_research_for_a_custody_case_asks_police_offender_manager_and_prison(app: Flask) -> None:
    users = seeded()
    case = create_case(users["probation"], offender_name="Eric Ellis", custody=True, release_date="2027-06-01")
    complete(users["coordinator"], ready_task(case.id, "check_referral").id, {"referral_complete": "yes"})
    complete(users["coordinator"], ready_task(case.id, "screening_decision").id, {
        "screening_outcome": "accepted_level_2", "screening_rationale": "r", "first_review_due": "2026-12-14"})
    complete(users["police"], ready_task(case.id, "visor_record").id, {"visor_reference": "VS-E"})
    db.session.commit()
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    [item] = meetings.build_agenda(users["administrator"], meeting.id)
    assert "Prison" in meetings.invitees(case)
    for username, step in (("police", "police_research"), ("probation", "om_research"), ("prison", "prison_research")):
        task = ready_task(case.id, step)
        complete(users[username], task.id, {"issues_of_concern": f"{username}: nothing new", "flag_to_chair": False})
    db.session.commit()
    db.session.refresh(item)
    assert sorted(f["agency"] for f in item.research_flags) == ["Police", "Prison", "Probation"]
    assert db.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == "ready",
                                                      HumanTask.bpmn_id.like("%research"))).all() == []
