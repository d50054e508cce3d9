"""Bottlenecks on a model's diagram: waiting and overdue steps now, median and 90th-percentile time spent over a
chosen period, checked against figures worked out by hand from steps created and completed at known instants."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.models import AccessLog, User
from services.studio import drafts
from services.tasks import complete
from tests.factories import create_case, make_user, ready_task, seeded, sign_in
from tests.pages import get_page

PAGE = "/statistics/bottlenecks/mappa_referral"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def check_referral_at(clock: Any, coordinator: User, case_id: int, instant: str) -> None:
    clock.set(at(instant))
    complete(coordinator, ready_task(case_id, "check_referral").id, {"referral_complete": "yes"})
    db.session.commit()


def build_referrals(clock: Any) -> dict[str, User]:
    """Five referrals in Northshire and one in Southmoor; each "Check referral is complete" is due 5 working days
    after it starts, each "Screening decision" 10 working days after the check.

    - E starts 3 Aug 09:00 and is checked 12 hours later (only in a period reaching back to August);
    - A, B, C, D start Mon 2 Nov 09:00; A is checked after 24 hours, B after 48, C after 18 days (20 Nov);
    - D is never checked: waiting and overdue (due 9 Nov);
    - screening waits for A (due 17 Nov: overdue), B (18 Nov: overdue), C (4 Dec: not yet), E (August: overdue).
    """
    users = seeded()
    probation, coordinator = users["probation"], users["coordinator"]
    clock.set(at("2026-08-03T09:00"))
    early = create_case(probation, offender_name="Edward Early")
    check_referral_at(clock, coordinator, early.id, "2026-08-03T21:00")
    clock.set(at("2026-11-02T09:00"))
    a, b, c, _d = (create_case(probation, offender_name=name) for name in ("Alan A", "Bob B", "Carl C", "Dan D"))
    check_referral_at(clock, coordinator, a.id, "2026-11-03T09:00")
    check_referral_at(clock, coordinator, b.id, "2026-11-04T09:00")
    check_referral_at(clock, coordinator, c.id, "2026-11-20T09:00")
    south_referrer = make_user("south_probation", {"offender_manager", "referrer"},
                               users["south_coordinator"].area)
    clock.set(at("2026-11-02T09:00"))
    create_case(south_referrer, offender_name="Sam South")
    clock.set(at("2026-11-25T10:00"))
    db.session.commit()
    return users


def figures(page: lxml.html.HtmlElement) -> dict[str, list[str]]:
    rows = page.xpath("//table[@id='bottlenecks']/tbody/tr")
    return {" ".join(row.xpath("./th")[0].text_content().split()): [" ".join(td.text_content().split())
                                                                     for td in row.xpath("./td")] for row in rows}


def test_waiting_overdue_and_time_spent_per_step_over_the_default_period(client: FlaskClient, clock: Any) -> None:
    build_referrals(clock)
    sign_in(client, "manager")
    page = get_page(client, PAGE)
    # waiting, overdue, completed in the period (the last 90 days: 28 Aug to 25 Nov), median, 90th percentile
    assert figures(page) == {
        # 24 h, 48 h, 432 h: median 48 h; 90th: 48 + 0.8 * (432 - 48) = 355.2 h
        "Check referral is complete": ["1", "1", "3", "2.0 days", "14.8 days"],
        "Amend referral": ["0", "0", "0", "None completed", "None completed"],
        "Screening decision": ["4", "3", "0", "None completed", "None completed"],
        "Create or link ViSOR record": ["0", "0", "0", "None completed", "None completed"],
    }
    caption = page.xpath("//table[@id='bottlenecks']/caption")[0].text_content()
    assert "from 28 August 2026 to 25 November 2026" in caption
    data = page.get_element_by_id("bottleneck-data").text_content()
    assert '"id": "check_referral", "median": "2.0 days", "overdue": 1, "p90": "14.8 days", "waiting": 1' in data
    for name in ("Alan A", "Dan D", "Edward Early"):  # aggregates name no offender
        assert name not in client.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize(("start", "end", "expected"), [
    # 12 h, 24 h, 48 h, 432 h: median 36 h; 90th: 48 + 0.7 * 384 = 316.8 h
    (("1", "8", "2026"), ("25", "11", "2026"), ["1", "1", "4", "1.5 days", "13.2 days"]),
    # 24 h, 48 h: median 36 h; 90th: 24 + 0.9 * 24 = 45.6 h (C, checked on 20 Nov, is after the period)
    (("1", "11", "2026"), ("10", "11", "2026"), ["1", "1", "2", "1.5 days", "1.9 days"]),
    # nothing completed in October; waiting and overdue are counted now, whatever the period
    (("1", "10", "2026"), ("31", "10", "2026"), ["1", "1", "0", "None completed", "None completed"]),
])
def test_time_spent_over_a_chosen_period(client: FlaskClient, clock: Any, start: tuple[str, ...],
                                         end: tuple[str, ...], expected: list[str]) -> None:
    build_referrals(clock)
    sign_in(client, "coordinator")
    query = "&".join(f"{prefix}-{part}={value}" for prefix, parts in (("from", start), ("to", end))
                     for part, value in zip(("day", "month", "year"), parts, strict=True))
    page = get_page(client, f"{PAGE}?{query}")
    assert figures(page)["Check referral is complete"] == expected


def test_another_area_sees_only_its_own_steps(client: FlaskClient, clock: Any) -> None:
    build_referrals(clock)
    sign_in(client, "south_coordinator")
    assert figures(get_page(client, PAGE))["Check referral is complete"] == ["1", "1", "0", "None completed",
                                                                             "None completed"]


def test_the_statistics_page_links_each_published_model_and_the_view_is_logged(app: Flask, client: FlaskClient,
                                                                              clock: Any) -> None:
    area_id = build_referrals(clock)["manager"].area_id
    sign_in(client, "manager")
    links = get_page(client, "/statistics").xpath("//ul[@id='bottleneck-models']//a")
    assert {a.text_content(): a.get("href") for a in links}["Referral and screening"] == PAGE
    get_page(client, PAGE)
    logged = db.session.scalars(select(AccessLog.detail).where(AccessLog.event == "bottlenecks_viewed")).all()
    assert logged == [f"area {area_id}, model mappa_referral, 2026-08-28 to 2026-11-25"]


def test_bad_periods_show_an_error_summary_and_unknown_models_are_not_found(client: FlaskClient) -> None:
    seeded()
    sign_in(client, "manager")
    page = get_page(client, f"{PAGE}?from-day=31&from-month=2&from-year=2026", status=400)
    summary = page.xpath("//div[contains(@class, 'govuk-error-summary')]//a")
    assert [(a.get("href"), a.text_content()) for a in summary] == [
        ("#field-from", "Enter the start of the period as a real date between 1900 and 2199")]
    assert page.xpath("//table[@id='bottlenecks']") == []
    backwards = "from-day=10&from-month=11&from-year=2026&to-day=1&to-month=11&to-year=2026"
    page = get_page(client, f"{PAGE}?{backwards}", status=400)
    assert "The end of the period must be the same as or after its start" in page.text_content()
    assert client.get("/statistics/bottlenecks/no_such_model").status_code == 404
    probation = client.application.test_client()
    sign_in(probation, "probation")
    assert probation.get(PAGE).status_code == 403


def test_steps_a_newer_version_dropped_are_still_counted_under_their_old_name(client: FlaskClient,
                                                                              clock: Any) -> None:
    users = build_referrals(clock)
    files = drafts.version_files("mappa_referral", 1)
    renamed = files["referral.bpmn"].replace(b'"check_referral"', b'"check_referral_v2"')
    files["referral.bpmn"] = renamed.replace(b">check_referral<", b">check_referral_v2<")  # and in its lane
    draft = drafts.create_draft(users["owner"], "mappa_referral", files, 1)
    drafts.publish_draft(users["owner"], draft.id)
    db.session.commit()
    sign_in(client, "manager")
    page = get_page(client, PAGE)
    rows = figures(page)
    assert rows["Check referral is complete (not in version 2)"] == ["1", "1", "3", "2.0 days", "14.8 days"]
    assert rows["Check referral is complete"] == ["0", "0", "0", "None completed", "None completed"]
    assert page.xpath("//table[@id='bottlenecks']/tbody/tr/@data-step")[:2] == ["check_referral_v2", "amend_referral"]
