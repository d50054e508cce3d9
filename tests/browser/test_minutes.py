"""Minutes written live in a real browser: nothing is lost when the page closes mid-sentence, and two people editing
the same minutes are told about each other's changes instead of silently overwriting them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from services import meetings
from services.db import db
from services.models import Minutes
from tests.browser.test_journey import sign_in
from tests.factories import seeded
from tests.meetings.test_meeting_cycle import MEETING_AT, level2_case


def minutes_path() -> str:
    users = seeded()
    case = level2_case(users, "Adam Ashby", "2026-12-14")
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    meetings.build_agenda(users["administrator"], meeting.id)
    path = f"/meetings/{meeting.id}/minutes/{case.id}"
    db.session.commit()  # release SQLite before the server handles the browser's requests
    return path


def server_sections(page: Page, base: str, path: str) -> dict:
    response = page.request.get(f"{base}{path}/sections")
    assert response.ok
    return response.json()["sections"]


def open_minutes(page: Page, base: str, path: str) -> None:
    page.goto(f"{base}{path}")
    expect(page.locator('#minutes-editor[data-ready="true"]')).to_be_attached()


@pytest.mark.browser
def test_closing_the_page_mid_sentence_loses_nothing(app, live_server, page: Page) -> None:
    path = minutes_path()
    sign_in(page, live_server, "administrator")
    open_minutes(page, live_server, path)
    page.locator("#field-summary").press_sequentially("Adam has been seen near the victim's addr")
    context = page.context
    page.close()  # straight away: the debounced save has not run

    again = context.new_page()
    open_minutes(again, live_server, path)
    expect(again.locator("#field-summary")).to_have_value("Adam has been seen near the victim's addr")
    expect(again.locator("#save-status")).to_have_text(re.compile("Saved"))
    assert server_sections(again, live_server, path)["summary"] == "Adam has been seen near the victim's addr"
    again.reload()
    expect(again.locator("#field-summary")).to_have_value("Adam has been seen near the victim's addr")
    again.close()


def second_person(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5_000)
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" and "412" not in m.text else None)
    tab.errors = errors  # type: ignore[attr-defined]
    return context, tab


@pytest.mark.browser
def test_two_people_editing_the_same_minutes(app, live_server, page: Page, browser: Browser) -> None:
    path = minutes_path()
    sign_in(page, live_server, "administrator")
    open_minutes(page, live_server, path)

    chair_context, chair = second_person(browser)
    try:
        sign_in(chair, live_server, "chair")
        open_minutes(chair, live_server, path)  # both have version 0

        page.locator("#field-contingency").fill("Recall if seen near the address.")
        page.locator("#field-summary").fill("Summary by the administrator.")
        expect(page.locator("#save-status")).to_have_text(re.compile("Saved at"))

        chair.locator("#field-summary").fill("Chair's own summary.")
        chair.locator("#field-risk_assessment").fill("High risk to ex-partner.")
        banner = chair.locator("#minutes-conflict")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Someone else changed these minutes")
        expect(banner.locator("#conflict-sections")).to_contain_text("Summary")
        expect(chair.locator("#save-status")).to_have_text(re.compile("Not saved"))
        expect(chair.locator("#field-summary")).to_have_value("Chair's own summary.")  # the chair's text stays
        assert server_sections(chair, live_server, path)["summary"] == "Summary by the administrator."

        chair.get_by_role("button", name="Keep my version").click()
        expect(chair.locator("#save-status")).to_have_text(re.compile("Saved at"))
        expect(banner).to_be_hidden()
        sections = server_sections(chair, live_server, path)
        assert sections["summary"] == "Chair's own summary."
        assert sections["risk_assessment"] == "High risk to ex-partner."
        assert sections["contingency"] == "Recall if seen near the address."  # the administrator's, not lost
        expect(chair.locator("#field-contingency")).to_have_value("Recall if seen near the address.")
        db.session.expire_all()
        versions = [r.sections.get("summary") for r in meetings.revisions(db.session.get(Minutes, 1))]
        assert "Summary by the administrator." in versions  # the other version is kept in the history
        db.session.commit()
        page.reload()  # the administrator sees the chair's kept text
        expect(page.locator("#field-summary")).to_have_value("Chair's own summary.")
        assert chair.errors == []  # type: ignore[attr-defined]
    finally:
        chair_context.close()
