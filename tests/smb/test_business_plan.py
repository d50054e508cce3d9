"""The SMB business plan (MAPPA.md section 14) over HTTP: actions with an owning agency, a due date and progress;
bad input is shown in the error summary and nothing is written; an action not done by its date stands out as
overdue, until its progress is recorded as done."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.models import SmbPlanAction
from tests.factories import seeded, sign_in
from tests.pages import check_page, get_page
from tests.web.test_case_actions_ui import flashed, post, summary_links

ACTION = {"title": "Audit Level 2 attendance by health each quarter", "owner_role": "health",
          "due_on-day": "31", "due_on-month": "1", "due_on-year": "2027", "status": "in progress"}


def overdue_badges(client: FlaskClient) -> list[str]:
    page = get_page(client, "/smb/plan")
    return [tr.get("id") for tr in page.xpath("//table[@id='business-plan']/tbody/tr")
            if "Overdue" in tr.text_content()]


def test_plan_actions_are_added_go_overdue_and_are_done(app: Flask, client: FlaskClient, clock: Any) -> None:
    seeded()
    sign_in(client, "manager")
    page = check_page(post(client, "/smb/plan", {**ACTION, "title": "", "due_on-month": "13"}))
    assert list(summary_links(page)) == ["#field-title", "#field-due_on"]
    assert db.session.scalars(select(SmbPlanAction)).all() == []  # nothing half-written

    assert flashed(client, post(client, "/smb/plan", ACTION)) == (
        "Success Action added to the business plan, due by 31 January 2027")
    [row] = db.session.scalars(select(SmbPlanAction)).all()
    assert (row.owner_role, row.status, str(row.due_on)) == ("health", "in progress", "2027-01-31")
    assert overdue_badges(client) == []

    clock.set(datetime(2027, 2, 1, 9, tzinfo=UTC))  # the due date passes with the action not done
    sign_in(client, "manager")
    assert overdue_badges(client) == [f"plan-action-{row.id}"]
    pack = get_page(client, "/smb?year_ending=2026-03-31")
    assert "Overdue" in pack.get_element_by_id("business-plan").text_content()

    bad = post(client, f"/smb/plan/{row.id}/status", {"status": "finished"}, form_path="/smb/plan")
    assert "Select how far the action has got" in flashed(client, bad)
    done = post(client, f"/smb/plan/{row.id}/status", {"status": "done"}, form_path="/smb/plan")
    assert flashed(client, done) == "Success Progress recorded: Done"
    assert overdue_badges(client) == []

    sign_in(client, "chair")  # the MAPP meeting chair reads the plan but does not keep it
    assert get_page(client, "/smb/plan").xpath("//form[@action='/smb/plan']") == []
    assert post(client, "/smb/plan", ACTION, form_path="/smb/plan").status_code == 403


def test_the_pack_pdf_with_a_bad_year_shows_the_pack_page_with_its_error_summary(app: Flask,
                                                                                client: FlaskClient) -> None:
    """Found in review: it answered a bare text/plain 422, not a GOV.UK page with the error summary."""
    seeded()
    sign_in(client, "smb_chair")
    for year in ("nonsense", "2026-02-30", "2031-03-31"):
        page = get_page(client, f"/smb/pack.pdf?year_ending={year}", status=422)
        assert page.xpath("//div[contains(@class, 'govuk-error-summary')]//a[@href='#field-year_ending']"), year
