"""MAPP meetings: the calendar, scheduling, a meeting's agenda and attendance, and the minutes editor.

The minutes editor saves as you type through ``PUT …/sections`` (JSON, session cookie, X-CSRFToken, If-Match);
without JavaScript the same page is a normal form. Views parse and render; services.meetings enforces roles.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.formfields import date_from_parts
from app.security import requires, signed_in_user
from services import clock, dates, meeting_access, meeting_chair
from services import disclosures as disclosure_service
from services import meetings as service
from services.db import db
from services.errors import Conflict, DomainError, FieldError, PreconditionFailed, ValidationFailed
from services.meeting_words import (
    AGENDA_KINDS,
    ATTENDANCE,
    ATTENDANCE_STATUSES,
    MEETING_STATUSES,
    MINUTES_STATUSES,
    offender_labels,
    word,
)
from services.meetings import title
from services.minutes_sections import ACTION_OWNERS, LEVEL_DECISIONS, STRUCTURED_SECTIONS, TEXT_SECTIONS
from services.models import MappMeeting, Minutes, User
from services.permissions import has_permission, may_on_case
from services.recordings import recordings_of
from workflows.lanes import agency_of

bp = Blueprint("meetings", __name__, template_folder="templates")

ACTION_ROWS = 3  # blank action rows offered after the saved ones
OWNER_ROLES = ACTION_OWNERS  # one vocabulary: workflows.lanes
MAPPA_D = ("This meeting is confidential. The information shared is for the purpose of managing the risk posed by "
           "the offenders discussed and must not be disclosed further without the chair's agreement. Everyone "
           "attending commits to treating all people fairly, whatever their age, disability, gender, race, religion "
           "or belief, sexual orientation or other protected characteristic.")


def _field_errors(errors: list[FieldError]) -> list[FieldError]:
    """Service field names ('sections.summary') to the ids used on our pages ('summary')."""
    return [FieldError(e.field.removeprefix("sections."), e.message) for e in errors]


# --- calendar ----------------------------------------------------------------------------------------------------

@bp.get("/meetings")
@requires("meetings:view")
def calendar() -> ResponseReturnValue:
    user = signed_in_user()
    today = clock.today()
    every = service.meetings_between(user)
    return render_template("meetings/list.html", page_title="MAPP meetings", active_nav="meetings",
                           today=[m for m in every if service.meeting_day(m) == today],
                           upcoming=[m for m in every if service.meeting_day(m) > today],
                           past=list(reversed([m for m in every if service.meeting_day(m) < today])),
                           can_schedule=has_permission(user, "meetings:organise"), past_its_day=service.past_its_day)


def _chairs(user: User) -> list[User]:
    users = db.session.scalars(select(User).where(User.area_id == user.area_id, User.active.is_(True))
                               .order_by(User.display_name))
    return [u for u in users if "chair" in u.roles]


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


@bp.route("/meetings/new", methods=["GET", "POST"])
@requires("meetings:organise")
def schedule() -> ResponseReturnValue:
    user = signed_in_user()
    errors: list[FieldError] = []
    values: dict[str, Any] = {"duration_minutes": "180", "occurrences": "1", "time": "10:00"}
    status = 200
    if request.method == "POST":
        form = request.form
        values = form.to_dict()
        level = _int(form.get("level"))
        day = date_from_parts(form, "starts_at")
        try:
            at = time.fromisoformat(form.get("time", "").strip())
        except ValueError:
            at = None
        if level is None:
            errors.append(FieldError("level", "Select Level 2 or Level 3"))
        if day is None:
            errors.append(FieldError("starts_at", f"Enter the meeting date as a real date {dates.RANGE_TEXT}"))
        if at is None:
            errors.append(FieldError("time", "Enter the start time as hours and minutes, like 10:00"))
        duration = _int(form.get("duration_minutes")) or 0
        repeat = _int(form.get("repeat_weeks")) if form.get("repeat_weeks", "").strip() else None
        occurrences = _int(form.get("occurrences")) or 1
        if not errors:
            assert day is not None and at is not None and level is not None
            starts_at = datetime.combine(day, at, tzinfo=clock.LONDON)
            try:
                created = service.schedule(user, level=level, starts_at=starts_at, chair=form.get("chair", ""),
                                           duration_minutes=duration, venue=form.get("venue", "").strip() or None,
                                           online_link=form.get("online_link", "").strip() or None,
                                           repeat_weeks=repeat, occurrences=occurrences)
            except ValidationFailed as failed:
                errors = failed.errors
            else:
                flash(f"{len(created)} meeting{'s' if len(created) != 1 else ''} scheduled", "success")
                return redirect(url_for("meetings.meeting_page", meeting_id=created[0].id))
        status = 422
    return render_template("meetings/new.html", page_title="Schedule a meeting", active_nav="meetings",
                           errors=errors, error_for={e.field: e.message for e in errors}, values=values,
                           chairs=_chairs(user)), status


# --- one meeting -------------------------------------------------------------------------------------------------

PARTS = {  # the parts of a meeting's page, in the order of its sub navigation: endpoint, heading
    "overview": ("meetings.meeting_page", "Overview"),
    "agenda": ("meetings.agenda_page", "Agenda"),
    "attendance": ("meetings.attendance_page", "Attendance"),
    "minutes": ("meetings.minutes_list", "Minutes"),
    "recordings": ("meetings.recordings_page", "Recordings"),
}


@bp.context_processor
def vocabulary() -> dict[str, Any]:
    """The words for a meeting's codes (services.meeting_words), for every meetings template."""
    return {"meeting_status": MEETING_STATUSES, "attendance_words": ATTENDANCE, "agenda_kinds": AGENDA_KINDS,
            "minutes_statuses": MINUTES_STATUSES, "word": word}


@bp.get("/meetings/<int:meeting_id>")
@requires("meetings:view")
def meeting_page(meeting_id: int) -> ResponseReturnValue:
    return render_meeting(meeting_id, [])


@bp.get("/meetings/<int:meeting_id>/agenda")
@requires("meetings:view")
def agenda_page(meeting_id: int) -> ResponseReturnValue:
    return render_meeting(meeting_id, [], part="agenda")


@bp.get("/meetings/<int:meeting_id>/attendance")
@requires("meetings:view")
def attendance_page(meeting_id: int) -> ResponseReturnValue:
    return render_meeting(meeting_id, [], part="attendance")


@bp.get("/meetings/<int:meeting_id>/minutes")
@requires("meetings:view")
def minutes_list(meeting_id: int) -> ResponseReturnValue:
    return render_meeting(meeting_id, [], part="minutes")


@bp.get("/meetings/<int:meeting_id>/recordings")
@requires("meetings:view")
def recordings_page(meeting_id: int) -> ResponseReturnValue:
    return render_meeting(meeting_id, [], part="recordings")


def part_url(meeting_id: int, part: str) -> str:
    return url_for(PARTS[part][0], meeting_id=meeting_id)


def render_meeting(meeting_id: int, errors: list[FieldError], status: int = 200,
                   part: str = "overview") -> ResponseReturnValue:
    """One part of a meeting's page (PARTS), with the sub navigation to the others."""
    user = signed_in_user()
    meeting = service.load_meeting(user, meeting_id)
    shown = meeting_access.view(user, meeting)
    can_organise = has_permission(user, "meetings:organise")
    can_minute = has_permission(user, "minutes:write")
    recordings = recordings_of(meeting.id) if shown.whole else []
    parts = [p for p in PARTS if p != "recordings" or (shown.whole and (recordings or can_minute))]
    if part not in parts:
        parts.append(part)
    navigation = [{"text": PARTS[p][1], "href": part_url(meeting.id, p), "active": p == part} for p in parts]
    heading = title(meeting) if part == "overview" else PARTS[part][1]
    page_title = heading if part == "overview" else f"{heading} \N{EN DASH} {title(meeting)}"  # unique per part
    return render_template(
        f"meetings/meeting_{part}.html", heading=heading, active_nav="meetings", meeting=meeting,
        page_title=page_title, meeting_title=title(meeting), navigation=navigation, items=shown.items,
        not_shown=shown.not_shown,
        whole=shown.whole, labels=offender_labels(shown.items), errors=errors,
        error_for={e.field: e.message for e in errors}, is_chair=user.id == meeting.chair_id,
        can_organise=can_organise, can_minute=can_minute, values=request.form, recordings=recordings,
        **_part_context(part, user, meeting, shown, can_organise)), status


def _part_context(part: str, user: User, meeting: MappMeeting, shown: meeting_access.MeetingView,
                  can_organise: bool) -> dict[str, Any]:
    if part == "overview":
        return {"statement": MAPPA_D, "past_its_day": service.past_its_day(meeting),
                "its_day_has_come": service.its_day_has_come(meeting),
                "chairs": _chairs(user) if can_organise else []}
    if part == "agenda":
        editable = can_organise and service.agenda_open(meeting)
        offer = meeting.status == "scheduled" and can_organise and not service.past_its_day(meeting)
        return {"due": service.cases_due(meeting) if offer else [], "offer": offer, "editable": editable}
    if part == "attendance":
        return {"groups": service.attendance_by_agency(meeting, {i.id for i in shown.items}),
                "choices": ATTENDANCE_STATUSES}
    if part == "minutes":
        return {"minutes": service.minutes_of(meeting) if shown.whole else {}}
    return {}


@bp.post("/meetings/<int:meeting_id>/chair")
@requires("meetings:organise")
def change_chair(meeting_id: int) -> ResponseReturnValue:
    try:
        meeting = meeting_chair.change_chair(signed_in_user(), meeting_id, request.form.get("chair", ""),
                                             request.form.get("reason", ""))
    except ValidationFailed as failed:
        return render_meeting(meeting_id, failed.errors, 422)
    flash(f"{meeting.chair.display_name} now chairs this meeting and approves its minutes", "success")
    return redirect(part_url(meeting_id, "overview"))


@bp.post("/meetings/<int:meeting_id>/agenda/build")
@requires("meetings:organise")
def build_agenda(meeting_id: int) -> ResponseReturnValue:
    added = service.build_agenda(signed_in_user(), meeting_id)
    flash(f"{len(added)} case{'s' if len(added) != 1 else ''} added to the agenda" if added
          else "No more cases are due for this meeting", "success")
    return redirect(part_url(meeting_id, "agenda"))


@bp.post("/meetings/<int:meeting_id>/agenda")
@requires("meetings:organise")
def arrange(meeting_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    shown = meeting_access.view(user, service.load_meeting(user, meeting_id))
    positions: dict[int, int] = {}
    allotted: dict[int, int] = {}
    errors: list[FieldError] = []
    for item in shown.items:
        position = _int(request.form.get(f"position-{item.case_id}"))
        minutes = _int(request.form.get(f"minutes-{item.case_id}"))
        if position is None:
            errors.append(FieldError(f"position-{item.case_id}", f"Enter a position for {item.case.offender_name}"))
        else:
            positions[item.case_id] = position
        if minutes is None:
            errors.append(FieldError(f"minutes-{item.case_id}", f"Enter the minutes for {item.case.offender_name}"))
        else:
            allotted[item.case_id] = minutes
    if not errors:
        order = sorted(positions, key=lambda cid: (positions[cid], cid))
        try:
            service.arrange(user, meeting_id, order, allotted)
        except ValidationFailed as failed:
            errors = failed.errors
        else:
            flash("Agenda order and timings saved", "success")
            return redirect(part_url(meeting_id, "agenda"))
    return render_meeting(meeting_id, errors, 422, part="agenda")


def _by_row(prefix: str) -> dict[int, str]:
    """Form fields named ``<prefix>-<attendance row id>``, by row id."""
    return {int(k.removeprefix(prefix)): v for k, v in request.form.items()
            if k.startswith(prefix) and k.removeprefix(prefix).isascii() and k.removeprefix(prefix).isdigit()}


@bp.post("/meetings/<int:meeting_id>/attendance")
@requires("minutes:write")
def attendance(meeting_id: int) -> ResponseReturnValue:
    try:
        service.record_attendance(signed_in_user(), meeting_id, _by_row("attendance-"), _by_row("person-"),
                                  _by_row("seen-attendance-"), _by_row("seen-person-"))
    except (ValidationFailed, service.AttendanceChanged) as failed:
        return render_meeting(meeting_id, [FieldError(e.field.replace(".", "-"), e.message)
                                            for e in failed.errors], failed.status, part="attendance")
    flash("Attendance saved", "success")
    return redirect(part_url(meeting_id, "attendance"))


@bp.post("/meetings/<int:meeting_id>/open")
@requires("minutes:write")
def open_meeting(meeting_id: int) -> ResponseReturnValue:
    try:
        service.open_meeting(signed_in_user(), meeting_id)
    except Conflict as refused:  # before its day, or already held: said on the meeting's page
        return render_meeting(meeting_id, [FieldError("", refused.message)], refused.status)
    flash("Meeting opened: the confidentiality and diversity statement is recorded as read", "success")
    return redirect(part_url(meeting_id, "overview"))


@bp.post("/meetings/<int:meeting_id>/close")
@requires("minutes:write")
def close_meeting(meeting_id: int) -> ResponseReturnValue:
    service.close_meeting(signed_in_user(), meeting_id)
    flash("Meeting closed: its cases can go on later agendas, and research for it has ended", "success")
    return redirect(part_url(meeting_id, "overview"))


@bp.get("/meetings/<int:meeting_id>/agenda.pdf")
@requires("meetings:papers")
def agenda_pdf(meeting_id: int) -> ResponseReturnValue:
    from services.documents.pdf import agenda_pdf as render  # imported when asked for: WeasyPrint is heavy

    meeting = service.load_meeting_papers(signed_in_user(), meeting_id, "agenda_pdf", "agenda_pdf_viewed")
    return Response(render(meeting), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="agenda-{meeting_id}.pdf"'})


@bp.get("/meetings/<int:meeting_id>/minutes/<int:case_id>.pdf")
@requires("minutes:view")
def minutes_pdf(meeting_id: int, case_id: int) -> ResponseReturnValue:
    from services.documents.pdf import minutes_pdf as render

    minutes = service.minutes_for(signed_in_user(), meeting_id, case_id, event="minutes_pdf_viewed")
    return Response(render(minutes), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="minutes-{meeting_id}-{case_id}.pdf"'})


@bp.get("/meetings/<int:meeting_id>/invite.ics")
@requires("meetings:view")
def invite(meeting_id: int) -> ResponseReturnValue:
    from services.documents.ics import meeting_ics

    meeting = service.load_meeting(signed_in_user(), meeting_id)
    return Response(meeting_ics(meeting), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"'})


# --- minutes -----------------------------------------------------------------------------------------------------

def _sections_from_form(form: Any) -> tuple[dict[str, Any], list[FieldError]]:
    """The whole minutes form (the no-JavaScript save) as named sections."""
    sections: dict[str, Any] = {key: form.get(key, "") for key in TEXT_SECTIONS}
    errors: list[FieldError] = []
    sections["level_decision"] = {"decision": form.get("level_decision", ""),
                                  "rationale": form.get("level_rationale", "")}
    sections["next_review_date"] = _day_in_form(form, "next_review_date", "next_review_date",
                                                "Next review date", errors)
    actions = []
    n = 0
    while f"action-{n}-description" in form:
        description = form.get(f"action-{n}-description", "").strip()
        if description:
            actions.append({"description": description, "owner_role": form.get(f"action-{n}-owner_role", ""),
                            "owner_agency": agency_of(form.get(f"action-{n}-owner_role", "")),
                            "due": _day_in_form(form, f"action-{n}-due", f"actions.{n}.due",
                                                f"The due date of action {n + 1}", errors)})
        n += 1
    sections["actions"] = actions
    return sections, errors


def _day_in_form(form: Any, prefix: str, field: str, label: str, errors: list[FieldError]) -> str:
    """A GOV.UK date input's day, month and year as YYYY-MM-DD; '' when left empty; an error when not a date."""
    if not any(form.get(f"{prefix}-{p}", "").strip() for p in ("day", "month", "year")):
        return ""
    day = date_from_parts(form, prefix)
    if day is None:
        errors.append(FieldError(field, f"{label} must be a real date {dates.RANGE_TEXT}"))
        return ""
    return day.isoformat()


def _editor(meeting_id: int, case_id: int, minutes: Minutes, errors: list[FieldError],
            values: dict[str, Any] | None = None, status: int = 200,
            conflict: Minutes | None = None) -> ResponseReturnValue:
    user = signed_in_user()
    sections = values if values is not None else dict(minutes.sections or {})
    actions = list(sections.get("actions") or [])
    review = str(sections.get("next_review_date") or "")
    review_parts = dict(zip(("year", "month", "day"), review.split("-"), strict=False)) if review else {}
    if "next_review_date-day" in request.form:
        review_parts = {p: request.form.get(f"next_review_date-{p}", "") for p in ("day", "month", "year")}
    return render_template(
        "meetings/minutes.html", page_title=f"Minutes: {minutes.case.offender_name}", active_nav="meetings",
        meeting=minutes.meeting, minutes=minutes, sections=sections, etag=service.etag(minutes),
        text_sections=TEXT_SECTIONS, structured=STRUCTURED_SECTIONS, decisions=LEVEL_DECISIONS,
        owner_roles=OWNER_ROLES, actions=actions + [{}] * ACTION_ROWS, review_parts=review_parts,
        errors=errors, error_for={e.field: e.message for e in errors}, revisions=service.revisions(minutes),
        editable=minutes.status == "draft" and has_permission(user, "minutes:write"), conflict=conflict,
        server_sections=_client_sections(minutes.sections or {}), headings=TEXT_SECTIONS | STRUCTURED_SECTIONS,
        disclosures=service.disclosures_of(minutes), is_chair=user.id == minutes.meeting.chair_id,
        disclosure_decisions=disclosure_service.decisions_at(minutes), decision_words=disclosure_service.DECISIONS,
        may_record_disclosure=may_on_case(user, "disclosures:record", minutes.case),
        summary_ready=minutes.status in service.APPROVED,
        review_day=dates.parse_day(review), read_actions=[_action_text(a) for a in actions if isinstance(a, dict)],
    ), status


def _action_text(action: dict[str, Any]) -> dict[str, Any]:
    """One action of the minutes as read: its owner in words and its due date as a date."""
    owner = action.get("owner_role") or ""
    return {"description": action.get("description") or "", "owner": OWNER_ROLES.get(owner, owner),
            "due": dates.parse_day(action.get("due"))}


def _client_sections(sections: dict[str, Any]) -> dict[str, Any]:
    return {key: sections.get(key) for key in (*TEXT_SECTIONS, *STRUCTURED_SECTIONS)}


@bp.route("/meetings/<int:meeting_id>/minutes/<int:case_id>", methods=["GET", "POST"])
@requires("minutes:view", write="minutes:write")
def minutes_page(meeting_id: int, case_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    minutes = service.minutes_for(user, meeting_id, case_id)
    if request.method == "GET":
        return _editor(meeting_id, case_id, minutes, [])
    sections, errors = _sections_from_form(request.form)
    if errors:
        return _editor(meeting_id, case_id, minutes, errors, sections, 422)
    try:
        service.save_minutes(user, meeting_id, case_id, sections, request.form.get("etag") or None)
    except PreconditionFailed as stale:
        current: Minutes = stale.current  # type: ignore[assignment]
        message = FieldError("", "Someone else changed these minutes since you opened them. Your text is below: "
                                 "check their changes in the revision history, then save again to keep yours.")
        return _editor(meeting_id, case_id, current, [message], sections, 409, conflict=current)
    except ValidationFailed as failed:
        return _editor(meeting_id, case_id, minutes, _field_errors(failed.errors), sections, 422)
    except Conflict as conflict:
        return _editor(meeting_id, case_id, minutes, [FieldError("", conflict.message)], sections, 409)
    flash("Minutes saved", "success")
    return redirect(url_for("meetings.minutes_page", meeting_id=meeting_id, case_id=case_id))


def _saved_json(minutes: Minutes) -> dict[str, Any]:
    return {"etag": service.etag(minutes), "version": minutes.version,
            "saved_at": minutes.updated_at.astimezone(clock.LONDON).strftime("%H:%M"),
            "sections": _client_sections(minutes.sections or {})}


@bp.route("/meetings/<int:meeting_id>/minutes/<int:case_id>/sections", methods=["GET", "PUT"])
@requires("minutes:view", write="minutes:write")
def minutes_sections(meeting_id: int, case_id: int) -> ResponseReturnValue:
    """Save as you type: PUT some sections with If-Match; 412 with what is saved now if someone else saved."""
    user = signed_in_user()
    try:
        if request.method == "GET":
            minutes = service.minutes_for(user, meeting_id, case_id)
            response = jsonify(_saved_json(minutes))
            response.headers["ETag"] = service.etag(minutes)
            return response
        body = request.get_json(silent=True)
        sections = body.get("sections") if isinstance(body, dict) else None
        if not isinstance(sections, dict):
            return jsonify({"error": "Send {\"sections\": {...}}",
                            "errors": [{"field": "sections", "message": "Send the sections to save"}]}), 422
        minutes = service.save_minutes(user, meeting_id, case_id, sections, request.headers.get("If-Match"))
    except PreconditionFailed as stale:
        current: Minutes = stale.current  # type: ignore[assignment]
        return jsonify({"error": stale.message, "current": {
            "sections": _client_sections(current.sections or {}), "etag": service.etag(current),
            "version": current.version,
            "updated_by": current.updated_by.display_name if current.updated_by else None}}), 412
    except ValidationFailed as failed:
        return jsonify({"error": "There is a problem", "errors": [
            {"field": e.field, "message": e.message} for e in failed.errors]}), 422
    except DomainError as refused:
        return jsonify({"error": refused.message}), refused.status
    response = jsonify(_saved_json(minutes))
    response.headers["ETag"] = service.etag(minutes)
    return response


@bp.post("/meetings/<int:meeting_id>/minutes/<int:case_id>/submit")
@requires("minutes:write")
def submit(meeting_id: int, case_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    try:
        service.submit_for_approval(user, meeting_id, case_id)
    except ValidationFailed as failed:
        minutes = service.minutes_for(user, meeting_id, case_id)
        return _editor(meeting_id, case_id, minutes, _field_errors(failed.errors), status=422)
    except Conflict as refused:  # the meeting not opened on its day yet, or the minutes already sent
        minutes = service.minutes_for(user, meeting_id, case_id)
        return _editor(meeting_id, case_id, minutes, [FieldError("", refused.message)], status=refused.status)
    flash("Minutes submitted to the chair for approval", "success")
    return redirect(part_url(meeting_id, "minutes"))
