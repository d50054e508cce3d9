"""JSON API for MAPP meetings: the calendar, agendas, minutes (with ETag / If-Match), and the documents.

The services scope every meeting to the caller's area (404 otherwise) and check organiser and minute-taker roles.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Response, request, url_for
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.errors import api_error, invalid, register_current
from app.api.schemas import CHAIR_REQUEST, ETAG, IF_MATCH, LOCATION, MEETING_QUERY, MODELS, attachment
from app.security import api_user
from services import clock, dates, meeting_access, meeting_chair
from services import meetings as meeting_service
from services.errors import FieldError, ValidationFailed
from services.minutes_sections import ALL_SECTIONS, TEXT_SECTIONS
from services.models import AgendaItem, Attendance, MappMeeting, Minutes, User

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


# --- request parsing (the shapes are app.api.schemas' models) ---------------------------------------------------

def _meeting_request(user: User, body: dict[str, Any]) -> dict[str, Any]:
    """The schedule's values from a valid MeetingRequest; the area and the start are checked here."""
    errors = []
    if body["area"] != user.area.code:
        errors.append(FieldError("area", f"You can only schedule meetings in your own MAPPA area ({user.area.code})"))
    starts_at = dates.parse_instant(body["starts_at"])
    if starts_at is None:
        errors.append(FieldError("starts_at", "starts_at must be an ISO 8601 date and time with an offset, "
                                              f"for example 2026-12-10T10:00:00+00:00 ({INSTANT_RANGE})"))
    if errors:
        raise ValidationFailed(errors)
    return {"level": body["level"], "starts_at": starts_at, "chair": body["chair"], "venue": body.get("venue"),
            "online_link": body.get("online_link"), "duration_minutes": body.get("duration_minutes", 180)}


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


def _attachment(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def _stamp(meeting: MappMeeting) -> str:
    return meeting.starts_at.astimezone(clock.LONDON).strftime("%Y-%m-%d")


# --- meetings --------------------------------------------------------------------------------------------------

MEETING = MODELS["Meeting"]


def _meeting_action(rule: str, summary: str, permission: str, description: str, status_word: str,
                    method: str = "POST", **more: Any) -> Any:
    return operation(bp, method, f"/meetings/<int:meeting_id>{rule}", summary=summary, tag="meetings",
                     permission=permission, description=description,
                     responses={200: (MEETING, f"The meeting, {status_word}")}, **more)


@operation(bp, "POST", "/meetings", summary="Schedule a MAPP meeting", tag="meetings", permission="meetings:organise",
           description="MAPPA coordinators and administrators. The meeting is in the caller's area.",
           body=MODELS["MeetingRequest"], errors=(422,),
           responses={201: (MEETING, "The new meeting, with an empty agenda", {"headers": LOCATION})})
def create_meeting(body: dict[str, Any]) -> ResponseReturnValue:
    user = api_user()
    values = _meeting_request(user, body)
    [meeting] = meeting_service.schedule(user, **values)
    return meeting_json(meeting, user), 201, {"Location": url_for("api.get_meeting", meeting_id=meeting.id)}


@operation(bp, "GET", "/meetings", summary="MAPP meetings in the caller's area", tag="meetings",
           permission="meetings:view", query=MEETING_QUERY, errors=(422,),
           description="A duty-to-co-operate agency lists only the meetings it is invited to or works on a case at.",
           responses={200: (MODELS["MeetingList"], "Meetings by start time")})
def list_meetings(query: dict[str, Any]) -> ResponseReturnValue:
    user = api_user()
    errors = []
    area = query.get("area")
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


@operation(bp, "GET", "/meetings/<int:meeting_id>", summary="A meeting with its agenda and attendance",
           tag="meetings", permission="meetings:view", errors=(404,),
           description="Need to know (services.meeting_access): the Responsible Authority and the MAPPA unit see the "
                       "whole agenda with research notes; a duty-to-co-operate agency sees a meeting only if it is "
                       "invited or works on a case on it (404 otherwise), and only those cases' items. Its papers, "
                       "minutes and recordings are refused to it (403).",
           responses={200: (MEETING, "The meeting")})
def get_meeting(meeting_id: int) -> ResponseReturnValue:
    user = api_user()
    return meeting_json(meeting_service.load_meeting(user, meeting_id), user)


@_meeting_action("/chair", "Name another chair for the meeting", "meetings:organise",
                 "MAPPA coordinators and administrators. Only the meeting's chair approves its minutes; when they "
                 "cannot, name another chair of the area with the reason. Approvals waiting for the meeting's "
                 "minutes, and later ones, go to the new chair (services.meeting_chair).", "with its new chair",
                 method="PUT", body=CHAIR_REQUEST, errors=(404, 422))
def put_meeting_chair(meeting_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    user = api_user()
    meeting = meeting_chair.change_chair(user, meeting_id, body["chair"], body["reason"])
    return meeting_json(meeting, user)


@operation(bp, "POST", "/meetings/<int:meeting_id>/agenda/build", summary="Put the cases due on the agenda",
           tag="meetings", permission="meetings:organise", errors=(404, 409),
           description="MAPPA coordinators and administrators, before the meeting starts. Adds the cases at the "
                       "meeting's level and area whose meeting or review falls due, in due-date order, invites their "
                       "agencies and starts research. A case is on one upcoming agenda at most: cases booked on "
                       "another meeting not yet held (whose day has not passed) are not added, and concurrent builds "
                       "each get a 200 with what they added.",
           responses={200: (MODELS["AgendaBuilt"], "The meeting, and the items added")})
def build_agenda(meeting_id: int) -> ResponseReturnValue:
    user = api_user()
    added = meeting_service.build_agenda(user, meeting_id)
    meeting = meeting_service.load_meeting(user, meeting_id)
    return meeting_json(meeting, user) | {"added": [agenda_item_json(item) for item in added]}


@_meeting_action("/open", "Open the meeting (MAPPA D statement read)", "minutes:write",
                 "Coordinators, administrators and chairs, on or after the meeting's day (London time; 409 before "
                 "it). Records the confidentiality and diversity statement as read and starts the minutes of each "
                 "case on the agenda, due within the area's drafting deadline from the meeting; its minutes can be "
                 "submitted from then on. Opening a meeting already in progress changes nothing.", "in progress",
                 errors=(404, 409))
def open_meeting(meeting_id: int) -> ResponseReturnValue:
    user = api_user()
    return meeting_json(meeting_service.open_meeting(user, meeting_id), user)  # loaded, checked and logged there


@_meeting_action("/close", "Close the meeting: it has been held", "minutes:write",
                 "Coordinators, administrators and chairs, for a meeting in progress. Its cases can go on later "
                 "agendas again and open research tasks for it are cancelled (in each case's history).", "held",
                 errors=(404, 409))
def close_meeting(meeting_id: int) -> ResponseReturnValue:
    user = api_user()
    return meeting_json(meeting_service.close_meeting(user, meeting_id), user)  # loaded, checked and logged there


@operation(bp, "GET", "/meetings/<int:meeting_id>/agenda.pdf", summary="The agenda", tag="meetings",
           permission="meetings:papers", errors=(404,), responses={200: attachment("application/pdf", "The agenda")})
def get_agenda_pdf(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_service.load_meeting_papers(api_user(), meeting_id, "agenda_pdf", "agenda_downloaded")
    from services.documents.pdf import agenda_pdf

    return _attachment(agenda_pdf(meeting), "application/pdf",
                       f"mapp-meeting-{meeting.id}-agenda-{_stamp(meeting)}.pdf")


@operation(bp, "GET", "/meetings/<int:meeting_id>/invite.ics", summary="Calendar invitation", tag="meetings",
           permission="meetings:view", errors=(404,),
           responses={200: attachment("text/calendar", "Calendar invitation")})
def get_meeting_invite(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_service.load_meeting(api_user(), meeting_id, "meeting_invite_downloaded")
    from services.documents.ics import meeting_ics

    return _attachment(meeting_ics(meeting), "text/calendar",
                       f"mapp-meeting-{meeting.id}-{_stamp(meeting)}.ics")


# --- minutes ---------------------------------------------------------------------------------------------------

@operation(bp, "GET", "/meetings/<int:meeting_id>/minutes/<int:case_id>", summary="One offender's minutes, by section",
           tag="meetings", permission="minutes:view", errors=(404,),
           responses={200: (MODELS["Minutes"], "The minutes (a draft is started if none)", {"headers": ETAG})})
def get_minutes(meeting_id: int, case_id: int) -> ResponseReturnValue:
    minutes = meeting_service.minutes_for(api_user(), meeting_id, case_id)
    return minutes_json(minutes), 200, {"ETag": meeting_service.etag(minutes), "Cache-Control": "no-store"}


@operation(bp, "PUT", "/meetings/<int:meeting_id>/minutes/<int:case_id>", summary="Save some sections of the minutes",
           tag="meetings", permission="minutes:write", body=MODELS["MinutesRequest"], parameters=(IF_MATCH,),
           description="MAPPA coordinators, administrators and chairs, while the minutes are a draft. Needs If-Match: "
                       "if someone else saved since, 412 with what is saved now (nothing is overwritten). Sections "
                       "not sent keep their text.",
           responses={200: (MODELS["Minutes"], "The minutes as saved", {"headers": ETAG})},
           errors=(404, 409, 412, 422, 428))
def put_minutes(meeting_id: int, case_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    if_match = request.headers.get("If-Match", "").strip()
    if not if_match:
        return api_error(428, "Send the If-Match header with the ETag of the minutes you last read "
                              "(GET this URL first), so that nobody's changes are overwritten")
    minutes = meeting_service.save_minutes(api_user(), meeting_id, case_id, body["sections"], if_match)
    return minutes_json(minutes), 200, {"ETag": meeting_service.etag(minutes), "Cache-Control": "no-store"}


@operation(bp, "GET", "/meetings/<int:meeting_id>/minutes/<int:case_id>.pdf", summary="The minutes", tag="meetings",
           permission="minutes:view", errors=(404,), responses={200: attachment("application/pdf", "The minutes")})
def get_minutes_pdf(meeting_id: int, case_id: int) -> ResponseReturnValue:
    minutes = meeting_service.minutes_for(api_user(), meeting_id, case_id, event="minutes_downloaded")
    from services.documents.pdf import minutes_pdf

    return _attachment(minutes_pdf(minutes), "application/pdf",
                       f"mapp-minutes-{minutes.case.reference}-{_stamp(minutes.meeting)}.pdf".replace("/", "-"))
