"""Reading a case in a real browser: the diagram opens readable on the phase with open work with its current step
marked, the zoom buttons zoom, nothing scrolls sideways at 320px; a new API token is copied with one button."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from services.db import db
from services.tasks import complete
from tests.browser.conftest import CSP_LISTENER
from tests.browser.test_journey import sign_in
from tests.factories import TEST_PASSWORD, create_case, ready_task, seeded


def screening_case() -> int:
    users = seeded()
    case_id = create_case(users["probation"]).id
    complete(users["coordinator"], ready_task(case_id, "check_referral").id, {"referral_complete": "yes"})
    db.session.commit()  # release SQLite before the server handles the browser's requests (read nothing after)
    return case_id


def zoom(page: Page) -> float:
    return float(page.locator("#diagram").get_attribute("data-zoom") or "0")


@pytest.mark.browser
def test_the_diagram_opens_readable_on_the_current_step_and_zooms(app, live_server, page: Page) -> None:
    case_id = screening_case()
    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server}/cases/{case_id}")
    expect(page.locator('#diagram[data-ready="true"]')).to_be_attached()
    current = page.locator('#diagram .djs-element.app-current-step[data-element-id="screening_decision"]')
    expect(current).to_be_visible()
    expect(page.locator('#diagram .djs-element.app-done-step[data-element-id="check_referral"]')).to_be_attached()
    expect(page.locator("#current-steps")).to_contain_text("Screening decision")

    opened = zoom(page)
    assert opened >= 1.0 - 1e-3, f"labels drawn below 12px (scale {opened})"
    box, step = page.locator("#diagram").bounding_box(), current.bounding_box()
    assert box and step and box["x"] <= step["x"] + step["width"] / 2 <= box["x"] + box["width"], \
        "the current step is in view"

    page.get_by_role("button", name="Zoom in").click()
    expect(page.locator("#diagram")).not_to_have_attribute("data-zoom", f"{opened:.3f}")
    assert zoom(page) == pytest.approx(opened * 1.25, rel=0.01)
    expect(page.locator(".app-diagram-zoom__status")).to_have_text(f"Zoom {round(zoom(page) * 100)}%")
    zoomed_in = zoom(page)
    page.get_by_role("button", name="Zoom out").focus()
    page.keyboard.press("Enter")  # keyboard works the buttons too
    expect(page.locator("#diagram")).not_to_have_attribute("data-zoom", f"{zoomed_in:.3f}")
    assert zoom(page) == pytest.approx(opened, rel=0.01)
    page.get_by_role("button", name="Fit").click()
    expect(page.locator("#diagram")).not_to_have_attribute("data-zoom", f"{opened:.3f}")
    assert zoom(page) < opened, "the whole referral model does not fit at a readable scale in the box"


@pytest.mark.browser
def test_the_case_page_does_not_scroll_sideways_at_320px(app, live_server, browser: Any) -> None:
    case_id = screening_case()
    context = browser.new_context(viewport={"width": 320, "height": 800})
    context.set_default_timeout(5_000)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/sign-in")
        page.locator("#field-username").fill("coordinator")
        page.locator("#field-password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server}/cases/{case_id}")
        expect(page.locator('#diagram[data-ready="true"]')).to_be_attached()
        expect(page.get_by_role("button", name="Zoom in")).to_be_visible()
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1
                           && !e.closest('.djs-container'))
            .map((e) => e.tagName + '#' + e.id + '.' + e.className).slice(0, 12)""")
        assert widths[0] <= widths[1], f"the page is {widths[0]}px wide at {widths[1]}px: {wide}"
    finally:
        context.close()


@pytest.mark.browser
def test_a_new_token_is_copied_with_the_copy_button(app, live_server, page: Page) -> None:
    seeded()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    sign_in(page, live_server, "probation")
    page.goto(f"{live_server}/account/tokens")
    page.locator("#field-name").fill("Case system")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text().strip()
    assert len(token) > 20
    expect(page.get_by_text("It will not be shown again")).to_be_visible()
    page.get_by_role("button", name="Copy token").click()
    expect(page.locator("#copy-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == token
