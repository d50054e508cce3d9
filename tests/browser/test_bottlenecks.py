"""A manager opens a model's bottlenecks from the statistics page and sees the counts on the diagram's steps, the
same figures as the table, and changes the period."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from services.db import db
from tests.browser.test_journey import sign_in
from tests.web.test_bottlenecks import build_referrals


def overlay(page: Page, step: str) -> Any:
    return page.locator(f'.djs-overlays[data-container-id="{step}"] .app-bottleneck')


@pytest.mark.browser
def test_a_manager_sees_the_bottleneck_counts_on_the_diagram(app, live_server, page: Page, clock) -> None:
    build_referrals(clock)
    db.session.commit()  # release SQLite before the server handles the browser's requests
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server}/statistics")
    page.locator("#bottleneck-models").get_by_role("link", name="Referral and screening").click()
    expect(page.locator("h1")).to_have_text("Bottlenecks: Referral and screening")
    expect(page.locator('#bottleneck-diagram[data-overlays="4"]')).to_be_attached()

    check = overlay(page, "check_referral")
    expect(check).to_be_visible()
    expect(check.locator(".app-bottleneck__count--waiting")).to_have_text("1 waiting")
    expect(check.locator(".app-bottleneck__count--overdue")).to_have_text("1 overdue")
    expect(check.locator(".app-bottleneck__times")).to_have_text("median 2.0 days · 90% 14.8 days")
    screening = overlay(page, "screening_decision")
    expect(screening.locator(".app-bottleneck__count--waiting")).to_have_text("4 waiting")
    expect(screening.locator(".app-bottleneck__count--overdue")).to_have_text("3 overdue")
    expect(screening.locator(".app-bottleneck__times")).to_have_count(0)  # none completed in the period
    expect(overlay(page, "visor_record").locator(".app-bottleneck__count--overdue")).to_have_count(0)
    row = page.locator('#bottlenecks tr[data-step="check_referral"] td')
    expect(row).to_have_text(["1", "1", "3", "2.0 days", "14.8 days"])

    form = page.locator("#period")
    form.locator("#field-from").fill("1")
    form.locator("#field-from-month").fill("8")
    form.get_by_role("button", name="Show this period").click()
    expect(page.locator('#bottleneck-diagram[data-overlays="4"]')).to_be_attached()
    expect(overlay(page, "check_referral").locator(".app-bottleneck__times")).to_have_text(
        "median 1.5 days · 90% 13.2 days")
