"""The papers pack, recordings, onward sharing and the executive summary, through the web pages."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services import meetings
from services.db import db
from services.models import Disclosure, User
from services.tasks import complete
from tests.factories import considered_disclosure, csrf_token, hold, ready_task, seeded, sign_in
from tests.meetings.test_meeting_cycle import MEETING_AT, level2_case, minutes_text
from tests.pages import get_page


def _meeting_with_approved_minutes() -> tuple[int, int, dict]:
    users = seeded()
    meeting_id, case_id = _meeting_with_approved_sections(users, {
        "description": "Joint home visit", "owner_role": "police", "due": "2026-12-20"})
    return meeting_id, case_id, users


def _meeting_with_approved_sections(users: dict[str, User], action: dict[str, str]) -> tuple[int, int]:
    """A meeting whose one case's minutes, agreeing ``action``, the chair has approved: (meeting id, case id)."""
    case = level2_case(users, "Adam Ashby", "2026-12-14")
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    meetings.build_agenda(users["administrator"], meeting.id)
    hold(meeting.id)
    meetings.save_minutes(users["administrator"], meeting.id, case.id, minutes_text("level_2", "2027-02-01",
                                                                                    [action]), None)
    meetings.submit_for_approval(users["administrator"], meeting.id, case.id)
    considered_disclosure(case.id)
    complete(users["chair"], ready_task(case.id, "approve_minutes").id, {"approval": "approve"})
    db.session.commit()
    return meeting.id, case.id


def test_papers_pack_shows_referral_and_actions(app: Flask, client: FlaskClient) -> None:
    meeting_id, case_id, _ = _meeting_with_approved_minutes()
    sign_in(client, "administrator")
    page = get_page(client, f"/meetings/{meeting_id}/papers/{case_id}")
    text = page.text_content()
    assert "Escalating behaviour towards ex-partner." in text  # the referral
    assert "Joint home visit" in text  # the actions status


def test_chair_permits_onward_sharing_and_it_is_listed(app: Flask, client: FlaskClient) -> None:
    meeting_id, case_id, _ = _meeting_with_approved_minutes()
    sign_in(client, "chair")
    url = f"/meetings/{meeting_id}/minutes/{case_id}"
    client.post(f"{url}/disclosures", data={"csrf_token": csrf_token(client, url), "recipient": "Head teacher",
                                            "purpose": "Child safeguarding"})
    assert "Head teacher" in get_page(client, url).text_content()
    db.session.expire_all()
    assert db.session.scalars(select(Disclosure.recipient)).all() == ["Head teacher"]
    summary = client.get(f"{url}/summary.pdf")
    assert summary.status_code == 200 and summary.data.startswith(b"%PDF")


def test_recording_upload_and_download(app: Flask, client: FlaskClient) -> None:
    meeting_id, _case_id, _ = _meeting_with_approved_minutes()
    sign_in(client, "administrator")
    url = f"/meetings/{meeting_id}"
    token = csrf_token(client, url)
    refused = client.post(f"{url}/recordings", data={"csrf_token": token, "recording": (io.BytesIO(b"x"), "a.txt",
                                                                                        "text/plain")},
                          content_type="multipart/form-data", follow_redirects=True)
    assert "must be an MP3" in refused.get_data(as_text=True)
    client.post(f"{url}/recordings", data={"csrf_token": token, "recording": (io.BytesIO(b"ID3audio"), "m.mp3",
                                                                              "audio/mpeg")},
                content_type="multipart/form-data")
    page = get_page(client, f"{url}/recordings")
    link = page.xpath("//a[contains(@href, '/recordings/')]")[0].get("href")
    download = client.get(link)
    assert download.status_code == 200 and download.data == b"ID3audio"
    download.close()


def test_recordings_may_be_larger_than_other_uploads(app: Flask, client: FlaskClient) -> None:
    meeting_id, _case_id, _ = _meeting_with_approved_minutes()
    sign_in(client, "administrator")
    url = f"/meetings/{meeting_id}"
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024  # a small app-wide limit keeps the test's upload in memory
    big = io.BytesIO(b"ID3" + b"\0" * (200 * 1024))
    response = client.post(f"{url}/recordings", data={"csrf_token": csrf_token(client, url),
                                                      "recording": (big, "long.mp3", "audio/mpeg")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    token = csrf_token(client, url)
    refused = client.post("/referrals/new", data={"csrf_token": token, "offender_name": "x" * 150_000})
    assert refused.status_code == 413


def test_a_recording_sent_twice_is_kept_once_and_another_file_from_the_same_form_is_kept_too(
        app: Flask, client: FlaskClient) -> None:
    """app.submissions: the same upload sent again is acted on once; another file chosen in the same form (back,
    choose, send) is a new upload, not mistaken for the first."""
    from sqlalchemy import func

    from services.models import MeetingRecording
    from tests.web.test_submissions_once import drawn

    meeting_id, _case_id, _ = _meeting_with_approved_minutes()
    sign_in(client, "administrator")
    url = f"/meetings/{meeting_id}"
    form = drawn(client, url)

    def send(content: bytes, name: str) -> int:
        return client.post(f"{url}/recordings", data=form | {"recording": (io.BytesIO(content), name, "audio/mpeg")},
                           content_type="multipart/form-data").status_code

    assert [send(b"ID3first", "m.mp3"), send(b"ID3first", "m.mp3"), send(b"ID3second take", "m2.mp3")] == [302] * 3
    db.session.expire_all()
    assert db.session.scalar(select(func.count(MeetingRecording.id)).where(
        MeetingRecording.meeting_id == meeting_id)) == 2
