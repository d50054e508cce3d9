"""The acceptance journey in a real browser: sign in, My tasks, a task form with a validation error, the case diagram;
and a referral made through the GOV.UK form."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from services.db import db
from tests.factories import TEST_PASSWORD, create_case, seeded

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"  # kept by CI, ignored by git


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/sign-in")
    page.locator("#field-username").fill(username)
    page.locator("#field-password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/tasks")


def follow_error_link(page: Page, field_id: str) -> None:
    """The error summary shows, links to the field, and following the link focuses it."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    summary.locator(f'a[href="#{field_id}"]').click()
    expect(page.locator(f"#{field_id}")).to_be_focused()


@pytest.mark.browser
def test_coordinator_completes_a_task_with_one_validation_error_and_sees_the_diagram(app, live_server, page) -> None:
    users = seeded()
    case = create_case(users["probation"], offender_name="Adam Browser")
    case_id, reference = case.id, case.reference
    db.session.commit()  # release SQLite before the server handles the browser's requests

    sign_in(page, live_server, "coordinator")
    expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")
    row = page.locator("#inbox tbody tr", has_text=reference)
    expect(row).to_contain_text("Adam Browser")
    row.get_by_role("link", name="Check referral is complete").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check referral is complete")
    page.get_by_label("No - return it to the referrer").check()
    page.get_by_role("button", name="Complete task").click()
    follow_error_link(page, "field-missing_information")
    expect(page.get_by_label("No - return it to the referrer")).to_be_checked()  # the answer given is kept
    page.locator("#field-missing_information").fill("The offender's current address and the victim details.")
    page.get_by_role("button", name="Complete task").click()

    expect(page).to_have_url(f"{live_server}/tasks")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"'Check referral is complete' completed for {reference}"
    )

    page.goto(f"{live_server}/cases/{case_id}")
    diagram = page.locator('#diagram[data-ready="true"]')
    expect(diagram).to_have_attribute("data-active", re.compile(r"\bamend_referral\b"))
    expect(diagram.locator("svg .app-current-step").first).to_be_visible()
    expect(page.locator("#open-tasks")).to_contain_text("Amend referral")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "case-page.png"), full_page=True)


@pytest.mark.browser
def test_referrer_makes_a_referral_through_the_form(app, live_server, page) -> None:
    seeded()
    db.session.commit()

    sign_in(page, live_server, "probation")
    page.get_by_role("link", name="New referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New MAPPA referral")
    page.locator("#field-date_of_birth").fill("27")
    page.locator("#field-date_of_birth-month").fill("3")
    page.locator("#field-date_of_birth-year").fill("1985")
    page.get_by_label("Category 2 - violent or other sexual offender").check()
    page.get_by_label("Lead agency").select_option("Probation")
    page.get_by_label("Level 3").check()
    page.get_by_label("What can Level 2 not deliver?").fill("Needs a superintendent to authorise surveillance.")
    page.get_by_label("Very high").check()
    page.get_by_role("group", name="Is the offender in custody?").get_by_label("No").check()
    page.get_by_label("Relevant information and reason for referral").fill("Threats to a former partner.")
    page.get_by_role("button", name="Submit referral").click()

    follow_error_link(page, "field-offender_name")
    expect(page.locator("#field-date_of_birth-year")).to_have_value("1985")  # what was typed is kept
    expect(page.get_by_label("Level 3")).to_be_checked()
    page.locator("#field-offender_name").fill("Brenda Browser")
    page.get_by_role("button", name="Submit referral").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/cases/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Brenda Browser")
    expect(page.locator("#open-tasks")).to_contain_text("Check referral is complete")
    expect(page.locator('#diagram[data-ready="true"]')).to_have_attribute(
        "data-active", re.compile(r"\bcheck_referral\b")
    )
