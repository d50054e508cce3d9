"""Minutes text kept in the browser's localStorage (so closing the page loses nothing) does not outlive the session
(issue 9, hole 10): signing out saves what is pending, then clears it; the sign-in page clears what a session that
ended elsewhere (expiry, another tab) left behind."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from services.db import db
from services.models import Minutes
from tests.browser.test_journey import sign_in
from tests.browser.test_minutes import minutes_path, open_minutes
from tests.conftest import TEST_NOW

APP_KEYS = "Object.keys(localStorage).filter((key) => key.startsWith('mappa-'))"


def saved_summary() -> str:
    db.session.expire_all()
    [minutes] = db.session.scalars(select(Minutes))
    summary = str((minutes.sections or {}).get("summary", ""))
    db.session.commit()  # release SQLite for the server
    return summary


@pytest.mark.browser
def test_signing_out_saves_the_minutes_and_leaves_none_in_the_browser(app, live_server, page: Page) -> None:
    path = minutes_path()
    sign_in(page, live_server, "administrator")
    open_minutes(page, live_server, path)
    page.locator("#field-summary").press_sequentially("Adam was seen near the school")
    assert page.evaluate(APP_KEYS) == [re.sub(r"^/meetings/(\d+)/minutes/(\d+)$", r"mappa-minutes:\1:\2", path)]

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert page.evaluate(APP_KEYS) == []
    assert saved_summary() == "Adam was seen near the school"  # saved before the session ended


@pytest.mark.browser
def test_the_sign_in_page_clears_what_an_expired_session_left(app, live_server, page: Page, clock) -> None:  # type: ignore[no-untyped-def]
    path = minutes_path()
    sign_in(page, live_server, "administrator")
    open_minutes(page, live_server, path)
    page.evaluate("localStorage.setItem('mappa-minutes:0:0', JSON.stringify({sections: {summary: 'Left over'}}))")
    page.evaluate("localStorage.setItem('someone-else', 'kept')")
    clock.set(TEST_NOW + timedelta(hours=1))  # the session has expired (idle)
    page.goto(f"{live_server}{path}")  # waits for the load event: the sign-in page's module script has run
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator("#field-username")).to_be_visible()
    assert page.evaluate(APP_KEYS) == []
    assert page.evaluate("localStorage.getItem('someone-else')") == "kept"  # only the app's own keys
