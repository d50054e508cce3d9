"""A manager in a real browser: the overdue dashboard, an overdue count followed to the work list, a reassignment."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journey import sign_in
from tests.managers.world import CHECK, build


@pytest.mark.browser
def test_manager_follows_an_overdue_count_to_the_work_list_and_reassigns(app, live_server, page: Page, clock) -> None:  # type: ignore[no-untyped-def]
    world = build(clock)  # commits: the server's requests are not blocked
    task_id = world.tasks["NO-2026-00003"]
    sign_in(page, live_server, "manager")
    page.get_by_role("link", name="Statistics").click()
    expect(page.locator("#overdue-headline")).to_contain_text("4 overdue and 1 due")
    row = page.locator("#overdue-by-step tbody tr", has_text=CHECK)
    row.locator("td").nth(2).get_by_role("link", name="3").click()
    expect(page).to_have_url(f"{live_server}/area-tasks?step=Check+referral+is+complete&overdue=true")
    expect(page.locator("#work-list tbody tr")).to_have_count(3)
    expect(page.locator("#counts")).to_contain_text("3 overdue")
    listed = page.locator(f"#task-{task_id}")
    expect(listed).to_contain_text("Unclaimed")
    listed.locator(f"#field-assignee-{task_id}").select_option(label="Cora Ordinator")
    listed.get_by_role("button", name="Reassign").click()
    expect(page.locator(".govuk-notification-banner, .moj-banner, [role=alert]").first).to_contain_text(
        "is now with Cora Ordinator")
    expect(page).to_have_url(f"{live_server}/area-tasks?step=Check+referral+is+complete&overdue=true")
    expect(page.locator(f"#task-{task_id}")).to_contain_text("Cora Ordinator for 0 days")
