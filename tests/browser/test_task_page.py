"""Acting on a task in a real browser: the check-referral page shows the referral, a form with a missing answer says
"Error:" in the title with a message for people, a conditional question appears only after its answer, and the
minutes' action due dates are GOV.UK date inputs that save as you type."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from services.db import db
from tests.browser.test_journey import sign_in
from tests.browser.test_minutes import minutes_path, open_minutes, server_sections
from tests.factories import create_case, ready_task, seeded


def _check_referral_task() -> tuple[int, str]:
    users = seeded()
    case = create_case(users["probation"], offender_name="Kevin Kerr", category=2, level_requested=3,
                       level3_reason="Needs senior police resources.", crn="X123456")
    task_id, reference = ready_task(case.id, "check_referral").id, case.reference
    db.session.commit()
    return task_id, reference


@pytest.mark.browser
def test_check_referral_shows_the_referral(app, live_server, page: Page) -> None:
    task_id, reference = _check_referral_task()
    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server}/tasks/{task_id}")
    about = page.locator("#task-about")
    expect(page.get_by_role("heading", name="The referral")).to_be_visible()
    for text in ("Kevin Kerr", "X123456", "Category 2", "Level 3", "Needs senior police resources.", "High",
                 "Escalating behaviour towards ex-partner."):
        expect(about).to_contain_text(text)
    expect(page.locator("#task-context")).to_have_count(0)  # the referral already says what the step data would
    expect(page.get_by_role("link", name=f"View case {reference}")).to_be_visible()


@pytest.mark.browser
def test_a_missing_answer_says_error_in_the_title_and_the_summary(app, live_server, page: Page) -> None:
    task_id, _ = _check_referral_task()
    sign_in(page, live_server, "coordinator")
    page.goto(f"{live_server}/tasks/{task_id}")
    expect(page).not_to_have_title(re.compile("^Error:"))
    page.get_by_role("button", name="Complete task").click()
    expect(page).to_have_title(re.compile("^Error: Check referral is complete"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Select whether the referral is complete enough to screen")).to_be_visible()


@pytest.mark.browser
def test_the_level_3_question_appears_only_for_level_3(app, live_server, page: Page) -> None:
    seeded()
    db.session.commit()
    sign_in(page, live_server, "probation")
    page.goto(f"{live_server}/referrals/new")
    question = page.get_by_label("What can Level 2 not deliver?")
    expect(question).to_be_hidden()
    page.get_by_label("Level 2", exact=True).check()
    expect(question).to_be_hidden()
    page.get_by_label("Level 3", exact=True).check()
    expect(question).to_be_visible()
    release = page.get_by_role("group", name="Earliest release date")
    expect(release).to_be_hidden()
    page.locator("input[name='custody'][value='true']").check()
    expect(release).to_be_visible()


@pytest.mark.browser
def test_action_due_dates_are_day_month_year_and_save_as_you_type(app, live_server, page: Page) -> None:
    path = minutes_path()
    sign_in(page, live_server, "administrator")
    open_minutes(page, live_server, path)
    expect(page.locator("input[type='date']")).to_have_count(0)
    expect(page.locator("#save-status")).to_have_text("Not saved yet")
    page.locator("#field-actions-0-due").fill("20")  # the date first: an action without a description is not saved
    page.locator("#field-actions-0-due-month").fill("12")
    page.locator("#field-actions-0-due-year").fill("2026")
    page.locator("#field-actions-0-description").fill("Joint home visit")
    expect(page.locator("#save-status")).to_have_text(re.compile("Saved"))
    actions = server_sections(page, live_server, path)["actions"]
    assert [(a["description"], a["due"]) for a in actions] == [("Joint home visit", "2026-12-20")]
