"""The statistics page: caseload by category and level, waiting steps, timeliness; area-scoped."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from services.db import db
from services.tasks import complete
from tests.factories import create_case, ready_task, seeded, sign_in
from tests.pages import get_page


def test_manager_sees_caseload_and_where_work_waits(app: Flask, client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    users = seeded()
    level2 = create_case(users["probation"], category=2)
    create_case(users["probation"], category=1)
    complete(users["coordinator"], ready_task(level2.id, "check_referral").id, {"referral_complete": "yes"})
    complete(users["coordinator"], ready_task(level2.id, "screening_decision").id, {
        "screening_outcome": "accepted_level_2", "screening_rationale": "r", "first_review_due": "2026-12-18"})
    complete(users["police"], ready_task(level2.id, "visor_record").id, {"visor_reference": "VS1"})
    db.session.commit()
    clock.set(clock.now() + timedelta(days=10))  # the second case's checks are now overdue
    sign_in(client, "manager")
    page = get_page(client, "/statistics")
    category = {row[0]: row[1] for row in _rows(page, "by-category")}
    assert (category["Category 1 (M1)"], category["Category 2 (M2)"], category["Category 3 (M3)"]) == ("1", "1", "0")
    assert {row[0]: row[1] for row in _rows(page, "by-level")}["Level 2"] == "1"
    waiting = {row[0]: row[1:3] for row in _rows(page, "waiting")}
    assert waiting["Check referral is complete"] == ["1", "1"]  # open, overdue
    south = app.test_client()
    sign_in(south, "south_coordinator")
    assert "Check referral is complete" not in south.get("/statistics").get_data(as_text=True)
    probation = app.test_client()
    sign_in(probation, "probation")
    assert probation.get("/statistics").status_code == 403


def _rows(page, table_id: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[cell.text_content().strip() for cell in row.xpath("./td")]
            for row in page.xpath(f"//table[@id='{table_id}']/tbody/tr")]


def test_the_cases_the_page_names_have_the_read_in_their_access_logs(app: Flask, client: FlaskClient,
                                                                     clock) -> None:  # type: ignore[no-untyped-def]
    """The page names each case whose review is overdue (reference, level, review date): each case's own access log
    says who read it there (found in review: only the area's row, with no case)."""
    from datetime import timedelta

    from sqlalchemy import select

    from services.models import AccessLog, MappaCase

    users = seeded()
    level2 = create_case(users["probation"], category=2)
    complete(users["coordinator"], ready_task(level2.id, "check_referral").id, {"referral_complete": "yes"})
    complete(users["coordinator"], ready_task(level2.id, "screening_decision").id, {
        "screening_outcome": "accepted_level_2", "screening_rationale": "r", "first_review_due": "2026-12-18"})
    db.session.commit()
    clock.set(clock.now() + timedelta(days=40))  # past the first review
    reference = db.session.get(MappaCase, level2.id).reference  # type: ignore[union-attr]
    sign_in(client, "chair")
    assert reference in get_page(client, "/statistics").text_content()
    logged = db.session.scalars(select(AccessLog.event).where(AccessLog.case_id == level2.id,
                                                              AccessLog.user_id == users["chair"].id)).all()
    assert "overdue_dashboard_viewed" in logged
