"""Minute-takers recording attendance at the same meeting at the same moment (found in review): the attendance form
posts every row it shows, so a save from a page opened before a colleague's save put the colleague's rows back as
the page had them. Each row is now written only when it was changed on the page, and only if nobody changed it in
between (the rows are locked, then compared): a save never undoes another's; the same row changed by two people is
a 409 for the later one, with nothing written. Real parallel requests: run on PostgreSQL too."""

from __future__ import annotations

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services import meetings
from services.db import db
from services.models import Attendance, User
from tests.factories import sign_in
from tests.meetings.test_meeting_cycle import MEETING_AT, level2_case
from tests.pages import check_page
from tests.platform.racing import RACERS, colleagues, race


@pytest.fixture
def meeting_id(users: dict[str, User]) -> int:
    """A Level 2 meeting with two cases on its agenda (at least six invitations)."""
    level2_case(users, "Adam Ashby", "2026-12-14")
    level2_case(users, "Brian Brook", "2026-12-18")
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair",
                                  venue="Northshire HQ")
    meetings.build_agenda(users["administrator"], meeting.id)
    db.session.commit()
    return meeting.id


def _opened(app: Flask, username: str, meeting_id: int) -> tuple[FlaskClient, dict[str, str]]:
    """A minute-taker's attendance page, open: their client and the form as the page filled it in."""
    client = app.test_client()
    sign_in(client, username)
    response = client.get(f"/meetings/{meeting_id}/attendance")
    assert response.status_code == 200
    [form] = check_page(response).xpath("//form[.//select[starts-with(@name, 'attendance-')]]")
    return client, {k: v or "" for k, v in lxml.html.FormElement(form).form_values()}


def _rows() -> dict[int, tuple[str, str | None]]:
    db.session.expire_all()
    return {a.id: (a.status, a.person) for a in db.session.scalars(select(Attendance).order_by(Attendance.id))}


def test_a_save_from_an_older_page_keeps_a_colleagues_rows(app: Flask, users: dict[str, User],
                                                          meeting_id: int) -> None:
    """Before: the coordinator's save (page opened before the administrator's) put Police back to invited."""
    first, second, *_ = _rows()
    admin, admin_form = _opened(app, "administrator", meeting_id)
    coordinator, coordinator_form = _opened(app, "coordinator", meeting_id)
    assert admin.post(f"/meetings/{meeting_id}/attendance", data=admin_form | {
        f"attendance-{first}": "present", f"person-{first}": "DS Dawn Doyle"}).status_code == 302
    assert coordinator.post(f"/meetings/{meeting_id}/attendance", data=coordinator_form | {
        f"attendance-{second}": "apologies"}).status_code == 302
    rows = _rows()
    assert rows[first] == ("present", "DS Dawn Doyle") and rows[second] == ("apologies", None)

    late = coordinator.post(f"/meetings/{meeting_id}/attendance", data=coordinator_form | {  # still the old page
        f"attendance-{first}": "apologies", f"person-{second}": "Someone"})
    assert late.status_code == 409
    summary = check_page(late).xpath("//div[contains(@class, 'govuk-error-summary')]//a/@href")
    assert summary == [f"#field-attendance-{first}"]
    assert _rows() == rows  # nothing written, the other row included


def test_minute_takers_saving_different_rows_at_once_lose_none(app: Flask, users: dict[str, User],
                                                               meeting_id: int) -> None:
    rows = list(_rows())
    assert len(rows) >= RACERS
    takers = colleagues(users, "administrator", RACERS)
    pages = [_opened(app, name, meeting_id) for name in takers]  # every page open before anyone saves

    results = race([lambda c=client, f=form, row=rows[n], name=f"P{n}": c.post(
        f"/meetings/{meeting_id}/attendance", data=f | {f"attendance-{row}": "present", f"person-{row}": name})
        for n, (client, form) in enumerate(pages)])

    assert [r.status_code for r in results] == [302] * RACERS, [r.get_data(as_text=True)[:300] for r in results]
    saved = _rows()
    assert [saved[row] for row in rows[:RACERS]] == [("present", f"P{n}") for n in range(RACERS)]
