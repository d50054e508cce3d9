"""Minute-takers saving and submitting the same minutes at the same moment (issue 9, hole 6): exactly one of several
saves with the same ETag wins and the others get 412 with what is saved now; saves without an ETag all land, none
lost; one submission starts the approval. Real parallel requests: see tests.platform.racing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from services import meetings
from services.db import db
from services.minutes_sections import TEXT_SECTIONS
from services.models import Minutes, MinutesRevision, ProcessInstance, User
from tests.api.conftest import Api
from tests.factories import csrf_token, hold, sign_in
from tests.meetings.test_meeting_cycle import MEETING_AT, level2_case, minutes_text
from tests.platform.racing import RACERS, colleagues, race


@pytest.fixture
def on_agenda(users: dict[str, User]) -> tuple[int, int]:
    """A Level 2 meeting (not yet opened) with one case on its agenda: (meeting id, case id)."""
    case = level2_case(users, "Adam Ashby", "2026-12-14")
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair",
                                  venue="Northshire HQ")
    meetings.build_agenda(users["administrator"], meeting.id)
    db.session.commit()
    return meeting.id, case.id


def _stored(case_id: int) -> tuple[Minutes, list[MinutesRevision]]:
    db.session.expire_all()
    minutes = db.session.scalars(select(Minutes).where(Minutes.case_id == case_id)).one()
    return minutes, list(db.session.scalars(select(MinutesRevision).where(MinutesRevision.minutes_id == minutes.id)
                                            .order_by(MinutesRevision.version)))


def _signed_in(app: Flask, username: str, path: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    sign_in(client, username)
    return client, csrf_token(client, path)


def test_saves_with_the_same_etag_one_wins_the_others_get_412(api: Api, on_agenda: tuple[int, int]) -> None:
    meeting_id, case_id = on_agenda
    writers = colleagues(api.users, "administrator", RACERS)
    url = f"/api/v1/meetings/{meeting_id}/minutes/{case_id}"
    etag = api.get("administrator", url).headers["ETag"]
    headers = {name: api.headers(name) | {"If-Match": etag} for name in writers}

    def save(name: str) -> Any:
        return lambda: api.client.put(url, headers=headers[name], json={"sections": {"summary": f"By {name}."}})

    results = dict(zip(writers, race([save(name) for name in writers]), strict=True))

    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200] + [412] * (RACERS - 1), {n: r.get_data(as_text=True) for n, r in results.items()}
    [winner] = [name for name, r in results.items() if r.status_code == 200]
    minutes, revisions = _stored(case_id)
    assert (minutes.version, minutes.sections["summary"]) == (1, f"By {winner}.")
    assert [(r.version, r.saved_by.username) for r in revisions] == [(1, winner)]
    for loser in (r for r in results.values() if r.status_code == 412):
        body = loser.get_json()
        assert body["current"]["sections"]["summary"] == f"By {winner}." and body["current"]["version"] == 1
        assert loser.headers["ETag"] == f'"m{minutes.id}v1"'


def test_saves_of_different_sections_at_once_keep_every_section(app: Flask, users: dict[str, User],
                                                                 on_agenda: tuple[int, int]) -> None:
    """Save as you type without an ETag, into minutes nobody has opened yet: every section lands, one row."""
    meeting_id, case_id = on_agenda
    path = f"/meetings/{meeting_id}/minutes/{case_id}/sections"
    writers = colleagues(users, "administrator", RACERS)
    sections = dict(zip(writers, TEXT_SECTIONS, strict=False))
    signed_in = {name: _signed_in(app, name, "/meetings") for name in writers}

    def save(name: str) -> Any:
        client, token = signed_in[name]
        return lambda: client.put(path, json={"sections": {sections[name]: f"By {name}."}},
                                  headers={"X-CSRFToken": token})

    results = race([save(name) for name in writers])

    assert [r.status_code for r in results] == [200] * RACERS, [r.get_data(as_text=True)[:300] for r in results]
    minutes, revisions = _stored(case_id)
    assert minutes.sections == {section: f"By {name}." for name, section in sections.items()}
    assert minutes.version == RACERS and [r.version for r in revisions] == list(range(1, RACERS + 1))


def test_one_submission_of_the_minutes_starts_their_approval(app: Flask, users: dict[str, User],
                                                             on_agenda: tuple[int, int]) -> None:
    meeting_id, case_id = on_agenda
    hold(meeting_id)
    meetings.save_minutes(users["administrator"], meeting_id, case_id, minutes_text("level_2", "2027-03-01"), None)
    page = f"/meetings/{meeting_id}/minutes/{case_id}"
    takers = colleagues(users, "administrator", RACERS)
    signed_in = [_signed_in(app, name, page) for name in takers]

    results = race([lambda c=client, t=token: c.post(f"{page}/submit", data={"csrf_token": t})
                    for client, token in signed_in])

    assert sorted(r.status_code for r in results) == [302] + [409] * (RACERS - 1)
    assert all("already awaiting approval" in r.get_data(as_text=True) for r in results if r.status_code == 409)
    db.session.expire_all()
    started = db.session.scalar(select(func.count()).where(ProcessInstance.case_id == case_id,
                                                           ProcessInstance.phase == "minutes"))
    assert started == 1
    assert _stored(case_id)[0].status == "awaiting approval"
