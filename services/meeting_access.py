"""Need to know at MAPP meetings: who sees a meeting, which of its agenda items, and its papers.

One rule, read by the pages and the API alike:

- The Responsible Authority (police, probation, prison) and the MAPPA unit (coordinator, administrator, chair,
  manager), ``AREA_WIDE_ROLES``, see every meeting in their area whole: every agenda item, the research notes,
  the papers (the agenda PDF, each offender's papers pack, the minutes in any form) and the recordings.
- Anyone else (a duty-to-co-operate agency, a referrer) sees a meeting only when their agency is invited to the
  whole meeting or they work on a case on its agenda (``services.access.case_scope``), and within it only the
  items of the cases they work on. The other items are counted, never named.
- Research notes, papers and recordings are for the area-wide roles only: the rest are refused (403), logged as
  ``<paper>_refused``. A meeting the user may not see is not found (404), logged as ``meeting_access_refused``,
  whether it is another area's or one of their own area's they have no part in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, exists, func, select

from services.access import case_scope, log_access
from services.db import db
from services.errors import Forbidden
from services.models import AgendaItem, Attendance, MappaCase, MappMeeting, User
from services.permissions import AREA_WIDE_ROLES
from workflows.lanes import agencies_of

PAPERS = {  # what is refused to a role without the whole meeting, as the refusal names it and logs it
    "agenda_pdf": "the agenda",
    "papers": "the meeting papers",
    "minutes": "the minutes",
    "recording": "the meeting's recordings",
}


@dataclass(frozen=True)
class MeetingView:
    """A meeting as one user may see it: the agenda items shown, how many are not, and whether the research
    notes, papers and recordings are theirs to read."""

    meeting: MappMeeting
    items: list[AgendaItem]
    not_shown: int
    whole: bool


def sees_whole_meetings(user: User) -> bool:
    return bool(user.roles & AREA_WIDE_ROLES)


def visible_meetings(user: User) -> ColumnElement[bool]:
    """A WHERE clause for the meetings this user may see (their area, and for the rest: invited or working on)."""
    in_area = MappMeeting.area_id == user.area_id
    if sees_whole_meetings(user):
        return in_area
    works_on = exists().where(AgendaItem.meeting_id == MappMeeting.id, AgendaItem.case_id.in_(_case_ids(user)))
    return in_area & (works_on | _invited_to_whole(user))


def view(user: User, meeting: MappMeeting) -> MeetingView:
    items = sorted(meeting.items, key=lambda i: i.position)
    if sees_whole_meetings(user):
        return MeetingView(meeting, items, 0, whole=True)
    shown = visible_case_ids(user, meeting)
    return MeetingView(meeting, [i for i in items if i.case_id in shown], len(items) - len(shown), whole=False)


def may_see(user: User, meeting: MappMeeting) -> bool:
    if meeting.area_id != user.area_id:
        return False
    return sees_whole_meetings(user) or bool(visible_case_ids(user, meeting)) or db.session.scalar(
        select(MappMeeting.id).where(MappMeeting.id == meeting.id, _invited_to_whole(user))) is not None


def visible_case_ids(user: User, meeting: MappMeeting) -> set[int]:
    """The cases on this meeting's agenda the user works on (all of them for the area-wide roles)."""
    query = select(AgendaItem.case_id).where(AgendaItem.meeting_id == meeting.id)
    if not sees_whole_meetings(user):
        query = query.where(AgendaItem.case_id.in_(_case_ids(user)))
    return set(db.session.scalars(query))


def require_papers(user: User, meeting: MappMeeting, paper: str, case_id: int | None = None) -> None:
    """Research notes, papers and recordings are for the Responsible Authority and the MAPPA unit (403, logged)."""
    if sees_whole_meetings(user):
        return
    log_access(user, f"{paper}_refused", None, f"meeting {meeting.id}" + (f" case {case_id}" if case_id else ""))
    raise Forbidden(f"Only the Responsible Authority and the MAPPA unit can read {PAPERS[paper]} of MAPP meetings")


def _case_ids(user: User) -> Select[tuple[int]]:
    return case_scope(user).with_only_columns(MappaCase.id)


def _invited_to_whole(user: User) -> ColumnElement[bool]:
    agencies = sorted(a.lower() for a in agencies_of(user.roles))
    return exists().where(Attendance.meeting_id == MappMeeting.id, Attendance.agenda_item_id.is_(None),
                          func.lower(Attendance.agency).in_(agencies))
