"""Acceptance in a real browser: the coordinator finds a demo case by its CRN from the search in the navigation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from services import demo
from services.db import db
from services.models import MappaCase
from tests.browser.test_journey import SCREENSHOTS, sign_in
from tests.factories import seeded
from tests.web.test_case_search import quoted


@pytest.mark.browser
def test_coordinator_finds_a_demo_case_by_its_crn(app, live_server, page: Page) -> None:
    seeded()
    demo.seed(case_count=6)
    wanted, other = db.session.scalars(select(MappaCase).where(MappaCase.crn.is_not(None))
                                       .order_by(MappaCase.id).limit(2)).all()
    case_id, crn, reference, name = wanted.id, wanted.crn, wanted.reference, wanted.offender_name
    other_reference = other.reference
    assert crn is not None
    db.session.commit()  # release SQLite before the server handles the browser's requests

    sign_in(page, live_server, "coordinator")
    page.get_by_role("searchbox", name="Search by name, reference, PNC, CRN or ViSOR reference").fill(
        f" {crn.lower()} ")  # typed in lower case with stray spaces
    page.get_by_role("button", name="Search cases").click()  # the navigation's search, from My tasks

    expect(page.get_by_role("heading", level=1)).to_have_text("Cases")
    expect(page.locator("#search-results h2")).to_have_text(f"1 case matches {quoted(crn.lower())}")
    rows = page.locator("#case-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(name)
    expect(page.get_by_role("link", name=other_reference)).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "case-search.png"), full_page=True)

    rows.first.get_by_role("link", name=reference).click()
    expect(page).to_have_url(f"{live_server}/cases/{case_id}")
    page.go_back()
    page.get_by_role("link", name="Clear search").click()
    expect(page).to_have_url(f"{live_server}/cases")
    expect(page.get_by_role("link", name=other_reference)).to_be_visible()


@pytest.mark.browser
def test_the_navigation_search_fits_a_320_px_screen(app, live_server, page: Page) -> None:
    seeded()
    db.session.commit()
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, live_server, "coordinator")
    search = page.locator("search:has(#nav-case-search)")
    expect(search).to_be_visible()
    box = search.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, box
    for control in (page.locator("#nav-case-search"), page.get_by_role("button", name="Search cases")):
        control_box = control.bounding_box()
        assert control_box is not None and control_box["x"] + control_box["width"] <= 320, control_box
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "navigation-search-320.png"))
