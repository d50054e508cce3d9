"""Around the minutes: the papers pack for an agenda item, meeting recordings, onward sharing, the executive summary."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from app.meetings.routes import _editor, bp, part_url, render_meeting
from app.security import requires, signed_in_user
from services import meetings as service
from services import recordings
from services.errors import FieldError, ValidationFailed


@bp.get("/meetings/<int:meeting_id>/papers/<int:case_id>")
@requires("meetings:papers")
def papers(meeting_id: int, case_id: int) -> ResponseReturnValue:
    pack = service.papers(signed_in_user(), meeting_id, case_id)
    return render_template("meetings/papers.html", page_title=f"Papers: {pack.case.offender_name}",
                           active_nav="meetings", pack=pack, meeting_title=service.title(pack.meeting))


@bp.get("/meetings/<int:meeting_id>/minutes/<int:case_id>/summary.pdf")
@requires("minutes:view")
def executive_summary(meeting_id: int, case_id: int) -> ResponseReturnValue:
    from services.documents.pdf import executive_summary_pdf

    minutes = service.executive_summary(signed_in_user(), meeting_id, case_id)
    return Response(executive_summary_pdf(minutes), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="summary-{meeting_id}-{case_id}.pdf"'})


@bp.post("/meetings/<int:meeting_id>/minutes/<int:case_id>/disclosures")
@requires("minutes:share")
def disclose(meeting_id: int, case_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    minutes = service.minutes_for(user, meeting_id, case_id, event="minutes_viewed")
    try:
        service.record_disclosure(user, minutes.id, request.form.get("recipient", ""),
                                  request.form.get("purpose", ""))
    except ValidationFailed as failed:
        return _editor(meeting_id, case_id, minutes, failed.errors, status=422)
    flash("Onward sharing recorded", "success")
    return redirect(url_for("meetings.minutes_page", meeting_id=meeting_id, case_id=case_id) + "#sharing")


@bp.post("/meetings/<int:meeting_id>/recordings")
@requires("minutes:write")
def attach_recording(meeting_id: int) -> ResponseReturnValue:
    upload = request.files.get("recording")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed([FieldError("recording", "Select an audio recording to attach")])
        with upload.stream as stream:
            data = stream.read()
        recordings.attach(signed_in_user(), meeting_id, upload.filename, data)
    except ValidationFailed as failed:
        return render_meeting(meeting_id, failed.errors, 422, part="recordings")
    flash("Recording attached", "success")
    return redirect(part_url(meeting_id, "recordings"))


@bp.get("/meetings/<int:meeting_id>/recordings/<int:recording_id>")
@requires("meetings:papers")
def play_recording(meeting_id: int, recording_id: int) -> ResponseReturnValue:
    row, path = recordings.open_recording(signed_in_user(), recording_id)
    if row.meeting_id != meeting_id:
        return redirect(part_url(meeting_id, "recordings"))
    mimetype, name = recordings.served_as(row)
    response = send_file(path, mimetype=mimetype, download_name=name, as_attachment=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
