"""The annual statistics page (tables, downloads for coordinators and managers) and the trends page (each chart an
accessible SVG image with its table), with known answers built through the real services and meetings."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.clock import LONDON
from services.db import db
from services.models import AgendaItem, Attendance, HumanTask, MappMeeting, User
from tests.api.test_api_annual_statistics import _at, _build
from tests.factories import seeded, sign_in
from tests.pages import get_page


def _held_meeting(users: dict[str, User], case_id: int) -> None:
    """A Level 2 meeting held on Friday 20 February 2026 (14 working days after A's referral on 2 February)."""
    start = datetime(2026, 2, 20, 10, tzinfo=UTC)
    meeting = MappMeeting(area_id=users["coordinator"].area_id, level=2, starts_at=start, ends_at=start,
                          chair_id=users["chair"].id, status="held", created_at=start,
                          created_by_id=users["coordinator"].id)
    db.session.add(meeting)
    db.session.flush()
    item = AgendaItem(meeting_id=meeting.id, case_id=case_id, position=1, kind="initial", booked=False)
    db.session.add(item)
    db.session.flush()
    for agency, status in (("Police", "present"), ("Housing", "apologies"), ("Health", "report received")):
        db.session.add(Attendance(meeting_id=meeting.id, agenda_item_id=item.id, agency=agency, status=status,
                                  updated_at=start))
    db.session.commit()


def _overdue_at(day: date) -> int:
    """Counted from every task row in Python: open at the end of ``day`` (London) and due before it."""
    end = datetime.combine(day + timedelta(days=1), time.min, LONDON)
    return sum(1 for t in db.session.scalars(select(HumanTask))
               if t.created_at < end and t.due_date is not None and t.due_date < day
               and (t.completed_at is None or t.completed_at >= end))


def _rows(page: Any, table_id: str) -> dict[str, list[str]]:
    return {row.xpath("./th")[0].text_content().strip(): [c.text_content().strip() for c in row.xpath("./td")]
            for row in page.xpath(f"//table[@id='{table_id}']/tbody/tr")}


def test_annual_page_tables_and_downloads(app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    cases = _build(users, clock)
    _held_meeting(users, cases["a"].id)
    sign_in(client, "manager")
    page = get_page(client, "/statistics/annual?year_ending=2026-03-31")
    assert _rows(page, "level")["Level 3"] == ["0"] and _rows(page, "level")["Level not yet set"] == ["1"]
    assert _rows(page, "timeliness")["Referral to first Level 2 or 3 meeting within 20 working days"] == [
        "1", "1", "100"]
    assert _rows(page, "first_meeting")["Median working days"] == ["14"]
    assert _rows(page, "attendance") == {"Health": ["1", "0", "0", "1", "100"], "Housing": ["1", "0", "1", "0", "0"],
                                         "Police": ["1", "1", "0", "0", "100"]}
    links = page.xpath("//ul[@id='downloads']//a/@href")
    assert len(links) == 3
    response = client.get(links[0])
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    start = lines.index(["SMB performance pack: attendance at Level 2 and 3 meetings by agency"])
    assert lines[start + 2] == ["Health", "1", "0", "0", "1", "100"]
    bad = get_page(client, "/statistics/annual?year_ending=2026-02-30", status=422)
    assert bad.xpath("//div[contains(@class, 'govuk-error-summary')]")
    chair = app.test_client()
    sign_in(chair, "chair")
    assert not get_page(chair, "/statistics/annual").xpath("//ul[@id='downloads']")
    assert chair.get("/statistics/annual/download?format=csv").status_code == 403


def test_trends_by_month_as_charts_with_tables(app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    cases = _build(users, clock)
    _held_meeting(users, cases["a"].id)
    _at(clock, "2026-11-25T10:00:00")
    sign_in(client, "coordinator")
    page = get_page(client, "/statistics/trends?from=2026-01&to=2026-04")
    first = _rows(page, "first_meeting")
    assert first["Feb 2026"] == ["1", "14", "1"] and first["Jan 2026"] == ["0", "\N{EN DASH}", "0"]
    attendance = _rows(page, "attendance")
    assert attendance["Feb 2026"] == ["100", "0", "100", "67"]  # Health, Housing, Police, all agencies
    overdue = _rows(page, "overdue")
    assert list(overdue) == ["Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026"]
    assert overdue == {label: [str(_overdue_at(day))] for label, day in (
        ("Jan 2026", date(2026, 1, 31)), ("Feb 2026", date(2026, 2, 28)), ("Mar 2026", date(2026, 3, 31)),
        ("Apr 2026", date(2026, 4, 30)))}
    assert overdue["Jan 2026"] == ["0"] and overdue["Feb 2026"] != ["0"]  # A and B's steps after screening
    chart = page.xpath("//svg[@id='attendance-chart']")[0]
    assert chart.get("role") == "img"
    assert "Feb 2026: 67" in chart.xpath("./desc")[0].text_content()
    assert len(chart.xpath("./rect")) == 4
    bad = get_page(client, "/statistics/trends?from=2026-13", status=422)
    assert bad.xpath("//a[@href='#field-from']")


def test_trends_refuse_months_outside_the_years_dates_are_read_in(app: Flask, client: FlaskClient) -> None:
    """Found in review: the year 1 gave a 200 page of empty months; dates are read from 1900 (services.dates)."""
    seeded()
    sign_in(client, "manager")
    for query in ("from=0001-01&to=0001-03", "from=1899-12&to=1900-02"):
        bad = get_page(client, f"/statistics/trends?{query}", status=422)
        assert bad.xpath("//a[@href='#field-from']"), query
        assert "1900" in bad.xpath("//div[contains(@class, 'govuk-error-summary')]")[0].text_content()
    get_page(client, "/statistics/trends?from=1900-01&to=1900-03")
