"""JSON API for MAPP meetings: the calendar, agendas, minutes (with ETag / If-Match), and the documents.

The services scope every meeting to the caller's area (404 otherwise) and check organiser and minute-taker roles.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Response, request, url_for
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.body import json_object
from app.api.errors import api_error, invalid, register_current
from app.security import api_requires, api_user
from services import clock, dates, meeting_access, meeting_chair
from services import meetings as meeting_service
from services.errors import FieldError, ValidationFailed
from services.minutes_sections import ALL_SECTIONS, TEXT_SECTIONS
from services.models import AgendaItem, Attendance, MappMeeting, Minutes, User

MEETING_FIELDS = {"area", "level", "starts_at", "chair", "venue", "online_link", "duration_minutes"}
REQUIRED_MEETING_FIELDS = ("area", "level", "starts_at", "chair")
INSTANT_RANGE = f"years {dates.RANGE_TEXT}, offsets from -12:00 to +14:00"
EMPTY_STRUCTURED: dict[str, Any] = {"actions": [], "level_decision": None, "next_review_date": None}


# --- serialisers -----------------------------------------------------------------------------------------------

def agenda_item_json(item: AgendaItem, *, research: bool = True) -> dict[str, Any]:
    return {"case_id": item.case_id, "case_reference": item.case.reference,
            "offender_name": item.case.offender_name, "position": item.position,
            "minutes_allotted": item.minutes_allotted, "kind": item.kind,
            "research_flags": list(item.research_flags or []) if research else None,
            "links": {"minutes": url_for("api.get_minutes", meeting_id=item.meeting_id, case_id=item.case_id)}}


def attendance_json(row: Attendance, case_ids: dict[int, int]) -> dict[str, Any]:
    return {"id": row.id, "case_id": case_ids.get(row.agenda_item_id) if row.agenda_item_id else None,
            "agency": row.agency, "person": row.person, "status": row.status,
            "updated_at": row.updated_at.isoformat()}


def meeting_summary_json(meeting: MappMeeting) -> dict[str, Any]:
    return {
        "id": meeting.id, "title": meeting_service.title(meeting), "area": meeting.area.code,
        "level": meeting.level, "starts_at": meeting.starts_at.isoformat(), "ends_at": meeting.ends_at.isoformat(),
        "venue": meeting.venue, "online_link": meeting.online_link, "chair": meeting.chair.username,
        "status": meeting.status, "series": meeting.series,
        "links": {"self": url_for("api.get_meeting", meeting_id=meeting.id),
                  "agenda_pdf": url_for("api.get_agenda_pdf", meeting_id=meeting.id),
                  "invite": url_for("api.get_meeting_invite", meeting_id=meeting.id)},
    }


def meeting_json(meeting: MappMeeting, user: User) -> dict[str, Any]:
    """The meeting as this user may see it (services.meeting_access): only the items of cases they work on."""
    shown = meeting_access.view(user, meeting)
    case_ids = {item.id: item.case_id for item in shown.items}
    return meeting_summary_json(meeting) | {
        "agenda": [agenda_item_json(item, research=shown.whole) for item in shown.items],
        "agenda_not_shown": shown.not_shown,
        "attendance": [attendance_json(row, case_ids) for row in meeting_service.attendance(meeting)
                       if row.agenda_item_id is None or row.agenda_item_id in case_ids],
    }


def minutes_sections_json(sections: dict[str, Any] | None) -> dict[str, Any]:
    """Every section, in the MAPPA C order; those not written yet as "" (text), [] (actions) or null."""
    saved = sections or {}
    return {key: saved.get(key, "" if key in TEXT_SECTIONS else EMPTY_STRUCTURED[key]) for key in ALL_SECTIONS}


def minutes_json(minutes: Minutes) -> dict[str, Any]:
    return {"meeting_id": minutes.meeting_id, "case_id": minutes.case_id, "status": minutes.status,
            "version": minutes.version, "sections": minutes_sections_json(minutes.sections),
            "updated_at": minutes.updated_at.isoformat(),
            "updated_by": minutes.updated_by.username if minutes.updated_by else None}


def _minutes_current(minutes: Minutes) -> tuple[dict[str, Any], dict[str, str]]:
    return minutes_json(minutes), {"ETag": meeting_service.etag(minutes)}


register_current(Minutes, _minutes_current)


# --- request parsing -------------------------------------------------------------------------------------------

def _whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _meeting_request(user: User, body: dict[str, Any]) -> dict[str, Any]:
    errors = [FieldError(key, "Unexpected field") for key in body if key not in MEETING_FIELDS]
    errors += [FieldError(key, f"Enter {key.replace('_', ' ')}") for key in REQUIRED_MEETING_FIELDS
               if body.get(key) in (None, "")]
    area = body.get("area")
    if area not in (None, "") and area != user.area.code:
        errors.append(FieldError("area", f"You can only schedule meetings in your own MAPPA area ({user.area.code})"))
    level = body.get("level")
    if level is not None and not _whole_number(level):
        errors.append(FieldError("level", "level must be 2 or 3"))
    starts_at: datetime | None = None
    raw_start = body.get("starts_at")
    if raw_start not in (None, ""):
        starts_at = dates.parse_instant(raw_start) if isinstance(raw_start, str) else None
        if starts_at is None:
            errors.append(FieldError("starts_at", "starts_at must be an ISO 8601 date and time with an offset, "
                                                  f"for example 2026-12-10T10:00:00+00:00 ({INSTANT_RANGE})"))
    for key in ("chair", "venue", "online_link"):
        if body.get(key) is not None and not isinstance(body[key], str):
            errors.append(FieldError(key, f"{key} must be a string"))
    duration = body.get("duration_minutes")
    if duration is not None and not _whole_number(duration):
        errors.append(FieldError("duration_minutes", "duration_minutes must be a whole number"))
    if errors:
        raise ValidationFailed(errors)
    return {"level": level, "starts_at": starts_at, "chair": body["chair"], "venue": body.get("venue"),
            "online_link": body.get("online_link"),
            "duration_minutes": 180 if duration is None else duration}


def _bound(key: str, *, end: bool) -> datetime | None:
    """?from= / ?to=: a date (London day; ``to`` includes the whole day) or a date-time with an offset."""
    raw = request.args.get(key, "").strip()
    if not raw:
        return None
    if len(raw) == 10:
        day = dates.parse_day(raw)
        if day is not None:
            day += timedelta(days=1) if end else timedelta()
            return datetime.combine(day, time(), tzinfo=clock.LONDON)
    instant = dates.parse_instant(raw)
    if instant is None or instant.tzinfo is None:
        raise invalid(key, f"{key} must be a date (YYYY-MM-DD) or an ISO 8601 date and time with an offset "
                           f"({INSTANT_RANGE})")
    return instant


def _sections_body() -> dict[str, Any]:
    body = json_object()
    errors = [FieldError(key, "Unexpected field") for key in body if key != "sections"]
    sections = body.get("sections")
    if not isinstance(sections, dict):
        errors.append(FieldError("sections", "Give the sections to save as a JSON object, for example "
                                             "{\"summary\": \"...\"}"))
    if errors or not isinstance(sections, dict):
        raise ValidationFailed(errors)
    return sections


def _attachment(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def _stamp(meeting: MappMeeting) -> str:
    return meeting.starts_at.astimezone(clock.LONDON).strftime("%Y-%m-%d")


# --- meetings --------------------------------------------------------------------------------------------------

@bp.post("/meetings")
@api_requires("meetings:organise")
def create_meeting() -> ResponseReturnValue:
    user = api_user()
    values = _meeting_request(user, json_object())
    [meeting] = meeting_service.schedule(user, **values)
    return meeting_json(meeting, user), 201, {"Location": url_for("api.get_meeting", meeting_id=meeting.id)}


@bp.get("/meetings")
@api_requires("meetings:view")
def list_meetings() -> ResponseReturnValue:
    user = api_user()
    errors = []
    area = request.args.get("area", "").strip()
    if area and area != user.area.code:
        errors.append(FieldError("area", f"You can only list meetings in your own MAPPA area ({user.area.code})"))
    bounds: dict[str, datetime | None] = {}
    for key in ("from", "to"):
        try:
            bounds[key] = _bound(key, end=key == "to")
        except ValidationFailed as failed:
            errors += failed.errors
    start, end = bounds.get("from"), bounds.get("to")
    if start is not None and end is not None and end <= start:
        errors.append(FieldError("to", "to must be after from"))
    if errors:
        raise ValidationFailed(errors)
    found = meeting_service.meetings_between(user, start, end)
    return {"meetings": [meeting_summary_json(meeting) for meeting in found]}


@bp.get("/meetings/<int:meeting_id>")
@api_requires("meetings:view")
def get_meeting(meeting_id: int) -> ResponseReturnValue:
    user = api_user()
    return meeting_json(meeting_service.load_meeting(user, meeting_id), user)


@bp.put("/meetings/<int:meeting_id>/chair")
@api_requires("meetings:organise")
def put_meeting_chair(meeting_id: int) -> ResponseReturnValue:
    user = api_user()
    body = json_object()
    errors = [FieldError(key, "Unexpected field") for key in body if key not in ("chair", "reason")]
    errors += [FieldError(key, f"Give the {key} as a string") for key in ("chair", "reason")
               if not isinstance(body.get(key), str)]
    if errors:
        raise ValidationFailed(errors)
    meeting = meeting_chair.change_chair(user, meeting_id, body["chair"], body["reason"])
    return meeting_json(meeting, user)


@bp.post("/meetings/<int:meeting_id>/agenda/build")
@api_requires("meetings:organise")
def build_agenda(meeting_id: int) -> ResponseReturnValue:
    user = api_user()
    added = meeting_service.build_agenda(user, meeting_id)
    meeting = meeting_service.load_meeting(user, meeting_id)
    return meeting_json(meeting, user) | {"added": [agenda_item_json(item) for item in added]}


@bp.post("/meetings/<int:meeting_id>/open")
@api_requires("minutes:write")
def open_meeting(meeting_id: int) -> ResponseReturnValue:
    user = api_user()
    return meeting_json(meeting_service.open_meeting(user, meeting_id), user)  # loaded, checked and logged there


@bp.post("/meetings/<int:meeting_id>/close")
@api_requires("minutes:write")
def close_meeting(meeting_id: int) -> ResponseReturnValue:
    user = api_user()
    return meeting_json(meeting_service.close_meeting(user, meeting_id), user)  # loaded, checked and logged there


@bp.get("/meetings/<int:meeting_id>/agenda.pdf")
@api_requires("meetings:papers")
def get_agenda_pdf(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_service.load_meeting_papers(api_user(), meeting_id, "agenda_pdf", "agenda_downloaded")
    from services.documents.pdf import agenda_pdf

    return _attachment(agenda_pdf(meeting), "application/pdf",
                       f"mapp-meeting-{meeting.id}-agenda-{_stamp(meeting)}.pdf")


@bp.get("/meetings/<int:meeting_id>/invite.ics")
@api_requires("meetings:view")
def get_meeting_invite(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_service.load_meeting(api_user(), meeting_id, "meeting_invite_downloaded")
    from services.documents.ics import meeting_ics

    return _attachment(meeting_ics(meeting), "text/calendar",
                       f"mapp-meeting-{meeting.id}-{_stamp(meeting)}.ics")


# --- minutes ---------------------------------------------------------------------------------------------------

@bp.get("/meetings/<int:meeting_id>/minutes/<int:case_id>")
@api_requires("minutes:view")
def get_minutes(meeting_id: int, case_id: int) -> ResponseReturnValue:
    minutes = meeting_service.minutes_for(api_user(), meeting_id, case_id)
    return minutes_json(minutes), 200, {"ETag": meeting_service.etag(minutes), "Cache-Control": "no-store"}


@bp.put("/meetings/<int:meeting_id>/minutes/<int:case_id>")
@api_requires("minutes:write")
def put_minutes(meeting_id: int, case_id: int) -> ResponseReturnValue:
    if_match = request.headers.get("If-Match", "").strip()
    if not if_match:
        return api_error(428, "Send the If-Match header with the ETag of the minutes you last read "
                              "(GET this URL first), so that nobody's changes are overwritten")
    sections = _sections_body()
    minutes = meeting_service.save_minutes(api_user(), meeting_id, case_id, sections, if_match)
    return minutes_json(minutes), 200, {"ETag": meeting_service.etag(minutes), "Cache-Control": "no-store"}


@bp.get("/meetings/<int:meeting_id>/minutes/<int:case_id>.pdf")
@api_requires("minutes:view")
def get_minutes_pdf(meeting_id: int, case_id: int) -> ResponseReturnValue:
    minutes = meeting_service.minutes_for(api_user(), meeting_id, case_id, event="minutes_downloaded")
    from services.documents.pdf import minutes_pdf

    return _attachment(minutes_pdf(minutes), "application/pdf",
                       f"mapp-minutes-{minutes.case.reference}-{_stamp(minutes.meeting)}.pdf".replace("/", "-"))
