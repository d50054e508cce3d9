"""MAPP meetings: the calendar, agendas built from cases due, attendance, opening and closing, minutes written live
and submitted for approval.

A case is booked on one upcoming agenda at most (one conditional insert per case, under a partial unique index);
the booking ends when the meeting is held or its day has passed, so a case whose review falls due is always offered
to a later agenda. What approving the minutes does to the case is in services.minutes_steps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, delete, func, select, update

from services import clock, dates, forms, levels, meeting_access, rules
from services.access import load_case, log_access, log_case_list
from services.agencies import absent_agency, not_working_in
from services.db import db, insert_unless_present
from services.errors import Conflict, FieldError, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from services.instances import ENGINE, load, lock, phase_data, record, save, start_phase
from services.meeting_words import ATTENDANCE, ATTENDANCE_STATUSES
from services.minutes_sections import (
    ACTION_DESCRIPTION_MAX,
    ACTION_KEYS,
    ACTION_OWNERS,
    ACTIONS_MAX,
    ALL_SECTIONS,
    LEVEL_DECISION_KEYS,
    LEVEL_DECISIONS,
    OWNER_AGENCY_MAX,
    RATIONALE_MAX,
    TEXT_SECTION_MAX,
    TEXT_SECTIONS,
)
from services.models import (
    MEETING_LINK_MAX,
    MEETING_VENUE_MAX,
    SHARED_BECAUSE_MAX,
    SHARED_WITH_MAX,
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
from services.permissions import require
from services.settings import area_settings
from services.text import shows
from workflows.calendar import ENGLAND_AND_WALES
from workflows.lanes import DUTY_TO_COOPERATE_ROLES, agency_of

AGENDA_WINDOW_DAYS = 28  # cases due up to four weeks after the meeting are offered for its agenda


# -- calendar ---------------------------------------------------------------------------------------------------
def schedule(user: User, *, level: int, starts_at: datetime, chair: str, duration_minutes: int = 180,
             venue: str | None = None, online_link: str | None = None, repeat_weeks: int | None = None,
             occurrences: int = 1) -> list[MappMeeting]:
    """A meeting, or a recurring slot of them (every ``repeat_weeks`` weeks, ``occurrences`` times)."""
    require(user, "meetings:organise")
    errors = []
    if level not in (2, 3):
        errors.append(FieldError("level", "Select Level 2 or Level 3"))
    if starts_at.tzinfo is None:
        errors.append(FieldError("starts_at", "Give the start time with a time zone"))
    elif starts_at < clock.now():
        errors.append(FieldError("starts_at", "The meeting must start in the future"))
    elif not dates.in_range(starts_at.date()):
        errors.append(FieldError("starts_at", f"The meeting must start {dates.RANGE_TEXT}"))
    chair_user = chair_in_area(user, chair)
    if chair_user is None:
        errors.append(FieldError("chair", CHAIR_MESSAGE))
    venue, online_link = _shown(venue), _shown(online_link)
    if not venue and not online_link:
        errors.append(FieldError("venue", "Enter a venue or an online meeting link"))
    if venue and len(venue) > MEETING_VENUE_MAX:
        errors.append(FieldError("venue", f"Venue must be {MEETING_VENUE_MAX} characters or fewer"))
    if online_link and len(online_link) > MEETING_LINK_MAX:
        errors.append(FieldError("online_link", f"Online meeting link must be {MEETING_LINK_MAX} characters or fewer"))
    elif online_link and not _is_https(online_link):
        errors.append(FieldError("online_link", "Enter the online meeting link as an https:// address"))
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


CHAIR_MESSAGE = "Select a MAPP meeting chair in your area"


def chair_in_area(user: User, username: str) -> User | None:
    """An active MAPP meeting chair of the user's area, by username (None if there is no such chair)."""
    chair = db.session.scalars(select(User).where(User.username == username, User.area_id == user.area_id,
                                                  User.active.is_(True))).first()
    return chair if chair is not None and "chair" in chair.roles else None


def _is_https(link: str) -> bool:
    parts = urlsplit(link.strip())
    return parts.scheme == "https" and bool(parts.hostname) and not any(c.isspace() for c in link.strip())


def meetings_between(user: User, start: datetime | None = None, end: datetime | None = None) -> list[MappMeeting]:
    """The meetings this user may see (services.meeting_access), by start time."""
    query = select(MappMeeting).where(meeting_access.visible_meetings(user))
    if start is not None:
        query = query.where(MappMeeting.starts_at >= start)
    if end is not None:
        query = query.where(MappMeeting.starts_at < end)
    return list(db.session.scalars(query.order_by(MappMeeting.starts_at)))


def load_meeting(user: User, meeting_id: int, event: str = "meeting_viewed") -> MappMeeting:
    """The meeting if the user may see it (else NotFound, logged: no leak of whether it exists). Show its agenda
    through ``meeting_access.view``: a duty-to-co-operate agency sees only its own cases' items."""
    meeting = db.session.get(MappMeeting, meeting_id)
    if meeting is None or not meeting_access.may_see(user, meeting):
        log_access(user, "meeting_access_refused", None, f"meeting {meeting_id}")
        raise NotFound("meeting not found")
    log_access(user, event, None, f"meeting {meeting_id}")
    log_case_list(user, event, sorted(meeting_access.visible_case_ids(user, meeting)), f"meeting {meeting_id}")
    return meeting


def load_meeting_papers(user: User, meeting_id: int, paper: str, event: str) -> MappMeeting:
    """The meeting, for one of its papers (meeting_access.PAPERS): 404 if unseen, 403 if not the user's to read."""
    meeting = load_meeting(user, meeting_id, event)
    meeting_access.require_papers(user, meeting, paper)
    return meeting


def title(meeting: MappMeeting) -> str:
    return f"Level {meeting.level} MAPP meeting, {dates.long_datetime(meeting.starts_at)}"


def meeting_day(meeting: MappMeeting) -> date:
    return meeting.starts_at.astimezone(clock.LONDON).date()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=clock.LONDON)


def past_its_day(meeting: MappMeeting) -> bool:
    """Scheduled or running after the day it was for: it no longer holds its cases' bookings."""
    return meeting.status in ("scheduled", "in progress") and meeting_day(meeting) < clock.today()


# -- agenda -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DueCase:
    case: MappaCase
    kind: str
    due: date | None


def _booked_upcoming() -> Any:
    """Cases booked on the agenda of a meeting not yet held whose day has not passed."""
    return select(AgendaItem.case_id).join(MappMeeting).where(
        AgendaItem.booked.is_(True), MappMeeting.starts_at >= _start_of(clock.today()))


def _review_waiting() -> Any:
    return select(HumanTask.case_id).where(HumanTask.hook == "meeting_review", HumanTask.state == "ready")


def cases_due(meeting: MappMeeting) -> list[DueCase]:
    """Cases at the meeting's level in its area whose first meeting or review falls due by the agenda window,
    plus any with a MAPP meeting review waiting now (early or overdue reviews), not booked on an upcoming agenda."""
    horizon = meeting_day(meeting) + timedelta(days=AGENDA_WINDOW_DAYS)
    rows = db.session.scalars(select(MappaCase).where(
        MappaCase.area_id == meeting.area_id, MappaCase.level == meeting.level,
        MappaCase.status == f"level {meeting.level}", MappaCase.id.not_in(_booked_upcoming()),
        (MappaCase.next_review_due <= horizon) | MappaCase.id.in_(_review_waiting()),
    ).order_by(MappaCase.next_review_due, MappaCase.id))
    early = set(db.session.scalars(_review_waiting()).all())
    result = []
    for case in rows:
        kind = "initial" if _reviews_held(case) == 0 else "review"
        if case.id in early and case.next_review_due and case.next_review_due > horizon:
            kind = "early review"
        result.append(DueCase(case, kind, case.next_review_due))
    return result


def _reviews_held(case: MappaCase) -> int:
    return db.session.scalar(select(func.count(ProcessInstance.id)).where(
        ProcessInstance.case_id == case.id, ProcessInstance.phase == "review",
        ProcessInstance.status == "completed")) or 0


def _locked_meeting(user: User, meeting_id: int, event: str) -> MappMeeting:
    """The meeting, its row locked for this transaction (PostgreSQL; SQLite transactions begin IMMEDIATE)."""
    load_meeting(user, meeting_id, event)
    meeting = db.session.scalars(select(MappMeeting).where(MappMeeting.id == meeting_id).with_for_update(
        of=MappMeeting).execution_options(populate_existing=True)).one()
    db.session.expire(meeting, ["items"])
    return meeting


def build_agenda(user: User, meeting_id: int) -> list[AgendaItem]:
    """Offer the cases due at this meeting: add them in due-date order, invite the agencies, start research.

    Builds of one meeting queue on its row lock; a case a concurrent build of another meeting booked first is
    left to that meeting (the conditional insert books it nowhere else)."""
    require(user, "meetings:organise")
    meeting = _locked_meeting(user, meeting_id, "agenda_built")
    if meeting.status != "scheduled":
        raise Conflict("The agenda can only be built before the meeting starts")
    if past_its_day(meeting):
        raise Conflict("This meeting's day has passed: build the agenda of a later meeting")
    release_past_bookings(meeting.area_id)
    position = max((i.position for i in meeting.items), default=0)
    added = []
    for due in cases_due(meeting):
        item = _book(meeting, due, position + 1)
        if item is None:
            continue
        position += 1
        _invite(meeting, item)
        _start_research(meeting, item, user)
        log_access(user, "case_added_to_agenda", due.case.id, f"meeting {meeting.id}")
        added.append(item)
    db.session.expire(meeting, ["items"])
    return added


def _book(meeting: MappMeeting, due: DueCase, position: int) -> AgendaItem | None:
    """One conditional insert: the case is booked here, or (already booked elsewhere) nowhere."""
    item_id = db.session.scalar(insert_unless_present(AgendaItem, {
        "meeting_id": meeting.id, "case_id": due.case.id, "position": position, "minutes_allotted": 20,
        "kind": due.kind, "research_flags": [], "booked": True}).returning(AgendaItem.id))
    if item_id is None:
        return None
    item = db.session.get(AgendaItem, item_id)
    assert item is not None
    return item


def release_past_bookings(area_id: int) -> int:
    """Meetings whose day has passed without being closed no longer hold their cases."""
    stale = list(db.session.scalars(select(AgendaItem.id).join(MappMeeting).where(
        MappMeeting.area_id == area_id, AgendaItem.booked.is_(True),
        MappMeeting.starts_at < _start_of(clock.today())).order_by(AgendaItem.id).with_for_update(of=AgendaItem)))
    if stale:
        db.session.execute(update(AgendaItem).where(AgendaItem.id.in_(stale)).values(booked=False)
                           .execution_options(synchronize_session=False))
    return len(stale)


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
    # a duty-to-co-operate agency that owns or owned work on the case (an action) reports on it at its review
    working = db.session.scalars(select(HumanTask.role).where(HumanTask.case_id == case.id,
                                                              HumanTask.role.in_(sorted(DUTY_TO_COOPERATE_ROLES)))
                                 .distinct())
    agencies += sorted(agency_of(role) for role in working)
    absent = not_working_in(case.area_id)  # s.325(6) agencies the area has set as not working with it
    return [a for a in dict.fromkeys(agencies) if a == case.lead_agency or a.casefold() not in absent]


def _invite(meeting: MappMeeting, item: AgendaItem) -> None:
    now = clock.now()
    for agency in invitees(item.case):
        db.session.add(Attendance(meeting_id=meeting.id, agenda_item_id=item.id, agency=agency, status="invited",
                                  updated_at=now))


def _start_research(meeting: MappMeeting, item: AgendaItem, user: User) -> None:
    settings = area_settings(meeting.area_id)
    research_due = ENGLAND_AND_WALES.add_working_days(meeting_day(meeting),
                                                      -settings["research_working_days_before_meeting"])
    start_phase(item.case, "research", phase_data(item.case, {}) | {
        "agenda_item_id": item.id, "meeting_id": meeting.id, "meeting_title": title(meeting),
        "offender_name": item.case.offender_name, "research_due": research_due.isoformat()}, user)


def arrange(user: User, meeting_id: int, order: list[int], allotted: dict[int, int]) -> MappMeeting:
    """Put the agenda in the given order of case ids and set the minutes allotted to each."""
    require(user, "meetings:organise")
    meeting = load_meeting(user, meeting_id, "agenda_arranged")
    if not agenda_open(meeting):
        raise ValidationFailed([FieldError("agenda", CLOSED_AGENDA.format(status=meeting.status))])
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


CLOSED_AGENDA = "This meeting is {status}: its agenda can no longer be changed"
PERSON_CHARS = 120


def agenda_open(meeting: MappMeeting) -> bool:
    """A meeting's agenda may be arranged until the meeting has been held (or cancelled)."""
    return meeting.status in ("scheduled", "in progress")


class AttendanceChanged(Conflict):
    """Attendance someone else changed since the page showed it (409): the fields, each with what to do."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("Someone else changed this attendance since you opened the page")
        self.errors = errors


def record_attendance(user: User, meeting_id: int, statuses: dict[int, str], people: dict[int, str] | None = None,
                      seen_statuses: dict[int, str] | None = None,
                      seen_people: dict[int, str] | None = None) -> MappMeeting:
    """Each invited agency's attendance at an item (by row id) and, optionally, the name of the person who came,
    sent apologies or attended in another's place.

    ``seen_statuses`` and ``seen_people`` are what the page showed: only what was changed since is written, and only
    if nobody changed it in between (the meeting's rows are locked, then compared; AttendanceChanged otherwise,
    with nothing written), so a save from an older page never undoes a colleague's."""
    require(user, "minutes:write")
    meeting = load_meeting(user, meeting_id, "attendance_recorded")
    people, seen_statuses, seen_people = people or {}, seen_statuses or {}, seen_people or {}
    rows = {a.id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting.id).order_by(Attendance.id)
        .with_for_update(of=Attendance).execution_options(populate_existing=True))}
    *first, last = (ATTENDANCE[s].lower() for s in ATTENDANCE_STATUSES[1:])
    errors = [FieldError(f"attendance.{aid}", f"Choose {', '.join(first)} or {last}")
              for aid, status in statuses.items() if aid not in rows or status not in ATTENDANCE_STATUSES]
    errors += [FieldError(f"person.{aid}", f"Enter a name of at most {PERSON_CHARS} characters")
               for aid, name in people.items() if aid not in rows or len(name.strip()) > PERSON_CHARS]
    if errors:
        raise ValidationFailed(errors)
    statuses, seen_names = _changed(statuses, seen_statuses), {aid: _shown(n) for aid, n in seen_people.items()}
    named = _changed({aid: _shown(n) for aid, n in people.items()}, seen_names)
    stale = [FieldError(f"attendance.{aid}", f"{rows[aid].agency}'s attendance was changed to "
                                             f"{ATTENDANCE[rows[aid].status].lower()} meanwhile: "
                                             "check it and save again")
             for aid, status in statuses.items()
             if aid in seen_statuses and rows[aid].status not in (seen_statuses[aid], status)]
    stale += [FieldError(f"person.{aid}", f"{rows[aid].agency}'s person was changed meanwhile: check it and save again")
              for aid, name in named.items() if aid in seen_names and rows[aid].person not in (seen_names[aid], name)]
    if stale:
        raise AttendanceChanged(stale)
    now = clock.now()
    for aid, status in statuses.items():
        rows[aid].status, rows[aid].updated_at = status, now
    for aid, name in named.items():
        rows[aid].person, rows[aid].updated_at = name, now
    return meeting


def _shown(typed: str | None) -> str | None:
    """Typed text without its surrounding space; None when nothing in it shows (services.text.shows)."""
    return typed.strip() if typed and shows(typed) else None


def _changed(given: dict[int, Any], seen: dict[int, Any]) -> dict[int, Any]:
    """What a page changed: the values that differ from what it showed (every value it showed nothing for)."""
    return {aid: value for aid, value in given.items() if aid not in seen or seen[aid] != value}


def attendance(meeting: MappMeeting) -> list[Attendance]:
    return list(db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)
                                   .order_by(Attendance.agenda_item_id, Attendance.id)))


RESPONSIBLE_AUTHORITY = ("Police", "Probation", "Prison")  # listed first, then the other agencies by name


def attendance_by_agency(meeting: MappMeeting, item_ids: set[int]) -> list[tuple[str, list[Attendance]]]:
    """The meeting's attendance under each agency: its invitations to the whole meeting, then to the given agenda
    items (the ones the reader may see), in agenda order."""
    position = {i.id: i.position for i in meeting.items}
    groups: dict[str, list[Attendance]] = {}
    for row in attendance(meeting):
        if row.agenda_item_id is None or row.agenda_item_id in item_ids:
            groups.setdefault(row.agency, []).append(row)
    order = {agency: n for n, agency in enumerate(RESPONSIBLE_AUTHORITY)}
    return [(agency, sorted(rows, key=lambda r: (r.agenda_item_id is not None, position.get(r.agenda_item_id or 0, 0),
                                                 r.id)))
            for agency, rows in sorted(groups.items(), key=lambda g: (order.get(g[0], len(order)), g[0].casefold()))]


def minutes_of(meeting: MappMeeting) -> dict[int, Minutes]:
    """The minutes started for the meeting's cases so far, by case id (none are created by looking)."""
    return {m.case_id: m for m in db.session.scalars(select(Minutes).where(Minutes.meeting_id == meeting.id))}


# -- opening and closing ----------------------------------------------------------------------------------------
def _move(meeting: MappMeeting, before: str, after: str, **values: Any) -> bool:
    """One conditional update: exactly one of several people opening (or closing) a meeting at once does it."""
    changed = cast(CursorResult[Any], db.session.execute(
        update(MappMeeting).where(MappMeeting.id == meeting.id, MappMeeting.status == before)
        .values(status=after, **values).execution_options(synchronize_session=False))).rowcount
    db.session.refresh(meeting)
    return changed == 1


def open_meeting(user: User, meeting_id: int) -> MappMeeting:
    """The chair opens the meeting by reading the MAPPA D confidentiality and diversity statement; the minutes of
    each case on the agenda are due within the area's drafting deadline from the meeting."""
    require(user, "minutes:write")
    meeting = load_meeting(user, meeting_id, "meeting_opened")
    if meeting.status not in ("scheduled", "in progress"):
        raise Conflict(f"This meeting is {meeting.status}: it cannot be opened again")
    if meeting.status == "scheduled" and not its_day_has_come(meeting):
        raise Conflict(f"This meeting is on {dates.long_date(meeting_day(meeting))}: it can be opened on that day, "
                       "not before")
    if _move(meeting, "scheduled", "in progress", confidentiality_read_at=clock.now(),
             confidentiality_read_by_id=user.id):
        for item in meeting.items:
            minutes = _minutes_row(meeting, item.case_id)
            if minutes.process_instance_id is None:
                _start_minutes(user, minutes)
    return meeting


def its_day_has_come(meeting: MappMeeting) -> bool:
    """The meeting's day (in London) is today or has passed: it may be opened, and its minutes submitted."""
    return meeting_day(meeting) <= clock.today()


def require_held(meeting: MappMeeting, doing: str = "submitting its minutes") -> None:
    """Minutes record a meeting that took place: it has been opened (or held), and its day has come (409 before).
    The one rule for submitting and approving minutes, whichever way they are sent (page, API task, inbox)."""
    if meeting.status not in ("in progress", "held") or not its_day_has_come(meeting):
        raise Conflict(f"Open the meeting on its day (the MAPPA D statement read) before {doing}")


def close_meeting(user: User, meeting_id: int) -> MappMeeting:
    """The meeting has been held: its cases are free for later agendas and the research for it ends."""
    require(user, "minutes:write")
    meeting = load_meeting(user, meeting_id, "meeting_closed")
    if meeting.status == "scheduled":
        raise Conflict("Open the meeting (the MAPPA D statement read) before closing it")
    if not _move(meeting, "in progress", "held"):
        raise Conflict(f"This meeting is already {meeting.status}")
    db.session.execute(update(AgendaItem).where(AgendaItem.meeting_id == meeting.id).values(booked=False)
                       .execution_options(synchronize_session=False))
    for item in meeting.items:
        _end_research(user, meeting, item, f"{title(meeting)} has been held")
    db.session.expire(meeting, ["items"])
    return meeting


def leave_agendas(user: User, case: MappaCase, why: str) -> None:
    """The case leaves the agendas of its area's meetings not yet held (it is transferred to another area, whose
    meetings review it now): its agenda item and invitations go, and the research for the meeting ends."""
    items = db.session.scalars(select(AgendaItem).join(MappMeeting).where(
        AgendaItem.case_id == case.id, MappMeeting.area_id == case.area_id, MappMeeting.status == "scheduled")
        .order_by(AgendaItem.id).with_for_update(of=AgendaItem)).all()
    for item in items:
        meeting = item.meeting
        _end_research(user, meeting, item, why)
        db.session.execute(delete(Attendance).where(Attendance.agenda_item_id == item.id))
        db.session.delete(item)
        record(case, "case_removed_from_agenda", f"Removed from the agenda of {title(meeting)}: {why}", user, None,
               {"meeting": meeting.id})
        log_access(user, "case_removed_from_agenda", case.id, f"meeting {meeting.id}")
    db.session.flush()


def _end_research(user: User, meeting: MappMeeting, item: AgendaItem, why: str) -> None:
    """Research for a meeting already held, or that no longer discusses the case, can inform nothing: its open
    tasks are cancelled, in the history."""
    running = db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.case_id == item.case_id, ProcessInstance.phase == "research",
        ProcessInstance.status.in_(("running", "error"))))
    now = clock.now()
    for candidate in list(running):
        instance = lock(candidate.id)
        if load(instance).task_tree.data.get("agenda_item_id") != item.id:
            continue
        instance.status, instance.ended_at, instance.next_timer_at = "cancelled", now, None
        instance.version += 1
        for task in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                               HumanTask.state == "ready")):
            task.state, task.completed_at = "cancelled", now
        record(item.case, "phase_cancelled", f"{instance.model.name} ended: {why}", user, instance,
               {"meeting": meeting.id})


# -- minutes ----------------------------------------------------------------------------------------------------
def _item(meeting: MappMeeting, case_id: int) -> AgendaItem:
    for item in meeting.items:
        if item.case_id == case_id:
            return item
    raise NotFound("that case is not on this meeting's agenda")


def _minutes_row(meeting: MappMeeting, case_id: int) -> Minutes:
    """The minutes of the case at the meeting; the first to open them creates them (once, however many at once)."""
    query = select(Minutes).where(Minutes.meeting_id == meeting.id, Minutes.case_id == case_id)
    minutes = db.session.scalars(query).first()
    if minutes is None:
        db.session.execute(insert_unless_present(Minutes, {
            "meeting_id": meeting.id, "case_id": case_id, "sections": {}, "version": 0, "status": "draft",
            "updated_at": clock.now()}))
        minutes = db.session.scalars(query).one()
    return minutes


def _locked(minutes: Minutes) -> Minutes:
    """The minutes as saved now, their row locked for this transaction (PostgreSQL; SQLite transactions begin
    IMMEDIATE): whoever checks the version or status next sees the last save, not the one they read first."""
    return db.session.scalars(select(Minutes).where(Minutes.id == minutes.id).with_for_update(of=Minutes)
                              .execution_options(populate_existing=True)).one()


def minutes_for(user: User, meeting_id: int, case_id: int, *, event: str = "minutes_viewed") -> Minutes:
    meeting = load_meeting(user, meeting_id, event)
    meeting_access.require_papers(user, meeting, "minutes", case_id)
    _item(meeting, case_id)
    load_case(user, case_id, event=event, detail=f"meeting {meeting_id}")
    return _minutes_row(meeting, case_id)


APPROVED = ("approved", "distributed")  # minutes the chair has approved: their decisions stand


def executive_summary(user: User, meeting_id: int, case_id: int) -> Minutes:
    """The minutes an executive summary for an external request is made from: it stands in for them, so only once
    the chair has approved them (409 before)."""
    minutes = minutes_for(user, meeting_id, case_id, event="executive_summary_viewed")
    if minutes.status not in APPROVED:
        raise Conflict(f"These minutes are {minutes.status}: an executive summary is made only from minutes the chair "
                       "has approved")
    return minutes


def etag(minutes: Minutes) -> str:
    return f'"m{minutes.id}v{minutes.version}"'


def _check_sections(sections: dict[str, Any]) -> dict[str, Any]:
    errors = []
    for key, value in sections.items():
        if key not in ALL_SECTIONS:
            errors.append(FieldError(f"sections.{key}", "Not a section of the minutes"))
        elif key in TEXT_SECTIONS and not (isinstance(value, str) and len(value) <= TEXT_SECTION_MAX):
            errors.append(FieldError(f"sections.{key}", f"Give text of at most {TEXT_SECTION_MAX:,} characters"))
    errors += _check_structured(sections)
    if errors:
        raise ValidationFailed(errors)
    return sections


def _check_level_for_category(sections: dict[str, Any], case: MappaCase) -> None:
    """The level decided must be one the case's category allows (services.levels: Category 3 never Level 1)."""
    decision = (sections.get("level_decision") or {}).get("decision")
    problems = levels.check({"review_outcome": decision}, case.category) if decision else []
    if problems:
        raise ValidationFailed([FieldError("sections.level_decision", message) for _, message in problems])


def _check_review_date(sections: dict[str, Any], minutes: Minutes) -> None:
    """The next review date as the meeting review will take it when the minutes are approved (forms/meeting_review's
    rules: in the future, within the level's maximum interval from the meeting)."""
    decision = (sections.get("level_decision") or {}).get("decision")
    review = sections.get("next_review_date")
    if not decision or not review:
        return
    outcome = {"review_outcome": decision, "next_review_date": review,
               "meeting_date": meeting_day(minutes.meeting).isoformat()}
    problems = rules.check(forms.load_form("meeting_review"), outcome, minutes.case, clock.today())
    errors = [FieldError(f"sections.{e.field}", e.message) for e in problems if e.field == "next_review_date"]
    if errors:
        raise ValidationFailed(errors)


def _check_structured(sections: dict[str, Any]) -> list[FieldError]:
    errors = []
    decision = sections.get("level_decision")
    if decision is not None and not (isinstance(decision, dict) and decision.get("decision") in
                                     (*LEVEL_DECISIONS, None, "")):
        errors.append(FieldError("sections.level_decision", "Choose Level 1, 2 or 3 or exit, with the rationale"))
    elif isinstance(decision, dict):
        errors += _level_decision_errors(decision)
    review = sections.get("next_review_date")
    if review not in (None, "") and dates.parse_day(review) is None:
        errors.append(FieldError("sections.next_review_date",
                                 f"Next review date must be a real date {dates.RANGE_TEXT}"))
    actions = sections.get("actions")
    if actions is not None:
        if not isinstance(actions, list):
            errors.append(FieldError("sections.actions", "Give the actions as a list"))
        elif len(actions) > ACTIONS_MAX:
            errors.append(FieldError("sections.actions", f"Give at most {ACTIONS_MAX} actions"))
        else:
            for n, action in enumerate(actions):
                errors += action_errors(n, action, complete=False)
    return errors


def action_errors(n: int, action: Any, *, complete: bool) -> list[FieldError]:
    """One action of the minutes: a description, an owner from the known roles, a real due date not in the past.
    While the minutes are written an owner or date may still be missing (``complete=False``), never wrong."""
    where = f"sections.actions.{n}"
    if not isinstance(action, dict):
        return [FieldError(where, "Give each action as an object with description, owner_role and due")]
    errors = _unexpected(where, action, ACTION_KEYS)
    description = action.get("description")
    if not isinstance(description, str | None):
        errors.append(FieldError(f"{where}.description", "Give the action as text"))
    elif not shows(description or ""):
        errors.append(FieldError(f"{where}.description", "Enter the action"))
    elif len(description or "") > ACTION_DESCRIPTION_MAX:
        errors.append(FieldError(f"{where}.description",
                                 f"The action must be {ACTION_DESCRIPTION_MAX:,} characters or fewer"))
    agency = action.get("owner_agency")
    if agency is not None and not (isinstance(agency, str) and len(agency) <= OWNER_AGENCY_MAX):
        errors.append(FieldError(f"{where}.owner_agency",
                                 f"Give the owning agency as text of {OWNER_AGENCY_MAX} characters or fewer"))
    owner = action.get("owner_role") or ""
    if owner not in ACTION_OWNERS and (owner or complete):
        errors.append(FieldError(f"{where}.owner_role", "Select who owns the action: "
                                                        + ", ".join(ACTION_OWNERS.values())))
    due = action.get("due") or ""
    if due or complete:
        errors += _due_errors(f"{where}.due", due)
    return errors


def _unexpected(where: str, value: dict[str, Any], keys: tuple[str, ...]) -> list[FieldError]:
    return [FieldError(f"{where}.{key}", "Unexpected field") for key in value if key not in keys]


def _level_decision_errors(decision: dict[str, Any]) -> list[FieldError]:
    """The rationale as the approval will take it (the meeting review form's limit), and nothing else."""
    errors = _unexpected("sections.level_decision", decision, LEVEL_DECISION_KEYS)
    rationale = decision.get("rationale")
    if not isinstance(rationale, str | None):
        errors.append(FieldError("sections.level_decision.rationale", "Give the rationale as text"))
    elif len(rationale or "") > RATIONALE_MAX:
        errors.append(FieldError("sections.level_decision.rationale",
                                 f"Rationale must be {RATIONALE_MAX:,} characters or fewer"))
    return errors


def _due_errors(field: str, due: Any) -> list[FieldError]:
    day = dates.parse_day(due)
    if day is None:
        return [FieldError(field, f"Enter the date the action is due as a real date {dates.RANGE_TEXT}, "
                                  "like 2027-01-31")]
    if day < clock.today():
        return [FieldError(field, f"The action's due date cannot be in the past ({day.strftime('%-d %B %Y')})")]
    return []


def save_minutes(user: User, meeting_id: int, case_id: int, sections: dict[str, Any],
                 if_match: str | None) -> Minutes:
    """Save some sections. A stale version is refused with what is saved now, so nothing is overwritten."""
    require(user, "minutes:write")
    minutes = _locked(minutes_for(user, meeting_id, case_id, event="minutes_saved"))
    if minutes.status not in ("draft",):
        raise Conflict(f"These minutes are {minutes.status} and cannot be changed")
    if if_match is not None and if_match != etag(minutes):
        raise PreconditionFailed("Someone else saved these minutes since you opened them", minutes)
    _check_sections(sections)
    _check_level_for_category(sections, minutes.case)
    merged = dict(minutes.sections or {})
    merged.update(sections)
    if {"level_decision", "next_review_date"} & set(sections):
        _check_review_date(merged, minutes)
    revise(minutes, merged, user)
    return minutes


def revise(minutes: Minutes, sections: dict[str, Any], user: User) -> None:
    """A new version of the minutes, kept in the revision history."""
    minutes.sections = sections
    minutes.version += 1
    minutes.updated_at, minutes.updated_by_id = clock.now(), user.id
    db.session.add(MinutesRevision(minutes_id=minutes.id, version=minutes.version, sections=sections,
                                   saved_at=minutes.updated_at, saved_by_id=user.id))
    db.session.flush()


def revisions(minutes: Minutes) -> list[MinutesRevision]:
    return list(db.session.scalars(select(MinutesRevision).where(MinutesRevision.minutes_id == minutes.id)
                                   .order_by(MinutesRevision.version.desc())))


def submission_errors(minutes: Minutes) -> list[FieldError]:
    """What the minutes still need before the chair can approve them."""
    sections = minutes.sections or {}
    missing = [k for k in ("summary", "risk_assessment") if not shows(str(sections.get(k) or ""))]
    if not sections.get("level_decision"):
        missing.append("level_decision")
    decision = (sections.get("level_decision") or {}).get("decision")
    if decision in ("level_1", "level_2", "level_3") and not sections.get("next_review_date"):
        missing.append("next_review_date")
    errors = [FieldError(f"sections.{k}", f"Complete '{ALL_SECTIONS[k]}' before approval") for k in missing]
    for n, action in enumerate(sections.get("actions") or []):
        errors += action_errors(n, action, complete=True)
        owner = action.get("owner_role") if isinstance(action, dict) else None
        absent = absent_agency(minutes.case.area_id, owner) if isinstance(owner, str) else None
        if absent is not None:
            errors.append(FieldError(f"sections.actions.{n}.owner_role",
                                     f"{absent.name} does not work with this area: select another owner"))
    return errors


def submit_for_approval(user: User, meeting_id: int, case_id: int) -> Minutes:
    """Lock the minutes and send them to the chair: the writing (or revising) step of their process completes,
    their process is started first if the meeting's opening did not start it. Only for a meeting opened on or after
    its day (``require_held``)."""
    require(user, "minutes:write")
    minutes = minutes_for(user, meeting_id, case_id, event="minutes_submitted")
    if minutes.process_instance_id is not None:
        lock(minutes.process_instance_id)  # the order a completion of their step takes: the process, then the minutes
    minutes = _locked(minutes)
    if minutes.status != "draft":
        raise Conflict(f"These minutes are already {minutes.status}")
    require_held(minutes.meeting)
    errors = submission_errors(minutes)
    if errors:
        raise ValidationFailed(errors)
    minutes.status = "awaiting approval"
    if minutes.process_instance_id is None:  # a meeting opened before opening started each case's minutes
        _start_minutes(user, minutes)
    step = open_step(minutes, ("minutes_draft", "minutes_revision"))
    if step is not None:
        answers = ({"minutes_ready": "yes"} if step.hook == "minutes_draft"
                   else {"revision_note": "Resubmitted from the minutes editor"})
        complete_step(user, step, answers)
    return minutes


def _start_minutes(user: User, minutes: Minutes) -> None:
    settings = area_settings(minutes.meeting.area_id)
    instance = start_phase(minutes.case, "minutes", phase_data(minutes.case, {}) | {
        "minutes_id": minutes.id, "meeting_id": minutes.meeting_id, "meeting_title": title(minutes.meeting),
        "meeting_date": meeting_day(minutes.meeting).isoformat(), "offender_name": minutes.case.offender_name,
        "meeting_chair": minutes.meeting.chair.username,
        "drafting_days": settings["minutes_drafting_working_days"],
        "approval_days": settings["minutes_approval_working_days"],
        "revision_days": settings["minutes_revision_working_days"],
        "distribution_days": settings["minutes_distribution_working_days"]}, user)
    minutes.process_instance_id = instance.id
    db.session.flush()  # the approval step finds its minutes (and so its meeting's chair) by this link


def open_step(minutes: Minutes, hooks: tuple[str, ...]) -> HumanTask | None:
    if minutes.process_instance_id is None:
        return None
    return db.session.scalars(select(HumanTask).where(HumanTask.instance_id == minutes.process_instance_id,
                                                      HumanTask.hook.in_(hooks), HumanTask.state == "ready")).first()


def complete_step(user: User, task: HumanTask, answers: dict[str, Any]) -> None:
    """Complete a step the service itself stands for (submitting minutes completes their writing step)."""
    instance = lock(task.instance_id)
    db.session.refresh(task)
    if task.state != "ready":
        raise Conflict("These minutes' process moved on at the same moment: reload and try again")
    wf = load(instance)
    result = ENGINE.complete(wf, task.task_uuid, answers, clock.now())
    record(task.case, "task_completed", f"Completed '{task.name}'", user, instance, {"task": task.id, "data": answers})
    save(instance, task.case, wf, result, user, completed_task_uuid=task.task_uuid)


def record_disclosure(user: User, minutes_id: int, recipient: str, purpose: str) -> Disclosure:
    """Onward sharing of minutes: the meeting's chair permits it; recipient and purpose are logged."""
    minutes = db.session.get(Minutes, minutes_id)
    if minutes is None or minutes.meeting.area_id != user.area_id:
        raise NotFound("minutes not found")
    if user.id != minutes.meeting.chair_id:
        raise Forbidden("Only the meeting's chair can permit onward sharing of its minutes")
    errors = _sharing_errors(recipient, purpose)
    if errors:
        raise ValidationFailed(errors)
    row = Disclosure(minutes_id=minutes.id, case_id=minutes.case_id, recipient=recipient.strip(),
                     purpose=purpose.strip(), permitted_by_id=user.id, shared_by_id=user.id, at=clock.now())
    db.session.add(row)
    log_access(user, "minutes_disclosed", minutes.case_id, f"to {recipient.strip()}: {purpose.strip()}"[:400])
    return row


def _sharing_errors(recipient: str, purpose: str) -> list[FieldError]:
    """Who the minutes go to and why, each shown text that fits its column."""
    errors = []
    for field, value, label, most in (("recipient", recipient, "recipient", SHARED_WITH_MAX),
                                      ("purpose", purpose, "why sharing is necessary and proportionate",
                                       SHARED_BECAUSE_MAX)):
        if not shows(value):
            errors.append(FieldError(field, f"Enter the {label}"))
        elif len(value.strip()) > most:
            errors.append(FieldError(field, f"The {label} must be {most} characters or fewer"))
    return errors


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
    meeting_access.require_papers(user, meeting, "papers", case_id)
    _item(meeting, case_id)
    case = load_case(user, case_id, event="papers_viewed", detail=f"meeting {meeting_id}")
    referral = [{"at": e.at, "summary": e.summary, "detail": e.detail} for e in db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id,
                                CaseEvent.kind.in_(("referral_submitted", "offender_identified")))
        .order_by(CaseEvent.at))]
    earlier = list(db.session.scalars(select(Minutes).join(MappMeeting).where(
        Minutes.case_id == case.id, Minutes.meeting_id != meeting.id,
        Minutes.status.in_(APPROVED)).order_by(MappMeeting.starts_at.desc())))
    actions = list(db.session.scalars(select(HumanTask).where(
        HumanTask.case_id == case.id, HumanTask.hook == "agreed_action").order_by(HumanTask.due_date)))
    return Papers(meeting, case, referral, earlier, actions)


def disclosures_of(minutes: Minutes) -> list[Disclosure]:
    return list(db.session.scalars(select(Disclosure).where(Disclosure.minutes_id == minutes.id)
                                   .order_by(Disclosure.at)))
