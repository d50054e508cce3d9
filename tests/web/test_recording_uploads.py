"""Recording uploads: the content decides the type (audio signatures), never the declared MIME type or the name;
files are stored and served under generated names, as attachments, with nosniff (issue 9, hole 11)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from services import meetings
from services.db import db
from services.models import MeetingRecording
from tests.factories import csrf_token, seeded, sign_in
from tests.meetings.test_meeting_cycle import MEETING_AT
from tests.pages import check_page

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
# The first bytes of each accepted format, and the type and extension it is served with.
SAMPLES = {
    "id3": (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\0" * 64, "audio/mpeg", ".mp3"),
    "mpeg frame": (b"\xff\xfb\x90\x64" + b"\0" * 64, "audio/mpeg", ".mp3"),
    "wav": (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\0" * 64, "audio/wav", ".wav"),
    "ogg": (b"OggS\x00\x02" + b"\0" * 64, "audio/ogg", ".ogg"),
    "flac": (b"fLaC\x00\x00\x00\x22" + b"\0" * 64, "audio/flac", ".flac"),
    "m4a": (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + b"\0" * 64, "audio/mp4", ".m4a"),
    "webm": (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"\0" * 64, "audio/webm", ".webm"),
}


def _meeting(client: FlaskClient) -> str:
    users = seeded()
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    db.session.commit()
    sign_in(client, "administrator")
    return f"/meetings/{meeting.id}"


def _upload(client: FlaskClient, url: str, data: bytes, name: str, declared: str) -> TestResponse:
    return client.post(f"{url}/recordings", data={"csrf_token": csrf_token(client, url),
                                                  "recording": (io.BytesIO(data), name, declared)},
                       content_type="multipart/form-data")


def _stored(app: Flask) -> list[str]:
    folder = Path(app.config["MAPPA_RECORDINGS_DIR"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("declared", ["audio/mpeg", "text/html"])
def test_html_dressed_as_audio_is_refused_naming_the_field(app: Flask, client: FlaskClient, declared: str) -> None:
    url = _meeting(client)
    response = _upload(client, url, HTML, "evil.html", declared)
    assert response.status_code == 422
    page = check_page(response)
    [link] = page.xpath("//div[contains(@class, 'govuk-error-summary')]//a")
    assert link.get("href") == "#field-recording"
    assert "must be an MP3, M4A, WAV, OGG, FLAC or WebM audio file" in link.text_content()
    assert page.xpath("//p[@id='field-recording-error']")
    db.session.expire_all()
    assert db.session.scalars(select(MeetingRecording)).all() == [] and _stored(app) == []


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_audio_is_stored_and_served_by_what_it_is(app: Flask, client: FlaskClient, sample: str) -> None:
    data, mimetype, extension = SAMPLES[sample]
    url = _meeting(client)
    hostile_name = '../../<img src=x onerror=alert(1)>\u202eevil.html'
    assert _upload(client, url, data, hostile_name, "text/html").status_code == 302
    [stored] = _stored(app)
    assert stored.endswith(extension) and "evil" not in stored and len(stored) == 32 + len(extension)

    response = client.get(f"{url}/recordings")
    page = check_page(response)
    assert "<img src=x" not in response.get_data(as_text=True)
    [link] = page.xpath("//a[contains(@href, '/recordings/')]")
    assert link.text_content() == "<img src=x onerror=alert(1)>evil.html"  # shown as text, no folders or U+202E
    download = client.get(link.get("href"))
    assert download.status_code == 200 and download.data == data
    assert download.mimetype == mimetype
    [row] = db.session.scalars(select(MeetingRecording)).all()
    assert download.headers["Content-Disposition"] == (
        f"attachment; filename=mapp-meeting-{row.meeting_id}-recording-{row.id}{extension}")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()


def test_empty_and_missing_files_get_a_field_error(app: Flask, client: FlaskClient) -> None:
    url = _meeting(client)
    empty = _upload(client, url, b"", "quiet.mp3", "audio/mpeg")
    assert empty.status_code == 422 and "#field-recording" in empty.get_data(as_text=True)
    missing = client.post(f"{url}/recordings", data={"csrf_token": csrf_token(client, url)})
    assert missing.status_code == 422 and "Select an audio recording to attach" in missing.get_data(as_text=True)


def test_display_name_is_plain_text_without_folders_or_control_characters() -> None:
    from services.recordings import display_name

    assert display_name("C:\\Users\\me\\meeting.mp3") == "meeting.mp3"
    assert display_name("a\x00b\r\n\u202e\u200bc.wav") == "abc.wav"
    assert display_name("../..") == ".." and display_name("///") == "recording"
    assert len(display_name("x" * 500)) == 100
