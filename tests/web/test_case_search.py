"""Finding a case on /cases: search by name or any identifier, within the case list's scope, logged; the list
flags overdue reviews and hides the review dates of closed cases."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services import demo
from services.db import db
from services.models import AccessLog, MappaCase, User
from tests.conftest import TEST_NOW
from tests.factories import create_case, seeded, sign_in
from tests.meetings.test_meeting_cycle import level2_case
from tests.pages import get_page
from tests.web.test_agency_roles import case_links


def quoted(text: str) -> str:
    """As the page quotes a search: in curly single quotes."""
    return f"\u2018{text}\u2019"


IDENTIFIERS = {"crn": "X123456", "pnc_id": "2019/0012345A", "visor_reference": "VS12345"}


def search(client: FlaskClient, q: str, status: int = 200) -> lxml.html.HtmlElement:
    return get_page(client, f"/cases?q={quote(q)}", status)


def text_of(page: lxml.html.HtmlElement, element_id: str) -> str:
    return " ".join(page.get_element_by_id(element_id).text_content().split())


@pytest.fixture
def users(app: Flask) -> dict[str, User]:
    return seeded()


@pytest.fixture
def smith(users: dict[str, User]) -> MappaCase:
    create_case(users["probation"], offender_name="Mary Jones", crn="X654321", pnc_id="2020/0000077B",
                visor_reference="VS54321")
    return create_case(users["probation"], offender_name="John Smith", **IDENTIFIERS)


SEARCHES = ["smith", "SMITH", "  john   SMI ", "Smith John", "x123456", " X123456 ", "X 123456", "2019/0012345A",
            "2019/0012345a", "19/12345A", "2019/12345A", "20190012345A", "vs12345"]


def test_search_finds_the_case_by_name_or_any_identifier(client: FlaskClient, smith: MappaCase) -> None:
    sign_in(client, "coordinator")
    for q in SEARCHES:
        page = search(client, q)
        assert case_links(page) == [smith.id], q
        assert text_of(page, "search-results").startswith(f"1 case matches {quoted(' '.join(q.split()))}")
        assert page.get_element_by_id("field-q").get("value") == q.strip()  # the search stays in the box


def test_search_by_case_reference_whole_or_part(client: FlaskClient, smith: MappaCase) -> None:
    sign_in(client, "coordinator")
    for q in (smith.reference, smith.reference.lower(), smith.reference[-5:]):
        assert case_links(search(client, q)) == [smith.id], q


def test_partial_name_counts_every_match_and_an_identifier_matches_only_whole(
        client: FlaskClient, users: dict[str, User], smith: MappaCase) -> None:
    other = create_case(users["police"], offender_name="Anna Smithson")
    sign_in(client, "coordinator")
    page = search(client, "smith")
    assert case_links(page) == sorted([smith.id, other.id])
    assert text_of(page, "search-results").startswith(f"2 cases match {quoted('smith')}")
    assert case_links(search(client, "X1234")) == []  # part of a CRN is not a match
    assert case_links(search(client, "50%")) == []  # LIKE wildcards are searched as text


def test_no_match_says_so_with_advice_and_a_way_back(client: FlaskClient, smith: MappaCase) -> None:
    sign_in(client, "coordinator")
    page = search(client, "Nobody Here")
    assert case_links(page) == []
    results = text_of(page, "search-results")
    assert results.startswith(f"No cases match {quoted('Nobody Here')}")
    assert "entering the whole CRN, PNC ID or ViSOR reference" in results
    assert page.get_element_by_id("clear-search").get("href") == "/cases"
    assert page.xpath("//table") == []
    assert smith.id in case_links(get_page(client, "/cases"))


def test_search_combines_with_the_status_filter(client: FlaskClient, smith: MappaCase) -> None:
    sign_in(client, "coordinator")
    assert case_links(get_page(client, "/cases?q=smith&status=referred")) == [smith.id]
    page = get_page(client, "/cases?q=smith&status=exited")
    assert case_links(page) == []
    assert "searching every status" in text_of(page, "search-results")
    assert page.get_element_by_id("clear-search").get("href") == "/cases?status=exited"
    assert page.xpath("//form[.//select[@name='status']]//input[@name='q']/@value") == ["smith"]


def test_empty_search_lists_every_case(client: FlaskClient, smith: MappaCase) -> None:
    sign_in(client, "coordinator")
    page = get_page(client, "/cases?q=+++")
    assert len(case_links(page)) == 2
    assert page.xpath("//*[@id='search-results']") == []


def test_another_areas_case_is_never_found(client: FlaskClient, users: dict[str, User], smith: MappaCase) -> None:
    south = create_case(users["south_coordinator"], offender_name="Sean Southern", crn="X999999")
    sign_in(client, "coordinator")
    for q in ("Southern", "X999999", south.reference):
        assert case_links(search(client, q)) == [], q
    sign_in(client, "south_coordinator")
    assert case_links(search(client, "x999999")) == [south.id]
    assert case_links(search(client, "X123456")) == []


def test_a_case_the_list_hides_from_a_partner_agency_is_not_found(
        client: FlaskClient, users: dict[str, User]) -> None:
    yot_led = create_case(users["probation"], lead_agency="Youth Offending Team", offender_name="Young Person",
                          crn="X111111")
    hidden = create_case(users["probation"], offender_name="Adult Person", crn="X222222")
    sign_in(client, "yot")
    assert case_links(get_page(client, "/cases")) == [yot_led.id]
    assert case_links(search(client, "Person")) == [yot_led.id]
    assert case_links(search(client, "X222222")) == []
    assert case_links(search(client, hidden.reference)) == []
    sign_in(client, "probation")
    assert case_links(search(client, "X222222")) == [hidden.id]


def test_a_search_is_logged_with_its_count_never_its_text(
        client: FlaskClient, users: dict[str, User], smith: MappaCase) -> None:
    sign_in(client, "coordinator")
    search(client, "John Smith")
    search(client, "Nobody Here")
    rows = db.session.execute(select(AccessLog.case_id, AccessLog.detail).where(
        AccessLog.user_id == users["coordinator"].id, AccessLog.event == "cases_searched")
        .order_by(AccessLog.id)).all()
    assert [tuple(r) for r in rows] == [(smith.id, "status=any; search matched 1"),
                                        (None, "status=any; search matched 0")]
    details = db.session.scalars(select(AccessLog.detail).where(AccessLog.detail.is_not(None))).all()
    assert not [d for d in details if "smith" in d.lower() or "nobody" in d.lower()]


def test_an_overlong_search_is_refused_with_an_error_summary(client: FlaskClient, smith: MappaCase) -> None:
    sign_in(client, "coordinator")
    page = search(client, "x" * 101)
    summary = page.xpath("//div[contains(@class, 'govuk-error-summary')]//a")
    assert [(a.get("href"), a.text_content()) for a in summary] == [
        ("#field-q", "Search must be 100 characters or fewer")]
    assert "govuk-input--error" in page.get_element_by_id("field-q").get("class")
    assert page.get_element_by_id("field-q-error").text_content().strip().endswith("100 characters or fewer")
    assert page.xpath("//table") == []
    assert case_links(search(client, "x" * 100)) == []  # 100 is fine


def test_the_navigation_search_goes_to_the_case_list(client: FlaskClient, smith: MappaCase) -> None:
    sign_in(client, "coordinator")
    tasks = get_page(client, "/tasks")
    [form] = tasks.xpath("//form[.//input[@id='nav-case-search']]")
    assert (form.get("action"), form.get("method"), tasks.get_element_by_id("nav-case-search").get("name")) == (
        "/cases", "get", "q")
    assert tasks.xpath("//label[@for='nav-case-search']")  # labelled, if only for screen readers
    assert get_page(client, "/cases").xpath("//*[@id='nav-case-search']") == []  # the list has its own
    assert get_page(client, f"/cases/{smith.id}").xpath("//*[@id='nav-case-search']")  # a case page has it
    sign_in(client, "owner")  # may not list cases: no search
    assert get_page(client, "/account/tokens").xpath("//*[@id='nav-case-search']") == []


def review_cell(page: lxml.html.HtmlElement, case_id: int) -> str:
    [row] = page.xpath(f"//table[@id='case-list']//tr[.//a[@href='/cases/{case_id}']]")
    return " ".join(row.xpath("td")[-1].text_content().split())


def test_overdue_reviews_are_flagged_by_the_clock(client: FlaskClient, users: dict[str, User], clock) -> None:
    due = level2_case(users, "Dean Dunn", "2026-12-14")
    later = level2_case(users, "Eric Ellis", "2026-12-22")
    assert (due.status, due.next_review_due.isoformat()) == ("level 2", "2026-12-14")
    sign_in(client, "coordinator")
    assert review_cell(get_page(client, "/cases"), due.id) == "14 December 2026"
    clock.set(TEST_NOW.replace(month=12, day=14))
    sign_in(client, "coordinator")  # a session does not outlast weeks
    assert review_cell(get_page(client, "/cases"), due.id) == "14 December 2026"  # due today: not overdue yet
    clock.set(TEST_NOW.replace(month=12, day=15))
    sign_in(client, "coordinator")
    page = get_page(client, "/cases")
    assert review_cell(page, due.id) == "14 December 2026 Review overdue"
    assert review_cell(page, later.id) == "22 December 2026"
    assert page.xpath("//strong[contains(@class, 'govuk-tag--red')]/text()") == ["Review overdue"]


def test_closed_cases_show_their_exit_not_a_review_date(client: FlaskClient, users: dict[str, User], clock) -> None:
    demo.seed(case_count=10)  # the demo's stages: ... exited (index 8), not eligible (index 9)
    db.session.commit()
    exited = db.session.scalars(select(MappaCase).where(MappaCase.status == "exited")).one()
    ineligible = db.session.scalars(select(MappaCase).where(MappaCase.status == "not eligible")).one()
    assert exited.next_review_due is not None and exited.exit_date == TEST_NOW.date()  # a date there is to hide
    clock.set(TEST_NOW + timedelta(days=400))  # long after every review date
    sign_in(client, "coordinator")
    page = get_page(client, "/cases")
    assert review_cell(page, exited.id) == "Exited 25 November 2026"
    assert review_cell(page, ineligible.id) == "Closed 25 November 2026"  # never MAPPA managed: not "exited"
    assert all("Review overdue" not in review_cell(page, c.id) for c in (exited, ineligible))
    assert "Review overdue" in text_of(page, "case-list")  # the open cases' reviews are overdue by then
