"""Audio recordings of MAPP meetings, kept to help finish the minutes and deleted after their retention date."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from services import clock
from services.access import log_access
from services.db import db
from services.errors import FieldError, NotFound, ValidationFailed
from services.meetings import load_meeting, load_meeting_papers
from services.models import MeetingRecording, User
from services.permissions import require
from services.settings import area_settings

AUDIO_TYPES = {"audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a", "audio/wav": ".wav",
               "audio/x-wav": ".wav", "audio/ogg": ".ogg", "audio/webm": ".webm"}
MAX_BYTES = 200 * 1024 * 1024


def _store() -> Path:
    path = Path(current_app.config.get("MAPPA_RECORDINGS_DIR") or Path(current_app.instance_path) / "recordings")
    path.mkdir(parents=True, exist_ok=True)
    return path


def attach(user: User, meeting_id: int, filename: str, content_type: str, data: bytes) -> MeetingRecording:
    require(user, "minutes:write")
    meeting = load_meeting(user, meeting_id, "recording_attached")
    errors = []
    if content_type not in AUDIO_TYPES:
        errors.append(FieldError("recording", "The recording must be an MP3, M4A, WAV, OGG or WebM audio file"))
    if not data:
        errors.append(FieldError("recording", "The recording is empty"))
    if len(data) > MAX_BYTES:
        errors.append(FieldError("recording", "The recording must be smaller than 200 MB"))
    if errors:
        raise ValidationFailed(errors)
    stored_as = secrets.token_hex(16) + AUDIO_TYPES[content_type]
    (_store() / stored_as).write_bytes(data)
    days = area_settings(meeting.area_id)["recording_retention_days"]
    row = MeetingRecording(meeting_id=meeting.id, filename=Path(filename).name[:200] or "recording",
                           content_type=content_type, size=len(data), stored_as=stored_as,
                           uploaded_at=clock.now(), uploaded_by_id=user.id,
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


def purge_expired(today: date) -> int:
    """Delete recordings past their retention date (file and row). Run by the scheduler sweep."""
    expired = list(db.session.scalars(select(MeetingRecording).where(MeetingRecording.retention_until < today)))
    for row in expired:
        (_store() / row.stored_as).unlink(missing_ok=True)
        log_access(None, "recording_deleted", None, f"meeting {row.meeting_id} {row.filename} (retention ended)")
        db.session.delete(row)
    return len(expired)
