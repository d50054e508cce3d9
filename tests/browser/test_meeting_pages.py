"""The meeting's parts in a real browser: the coordinator moves between them by the sub navigation, the chair reads
submitted minutes as text, and the agenda fits a 320 px wide screen without the page scrolling sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from services import meetings
from services.db import db
from tests.browser.test_journey import sign_in
from tests.factories import hold, seeded
from tests.meetings.test_meeting_cycle import MEETING_AT, level2_case, minutes_text


def a_meeting(*, submitted: bool = False) -> tuple[int, int]:
    """A meeting with three cases on its agenda (two named John Smith); the first's minutes submitted if asked."""
    users = seeded()
    cases = [level2_case(users, n, d) for n, d in (("John Smith", "2026-12-14"), ("John Smith", "2026-12-18"),
                                                   ("Bartholomew Featherstonehaugh", "2026-12-22"))]
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    meetings.build_agenda(users["administrator"], meeting.id)
    if submitted:
        hold(meeting.id)
        meetings.save_minutes(users["administrator"], meeting.id, cases[0].id,
                              minutes_text("level_2", "2027-03-01"), None)
        meetings.submit_for_approval(users["administrator"], meeting.id, cases[0].id)
    ids = meeting.id, cases[0].id
    db.session.commit()  # release SQLite before the server handles the browser's requests
    return ids


@pytest.mark.browser
def test_the_coordinator_moves_between_the_parts(app, live_server, page: Page) -> None:
    meeting_id, _case_id = a_meeting()
    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server}/meetings/{meeting_id}")
    parts = page.get_by_role("navigation", name="Parts of this meeting")
    expect(parts.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")

    parts.get_by_role("link", name="Agenda").click()
    expect(page).to_have_url(f"{live_server}/meetings/{meeting_id}/agenda")
    expect(page.get_by_role("heading", level=1)).to_have_text("Agenda")
    expect(page.locator("#agenda tbody tr")).to_have_count(3)
    expect(page.locator("#agenda")).to_contain_text(re.compile(r"John Smith \(\S+\).*John Smith \(\S+\)", re.S))

    page.get_by_role("navigation", name="Parts of this meeting").get_by_role("link", name="Attendance").click()
    expect(page).to_have_url(f"{live_server}/meetings/{meeting_id}/attendance")
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance")
    expect(page.get_by_role("heading", level=2, name="Police")).to_be_visible()
    page.get_by_label(re.compile(r"^Police attendance for John Smith")).first.select_option("Sent apologies")
    page.get_by_role("button", name="Save attendance").click()
    expect(page).to_have_url(f"{live_server}/meetings/{meeting_id}/attendance")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Attendance saved")
    expect(page.get_by_label(re.compile(r"^Police attendance for John Smith")).first).to_have_value("apologies")


@pytest.mark.browser
def test_the_chair_reads_submitted_minutes_as_text(app, live_server, page: Page) -> None:
    meeting_id, case_id = a_meeting(submitted=True)
    sign_in(page, live_server, "chair")
    page.goto(f"{live_server}/meetings/{meeting_id}")
    page.get_by_role("navigation", name="Parts of this meeting").get_by_role("link", name="Minutes").click()
    expect(page.locator("#minutes-items tbody tr").first).to_contain_text("Waiting for the chair's approval")
    page.locator("#minutes-items tbody tr").first.get_by_role("link", name=re.compile("^Minutes")).click()
    expect(page).to_have_url(f"{live_server}/meetings/{meeting_id}/minutes/{case_id}")
    expect(page.locator("#minutes-summary")).to_have_text("Discussed.")
    expect(page.locator("#minutes-next_review_date")).to_have_text("1 March 2027")
    expect(page.locator("#minutes-text textarea, #minutes-text input, #minutes-text select")).to_have_count(0)
    expect(page.locator("[disabled]")).to_have_count(0)
    expect(page.get_by_role("textbox", name="Summary of discussion")).to_have_count(0)


@pytest.mark.browser
def test_the_agenda_fits_a_320_px_screen(app, live_server, page: Page) -> None:
    meeting_id, _case_id = a_meeting()
    sign_in(page, live_server, "coordinator")
    page.set_viewport_size({"width": 320, "height": 640})
    for part in ("agenda", "attendance", "minutes", ""):
        page.goto(f"{live_server}/meetings/{meeting_id}/{part}".rstrip("/"))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert sideways <= 0, f"/{part}: the page scrolls {sideways} px sideways at 320 px"
    page.goto(f"{live_server}/meetings/{meeting_id}/agenda")
    region = page.get_by_role("region", name=re.compile("^Agenda"))
    region.focus()  # the table scrolls inside its own region, reachable by keyboard
    expect(region).to_be_focused()
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")
