"""Who may see a MAPP meeting: the Responsible Authority and the MAPPA unit see every meeting of their area; a
duty-to-co-operate agency (or a referrer) sees a meeting only when one of its cases is on the agenda, and then
only those cases' items (services.access.case_scope says which cases are theirs)."""

from __future__ import annotations

from sqlalchemy import select

from services.access import case_scope
from services.db import db
from services.models import AgendaItem, MappaCase, MappMeeting, User
from services.permissions import AREA_WIDE_ROLES


def sees_whole_area(user: User) -> bool:
    return bool(user.roles & AREA_WIDE_ROLES)


def may_see_meeting(user: User, meeting: MappMeeting) -> bool:
    if meeting.area_id != user.area_id:
        return False
    if sees_whole_area(user):
        return True
    return db.session.scalar(case_scope(user).with_only_columns(MappaCase.id).join(
        AgendaItem, AgendaItem.case_id == MappaCase.id).where(AgendaItem.meeting_id == meeting.id).limit(1)) is not None


def visible_case_ids(user: User, meeting: MappMeeting) -> set[int]:
    """The cases on this meeting's agenda the user may see (all of them for area-wide roles)."""
    ids = set(db.session.scalars(select(AgendaItem.case_id).where(AgendaItem.meeting_id == meeting.id)))
    if sees_whole_area(user) or not ids:
        return ids
    return set(db.session.scalars(case_scope(user).with_only_columns(MappaCase.id).where(MappaCase.id.in_(ids))))
