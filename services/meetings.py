"""MAPP meetings: the calendar, agendas built from cases due, attendance, minutes written live, approval.

Approving a set of minutes moves the case's lifecycle on: the level decision and next review date complete
the case's MAPP meeting review, and the actions become tasks for their owners.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from services import clock
from services.access import load_case, log_access, log_case_list
from services.db import db
from services.errors import Conflict, FieldError, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from services.instances import phase_data, running_phase, start_phase
from services.minutes_sections import ALL_SECTIONS, LEVEL_DECISIONS, TEXT_SECTIONS
from services.models import (
    AgendaItem,
    Attendance,
    Disclosure,
    HumanTask,
    MappaCase,
    MappMeeting,
    Minutes,
    MinutesRevision,
    ProcessInstance,
    User,
)
from services.settings import area_settings
from workflows.calendar import ENGLAND_AND_WALES

ORGANISERS = frozenset({"coordinator", "administrator"})
MINUTE_TAKERS = frozenset({"coordinator", "administrator", "chair"})
ATTENDANCE_STATUSES = ("invited", "present", "apologies", "report received", "absent")
AGENDA_WINDOW_DAYS = 28  # cases due up to four weeks after the meeting are offered for its agenda
MAX_SECTION_CHARS = 40_000


def _require(user: User, roles: frozenset[str], what: str) -> None:
    if not user.roles & roles:
        raise Forbidden(f"Only the {' or '.join(sorted(r.replace('_', ' ') for r in roles))} can {what}")


# -- calendar ---------------------------------------------------------------------------------------------------
def schedule(user: User, *, level: int, starts_at: datetime, chair: str, duration_minutes: int = 180,
             venue: str | None = None, online_link: str | None = None, repeat_weeks: int | None = None,
             occurrences: int = 1) -> list[MappMeeting]:
    """A meeting, or a recurring slot of them (every ``repeat_weeks`` weeks, ``occurrences`` times)."""
    _require(user, ORGANISERS, "schedule MAPP meetings")
    errors = []
    if level not in (2, 3):
        errors.append(FieldError("level", "Select Level 2 or Level 3"))
    if starts_at.tzinfo is None:
        errors.append(FieldError("starts_at", "Give the start time with a time zone"))
    elif starts_at < clock.now():
        errors.append(FieldError("starts_at", "The meeting must start in the future"))
    chair_user = db.session.scalars(select(User).where(User.username == chair, User.area_id == user.area_id)).first()
    if chair_user is None or "chair" not in chair_user.roles:
        errors.append(FieldError("chair", "Select a MAPP meeting chair in your area"))
    if not venue and not online_link:
        errors.append(FieldError("venue", "Enter a venue or an online meeting link"))
    if not 15 <= duration_minutes <= 600:
        errors.append(FieldError("duration_minutes", "A meeting lasts between 15 minutes and 10 hours"))
    if repeat_weeks is not None and not (1 <= repeat_weeks <= 12 and 1 <= occurrences <= 26):
        errors.append(FieldError("repeat_weeks", "Repeat every 1 to 12 weeks, up to 26 times"))
    if errors:
        raise ValidationFailed(errors)
    assert chair_user is not None
    series = uuid.uuid4().hex[:12] if repeat_weeks else None
    now = clock.now()
    meetings = []
    for n in range(occurrences if repeat_weeks else 1):
        start = starts_at + timedelta(weeks=(repeat_weeks or 0) * n)
        meeting = MappMeeting(area_id=user.area_id, level=level, starts_at=start,
                              ends_at=start + timedelta(minutes=duration_minutes), venue=venue or None,
                              online_link=online_link or None, chair_id=chair_user.id, status="scheduled",
                              series=series, created_at=now, created_by_id=user.id)
        db.session.add(meeting)
        meetings.append(meeting)
    db.session.flush()
    log_access(user, "meeting_scheduled", None, f"{len(meetings)} Level {level} meeting(s) from {starts_at}")
    return meetings


def meetings_between(user: User, start: datetime | None = None, end: datetime | None = None) -> list[MappMeeting]:
    query = select(MappMeeting).where(MappMeeting.area_id == user.area_id)
    if start is not None:
        query = query.where(MappMeeting.starts_at >= start)
    if end is not None:
        query = query.where(MappMeeting.starts_at < end)
    return list(db.session.scalars(query.order_by(MappMeeting.starts_at)))


def load_meeting(user: User, meeting_id: int, event: str = "meeting_viewed") -> MappMeeting:
    meeting = db.session.get(MappMeeting, meeting_id)
    if meeting is None or meeting.area_id != user.area_id:
        raise NotFound("meeting not found")
    log_access(user, event, None, f"meeting {meeting_id}")
    log_case_list(user, event, [item.case_id for item in meeting.items], f"meeting {meeting_id}")
    return meeting


def title(meeting: MappMeeting) -> str:
    local = meeting.starts_at.astimezone(clock.LONDON)
    return f"Level {meeting.level} MAPP meeting, {local.strftime('%-d %B %Y %H:%M')}"


# -- agenda -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DueCase:
    case: MappaCase
    kind: str
    due: date | None


def cases_due(meeting: MappMeeting) -> list[DueCase]:
    """Cases at the meeting's level in its area whose first meeting or review falls due by the agenda window,
    plus any with a MAPP meeting review waiting now (early reviews), not already on an upcoming agenda."""
    horizon = meeting.starts_at.astimezone(clock.LONDON).date() + timedelta(days=AGENDA_WINDOW_DAYS)
    booked = select(AgendaItem.case_id).join(MappMeeting).where(MappMeeting.status.in_(("scheduled", "in progress")))
    waiting = select(HumanTask.case_id).where(HumanTask.bpmn_id == "meeting_review", HumanTask.state == "ready")
    rows = db.session.scalars(select(MappaCase).where(
        MappaCase.area_id == meeting.area_id, MappaCase.level == meeting.level,
        MappaCase.status == f"level {meeting.level}", MappaCase.id.not_in(booked),
        (MappaCase.next_review_due <= horizon) | MappaCase.id.in_(waiting),
    ).order_by(MappaCase.next_review_due, MappaCase.id))
    early = set(db.session.scalars(select(ProcessInstance.case_id).join(HumanTask).where(
        HumanTask.bpmn_id == "meeting_review", HumanTask.state == "ready")).all())
    result = []
    for case in rows:
        reviews_held = _reviews_held(case)
        kind = "initial" if reviews_held == 0 else "review"
        if case.id in early and case.next_review_due and case.next_review_due > horizon:
            kind = "early review"
        result.append(DueCase(case, kind, case.next_review_due))
    return result


def _reviews_held(case: MappaCase) -> int:
    return db.session.scalar(select(func.count(ProcessInstance.id)).where(
        ProcessInstance.case_id == case.id, ProcessInstance.phase == "review",
        ProcessInstance.status == "completed")) or 0


def build_agenda(user: User, meeting_id: int) -> list[AgendaItem]:
    """Offer the cases due at this meeting: add them in due-date order, invite the agencies, start research."""
    _require(user, ORGANISERS, "build agendas")
    meeting = load_meeting(user, meeting_id, "agenda_built")
    if meeting.status != "scheduled":
        raise Conflict("The agenda can only be built before the meeting starts")
    position = max((i.position for i in meeting.items), default=0)
    added = []
    for due in cases_due(meeting):
        position += 1
        item = AgendaItem(meeting_id=meeting.id, case_id=due.case.id, position=position, minutes_allotted=20,
                          kind=due.kind, research_flags=[])
        item.case = due.case
        db.session.add(item)
        db.session.flush()
        _invite(meeting, item)
        _start_research(meeting, item, user)
        log_access(user, "case_added_to_agenda", due.case.id, f"meeting {meeting.id}")
        added.append(item)
    db.session.refresh(meeting)
    return added


def invitees(case: MappaCase) -> list[str]:
    agencies = [case.lead_agency, "Police", "Probation"]
    if case.custody:
        agencies.append("Prison")
    agencies.append("Housing")
    if case.children_flag:
        agencies.append("Children's social care")
    if case.vulnerable_adults_flag:
        agencies.append("Adult social care")
    if case.victims_flag:
        agencies.append("Victim liaison")
    return list(dict.fromkeys(agencies))


def _invite(meeting: MappMeeting, item: AgendaItem) -> None:
    now = clock.now()
    for agency in invitees(item.case):
        db.session.add(Attendance(meeting_id=meeting.id, agenda_item_id=item.id, agency=agency, status="invited",
                                  updated_at=now))


def _start_research(meeting: MappMeeting, item: AgendaItem, user: User) -> None:
    settings = area_settings(meeting.area_id)
    meeting_day = meeting.starts_at.astimezone(clock.LONDON).date()
    research_due = ENGLAND_AND_WALES.add_working_days(meeting_day, -settings["research_working_days_before_meeting"])
    start_phase(item.case, "research", phase_data(item.case, {}) | {
        "agenda_item_id": item.id, "meeting_id": meeting.id, "meeting_title": title(meeting),
        "offender_name": item.case.offender_name, "research_due": research_due.isoformat()}, user)


def arrange(user: User, meeting_id: int, order: list[int], allotted: dict[int, int]) -> MappMeeting:
    """Put the agenda in the given order of case ids and set the minutes allotted to each."""
    _require(user, ORGANISERS, "arrange agendas")
    meeting = load_meeting(user, meeting_id, "agenda_arranged")
    items = {i.case_id: i for i in meeting.items}
    if sorted(order) != sorted(items):
        raise ValidationFailed([FieldError("order", "List every case on the agenda exactly once")])
    bad = [cid for cid, minutes in allotted.items() if cid not in items or not 5 <= minutes <= 120]
    if bad:
        raise ValidationFailed([FieldError("allotted", "Allot between 5 and 120 minutes to cases on the agenda")])
    for position, case_id in enumerate(order, start=1):
        items[case_id].position = position
        items[case_id].minutes_allotted = allotted.get(case_id, items[case_id].minutes_allotted)
    db.session.flush()
    db.session.refresh(meeting)
    return meeting


def record_attendance(user: User, meeting_id: int, statuses: dict[int, str]) -> MappMeeting:
    _require(user, MINUTE_TAKERS, "record attendance")
    meeting = load_meeting(user, meeting_id, "attendance_recorded")
    rows = {a.id: a for a in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))}
    errors = [FieldError(f"attendance.{aid}", "Choose present, apologies, report received or absent")
              for aid, status in statuses.items() if aid not in rows or status not in ATTENDANCE_STATUSES]
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    for aid, status in statuses.items():
        rows[aid].status, rows[aid].updated_at = status, now
    return meeting


def attendance(meeting: MappMeeting) -> list[Attendance]:
    return list(db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)
                                   .order_by(Attendance.agenda_item_id, Attendance.id)))


def open_meeting(user: User, meeting_id: int) -> MappMeeting:
    """The chair opens the meeting by reading the MAPPA D confidentiality and diversity statement."""
    _require(user, MINUTE_TAKERS, "open meetings")
    meeting = load_meeting(user, meeting_id, "meeting_opened")
    if meeting.status == "scheduled":
        meeting.status = "in progress"
        meeting.confidentiality_read_at, meeting.confidentiality_read_by_id = clock.now(), user.id
    return meeting


def close_meeting(user: User, meeting_id: int) -> MappMeeting:
    """The meeting has been held: its cases can be offered for later agendas again."""
    _require(user, MINUTE_TAKERS, "close meetings")
    meeting = load_meeting(user, meeting_id, "meeting_closed")
    if meeting.status != "in progress":
        raise Conflict("Only a meeting in progress can be closed")
    meeting.status = "held"
    return meeting


# -- minutes ----------------------------------------------------------------------------------------------------
def _item(meeting: MappMeeting, case_id: int) -> AgendaItem:
    for item in meeting.items:
        if item.case_id == case_id:
            return item
    raise NotFound("that case is not on this meeting's agenda")


def minutes_for(user: User, meeting_id: int, case_id: int, *, event: str = "minutes_viewed") -> Minutes:
    meeting = load_meeting(user, meeting_id, event)
    _item(meeting, case_id)
    load_case(user, case_id, event=event, detail=f"meeting {meeting_id}")
    minutes = db.session.scalars(select(Minutes).where(Minutes.meeting_id == meeting.id,
                                                       Minutes.case_id == case_id)).first()
    if minutes is None:
        minutes = Minutes(meeting_id=meeting.id, case_id=case_id, sections={}, version=0, status="draft",
                          updated_at=clock.now())
        db.session.add(minutes)
        db.session.flush()
        db.session.refresh(minutes)
    return minutes


def etag(minutes: Minutes) -> str:
    return f'"m{minutes.id}v{minutes.version}"'


def _check_sections(sections: dict[str, Any]) -> dict[str, Any]:
    errors = []
    for key, value in sections.items():
        if key not in ALL_SECTIONS:
            errors.append(FieldError(f"sections.{key}", "Not a section of the minutes"))
        elif key in TEXT_SECTIONS and not (isinstance(value, str) and len(value) <= MAX_SECTION_CHARS):
            errors.append(FieldError(f"sections.{key}", f"Give text of at most {MAX_SECTION_CHARS} characters"))
    errors += _check_structured(sections)
    if errors:
        raise ValidationFailed(errors)
    return sections


def _check_structured(sections: dict[str, Any]) -> list[FieldError]:
    errors = []
    decision = sections.get("level_decision")
    if decision is not None and not (isinstance(decision, dict) and decision.get("decision") in
                                     (*LEVEL_DECISIONS, None, "")):
        errors.append(FieldError("sections.level_decision", "Choose Level 1, 2 or 3 or exit, with the rationale"))
    review = sections.get("next_review_date")
    if review not in (None, ""):
        try:
            date.fromisoformat(str(review))
        except ValueError:
            errors.append(FieldError("sections.next_review_date", "Next review date must be a real date"))
    actions = sections.get("actions")
    if actions is not None:
        if not isinstance(actions, list):
            errors.append(FieldError("sections.actions", "Give the actions as a list"))
        else:
            for n, action in enumerate(actions):
                if not isinstance(action, dict) or not str(action.get("description", "")).strip():
                    errors.append(FieldError(f"sections.actions.{n}.description", "Enter the action"))
    return errors


def save_minutes(user: User, meeting_id: int, case_id: int, sections: dict[str, Any],
                 if_match: str | None) -> Minutes:
    """Save some sections. A stale version is refused with what is saved now, so nothing is overwritten."""
    _require(user, MINUTE_TAKERS, "write minutes")
    minutes = minutes_for(user, meeting_id, case_id, event="minutes_saved")
    if minutes.status not in ("draft",):
        raise Conflict(f"These minutes are {minutes.status} and cannot be changed")
    if if_match is not None and if_match != etag(minutes):
        raise PreconditionFailed("Someone else saved these minutes since you opened them", minutes)
    _check_sections(sections)
    merged = dict(minutes.sections or {})
    merged.update(sections)
    minutes.sections = merged
    minutes.version += 1
    minutes.updated_at, minutes.updated_by_id = clock.now(), user.id
    db.session.add(MinutesRevision(minutes_id=minutes.id, version=minutes.version, sections=merged,
                                   saved_at=minutes.updated_at, saved_by_id=user.id))
    db.session.flush()
    return minutes


def revisions(minutes: Minutes) -> list[MinutesRevision]:
    return list(db.session.scalars(select(MinutesRevision).where(MinutesRevision.minutes_id == minutes.id)
                                   .order_by(MinutesRevision.version.desc())))


def submit_for_approval(user: User, meeting_id: int, case_id: int) -> Minutes:
    """Lock the minutes and send them to the chair (the minutes approval process starts)."""
    _require(user, MINUTE_TAKERS, "submit minutes")
    minutes = minutes_for(user, meeting_id, case_id, event="minutes_submitted")
    if minutes.status != "draft":
        raise Conflict(f"These minutes are already {minutes.status}")
    missing = [k for k in ("summary", "risk_assessment", "level_decision") if not minutes.sections.get(k)]
    decision = (minutes.sections.get("level_decision") or {}).get("decision")
    if decision in ("level_1", "level_2", "level_3") and not minutes.sections.get("next_review_date"):
        missing.append("next_review_date")
    if missing:
        raise ValidationFailed([FieldError(f"sections.{k}", f"Complete '{ALL_SECTIONS[k]}' before approval")
                                for k in missing])
    minutes.status = "awaiting approval"
    settings = area_settings(minutes.meeting.area_id)
    running = db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.case_id == case_id, ProcessInstance.phase == "minutes",
        ProcessInstance.status == "running")).first()
    if running is None:
        start_phase(minutes.case, "minutes", phase_data(minutes.case, {}) | {
            "minutes_id": minutes.id, "meeting_title": title(minutes.meeting),
            "offender_name": minutes.case.offender_name,
            "distribution_days": settings["minutes_distribution_working_days"]}, user)
    return minutes


# -- lifecycle hooks: steps of the minutes and research processes ------------------------------------------------
def after_task_completed(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    handler = _HOOKS.get(task.bpmn_id)
    if handler is not None:
        handler(user, task, data)
        db.session.flush()


def _minutes_of(data: dict[str, Any]) -> Minutes:
    minutes = db.session.get(Minutes, int(data["minutes_id"]))
    if minutes is None:
        raise NotFound("minutes not found")
    return minutes


def _on_approval(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    minutes = _minutes_of(data)
    if data.get("approval") != "approve":
        minutes.status = "draft"  # returned: editable again until resubmitted
        return
    minutes.status, minutes.approved_at, minutes.approved_by_id = "approved", clock.now(), user.id
    apply_decisions(user, minutes)


def _on_revised(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    _minutes_of(data).status = "awaiting approval"


def _on_distributed(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    minutes = _minutes_of(data)
    minutes.status, minutes.distributed_at = "distributed", clock.now()
    log_access(user, "minutes_distributed", minutes.case_id, str(data.get("distributed_to", ""))[:200])


def _on_research(user: User, task: HumanTask, data: dict[str, Any]) -> None:
    item = db.session.get(AgendaItem, int(data["agenda_item_id"]))
    if item is None:
        return
    flag = {"agency": user.agency, "by": user.display_name, "at": clock.now().isoformat(),
            "concern": data.get("issues_of_concern", ""), "flag_to_chair": bool(data.get("flag_to_chair"))}
    item.research_flags = [*(item.research_flags or []), flag]


_HOOKS = {
    "approve_minutes": _on_approval, "revise_minutes": _on_revised, "distribute_minutes": _on_distributed,
    "police_research": _on_research, "om_research": _on_research, "prison_research": _on_research,
}


def apply_decisions(chair: User, minutes: Minutes) -> None:
    """Approved minutes move the case on: level decision and next review, and actions for their owners."""
    from services.lifecycle import agree_action
    from services.tasks import complete as complete_task

    case = minutes.case
    sections = minutes.sections
    decision = (sections.get("level_decision") or {}).get("decision")
    review = _meeting_review_task(chair, case)
    if review is not None and decision:
        outcome = {"review_outcome": decision,
                   "review_rationale": (sections.get("level_decision") or {}).get("rationale") or "See minutes"}
        if decision != "exit":
            outcome["next_review_date"] = sections.get("next_review_date")
        complete_task(chair, review.id, outcome)
    for action in sections.get("actions") or []:
        due = date.fromisoformat(action["due"]) if action.get("due") else None
        agree_action(chair, case.id, action["description"], action.get("owner_role") or "offender_manager", due)


def _meeting_review_task(chair: User, case: MappaCase) -> HumanTask | None:
    """The case's MAPP meeting review: ready now, or brought forward from the waiting review period."""
    task = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id,
                                                      HumanTask.bpmn_id == "meeting_review",
                                                      HumanTask.state == "ready")).first()
    if task is not None:
        return task
    if running_phase(case, frozenset({"review"})) is None:
        return None
    from services.lifecycle import request_early_review

    request_early_review(chair, case.id, "meeting", "Reviewed at a MAPP meeting")
    return db.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id,
                                                      HumanTask.bpmn_id == "meeting_review",
                                                      HumanTask.state == "ready")).first()


def record_disclosure(user: User, minutes_id: int, recipient: str, purpose: str) -> Disclosure:
    """Onward sharing of minutes: the meeting's chair permits it; recipient and purpose are logged."""
    minutes = db.session.get(Minutes, minutes_id)
    if minutes is None or minutes.meeting.area_id != user.area_id:
        raise NotFound("minutes not found")
    if user.id != minutes.meeting.chair_id:
        raise Forbidden("Only the meeting's chair can permit onward sharing of its minutes")
    errors = [FieldError(k, f"Enter the {k}") for k, v in (("recipient", recipient), ("purpose", purpose))
              if not v.strip()]
    if errors:
        raise ValidationFailed(errors)
    row = Disclosure(minutes_id=minutes.id, case_id=minutes.case_id, recipient=recipient.strip(),
                     purpose=purpose.strip(), permitted_by_id=user.id, shared_by_id=user.id, at=clock.now())
    db.session.add(row)
    log_access(user, "minutes_disclosed", minutes.case_id, f"to {recipient.strip()}: {purpose.strip()}"[:400])
    return row


# -- papers for an agenda item ------------------------------------------------------------------------------------
@dataclass
class Papers:
    """What the meeting reads for one offender: the referral, earlier minutes and how the actions stand."""

    meeting: MappMeeting
    case: MappaCase
    referral: list[dict[str, Any]]
    previous_minutes: list[Minutes]
    actions: list[HumanTask]


def papers(user: User, meeting_id: int, case_id: int) -> Papers:
    from services.models import CaseEvent

    meeting = load_meeting(user, meeting_id, "papers_viewed")
    _item(meeting, case_id)
    case = load_case(user, case_id, event="papers_viewed", detail=f"meeting {meeting_id}")
    referral = [{"at": e.at, "summary": e.summary, "detail": e.detail} for e in db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id,
                                CaseEvent.kind.in_(("referral_submitted", "offender_identified")))
        .order_by(CaseEvent.at))]
    earlier = list(db.session.scalars(select(Minutes).join(MappMeeting).where(
        Minutes.case_id == case.id, Minutes.meeting_id != meeting.id,
        Minutes.status.in_(("approved", "distributed"))).order_by(MappMeeting.starts_at.desc())))
    actions = list(db.session.scalars(select(HumanTask).where(
        HumanTask.case_id == case.id, HumanTask.bpmn_id == "complete_action").order_by(HumanTask.due_date)))
    return Papers(meeting, case, referral, earlier, actions)


def disclosures_of(minutes: Minutes) -> list[Disclosure]:
    return list(db.session.scalars(select(Disclosure).where(Disclosure.minutes_id == minutes.id)
                                   .order_by(Disclosure.at)))
