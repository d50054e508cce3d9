"""My tasks in a real browser (issue 12): claim from the list, and no horizontal scrolling at 320 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from services.db import db
from tests.browser.test_journey import sign_in
from tests.factories import create_case, ready_task, seeded

CHECK = "Check referral is complete"
QUOTED = f"\u2018{CHECK}\u2019"  # as the page quotes a step's name


def _referrals(count: int) -> list[tuple[int, str]]:
    """``count`` referrals waiting, unclaimed, for Northshire's coordinator: (task id, case reference) each."""
    users = seeded()
    cases = [create_case(users["probation"], offender_name=f"Maximilian Featherstonehaugh-Worthington {n}")
             for n in range(count)]
    found = [(ready_task(case.id, "check_referral").id, case.reference) for case in cases]
    db.session.commit()  # no transaction left open: the server's requests would wait on SQLite
    return found


@pytest.mark.browser
def test_claim_from_the_list_shows_the_banner_and_you_in_the_row(app, live_server, page: Page) -> None:  # type: ignore[no-untyped-def]
    [(task_id, reference), _other] = _referrals(2)
    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server}/tasks?sort=-due")
    row = page.locator(f"#task-{task_id}")
    expect(row.locator("td").nth(3)).to_contain_text("Unclaimed")
    expect(page.locator("#nav-tasks")).to_have_text("2 open")

    row.get_by_role("button", name=f"Claim {QUOTED} for {reference}").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"You have claimed {QUOTED} for {reference}")
    expect(page).to_have_url(f"{live_server}/tasks?sort=-due")  # back to the list, its order kept
    expect(page.locator(f"#task-{task_id}").locator("td").nth(3)).to_have_text("You")
    expect(page.locator(f"#task-{task_id}").get_by_role("button")).to_have_count(0)


@pytest.mark.browser
def test_the_inbox_does_not_scroll_sideways_at_320_px(app, live_server, page: Page) -> None:  # type: ignore[no-untyped-def]
    _referrals(4)
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, live_server, "coordinator")
    expect(page.locator("#inbox tbody tr")).to_have_count(4)
    expect(page.locator("#inbox-filter")).not_to_have_attribute("open", "")  # the list comes first on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    page.locator("#inbox-filter summary").click()  # the filters open, and still fit
    expect(page.locator("#filter-show-mine")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(page.locator("#inbox-filter")).to_have_attribute("open", "")  # room enough: open from the start
