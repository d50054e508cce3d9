"""Audio recordings of MAPP meetings, kept to help finish the minutes and deleted after their retention date."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from services import audio, clock
from services.access import log_access
from services.db import db
from services.errors import FieldError, NotFound, ValidationFailed
from services.meetings import load_meeting, load_meeting_papers
from services.models import MeetingRecording, User
from services.permissions import require
from services.settings import area_settings

MAX_BYTES = 200 * 1024 * 1024


def _store() -> Path:
    path = Path(current_app.config.get("MAPPA_RECORDINGS_DIR") or Path(current_app.instance_path) / "recordings")
    path.mkdir(parents=True, exist_ok=True)
    return path


def display_name(filename: str) -> str:
    """The uploader's file name as plain text to show (never to store or serve under): no folders, no control or
    direction-changing characters, at most 100 characters. Templates escape it like any other text."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    shown = "".join(ch for ch in name if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    return " ".join(shown.split())[:100] or "recording"


def attach(user: User, meeting_id: int, filename: str, data: bytes) -> MeetingRecording:
    """Keep an audio recording. Its type is read from the content; the declared type and the name are not trusted:
    the file is stored under a generated name and served as an attachment of the detected type."""
    require(user, "minutes:write")
    meeting = load_meeting(user, meeting_id, "recording_attached")
    kind = audio.detect(data)
    errors = []
    if not data:
        errors.append(FieldError("recording", "The selected file is empty"))
    elif kind is None:
        errors.append(FieldError("recording", f"The recording must be an {audio.NAMES} audio file"))
    if len(data) > MAX_BYTES:
        errors.append(FieldError("recording", "The recording must be smaller than 200 MB"))
    if errors or kind is None:
        raise ValidationFailed(errors)
    stored_as = secrets.token_hex(16) + kind.extension
    (_store() / stored_as).write_bytes(data)
    days = area_settings(meeting.area_id)["recording_retention_days"]
    row = MeetingRecording(meeting_id=meeting.id, filename=display_name(filename), content_type=kind.mimetype,
                           size=len(data), stored_as=stored_as, uploaded_at=clock.now(), uploaded_by_id=user.id,
                           retention_until=clock.today() + timedelta(days=days))
    db.session.add(row)
    db.session.flush()
    return row


def recordings_of(meeting_id: int) -> list[MeetingRecording]:
    return list(db.session.scalars(select(MeetingRecording).where(MeetingRecording.meeting_id == meeting_id)))


def open_recording(user: User, recording_id: int) -> tuple[MeetingRecording, Path]:
    row = db.session.get(MeetingRecording, recording_id)
    if row is None:
        raise NotFound("recording not found")
    load_meeting_papers(user, row.meeting_id, "recording", "recording_played")
    return row, _store() / row.stored_as


def served_as(row: MeetingRecording) -> tuple[str, str]:
    """(MIME type, download name) from what the stored file was detected to be, never from the uploader."""
    kind = audio.BY_EXTENSION.get(Path(row.stored_as).suffix)
    if kind is None:
        return "application/octet-stream", f"mapp-meeting-{row.meeting_id}-recording-{row.id}.bin"
    return kind.mimetype, f"mapp-meeting-{row.meeting_id}-recording-{row.id}{kind.extension}"


def purge_expired(today: date) -> int:
    """Delete recordings past their retention date (file and row). Run by the scheduler sweep."""
    expired = list(db.session.scalars(select(MeetingRecording).where(MeetingRecording.retention_until < today)))
    for row in expired:
        (_store() / row.stored_as).unlink(missing_ok=True)
        log_access(None, "recording_deleted", None, f"meeting {row.meeting_id} {row.filename} (retention ended)")
        db.session.delete(row)
    return len(expired)
