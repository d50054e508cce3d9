"""My tasks (issue 12): the show filter, claiming from the list, counts in the navigation, paging, the meeting a step
is for, and ``?case=`` from a case page; through HTTP on the real engine and database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from services import meetings
from services.db import db
from services.models import AccessLog, MappaCase, User
from services.tasks import claim
from tests.conftest import TEST_NOW
from tests.factories import create_case, make_user, ready_task, seeded, sign_in
from tests.meetings.test_meeting_cycle import level2_case
from tests.pages import get_page
from tests.web.test_agency_roles import inbox_rows
from tests.web.test_case_actions_ui import flashed, post

CHECK = "Check referral is complete"
QUOTED = f"\u2018{CHECK}\u2019"  # as the page quotes a step's name


def _cases(users: dict[str, User], count: int) -> list[MappaCase]:
    return [create_case(users["probation"], offender_name=f"Person {n:02d}") for n in range(count)]


def _world(app: Flask) -> tuple[dict[str, User], list[MappaCase]]:
    """Three referrals for Northshire's coordinators: one claimed by Cora, one by Colin, one unclaimed."""
    users = seeded()
    users["coordinator2"] = make_user("coordinator2", {"coordinator"}, users["coordinator"].area,
                                      agency="MAPPA Unit", display_name="Colin Second")
    cases = _cases(users, 3)
    claim(users["coordinator"], ready_task(cases[0].id, "check_referral").id)
    claim(users["coordinator2"], ready_task(cases[1].id, "check_referral").id)
    db.session.commit()
    return users, cases


def _references(page: lxml.html.HtmlElement) -> list[str]:
    """Each row's case reference (its link in the Case column)."""
    return [a.text_content() for a in page.xpath("//table[@id='inbox']/tbody/tr/td[2]/a")]


def test_show_filter_mine_unclaimed_and_all(app: Flask, client: FlaskClient) -> None:
    _users, cases = _world(app)
    sign_in(client, "coordinator")
    everything = get_page(client, "/tasks")
    assert sorted(_references(everything)) == sorted([cases[0].reference, cases[2].reference])  # not Colin's
    assert _references(get_page(client, "/tasks?show=mine")) == [cases[0].reference]
    assert _references(get_page(client, "/tasks?show=unclaimed")) == [cases[2].reference]
    assert _references(get_page(client, "/tasks?show=anything")) == _references(everything)  # not offered: all
    mine = get_page(client, "/tasks?show=mine")
    assert mine.xpath("//input[@name='show'][@checked]/@value") == ["mine"]
    assert [r["Held by"] for r in inbox_rows(mine)] == ["You"]
    assert "Filter tasks (filters applied)" in mine.get_element_by_id("inbox-filter").text_content()
    sign_in(client, "coordinator2")
    assert get_page(client, "/tasks?show=mine&case=" + str(cases[0].id)).get_element_by_id("inbox-empty") is not None


def _claim_form(page: lxml.html.HtmlElement, reference: str) -> lxml.html.HtmlElement:
    [row] = [tr for tr in page.get_element_by_id("inbox").xpath(".//tbody/tr") if reference in tr.text_content()]
    [form] = row.xpath(".//form")
    return form


def test_claim_from_the_list_returns_to_the_list_with_its_filters(app: Flask, client: FlaskClient) -> None:
    users, cases = _world(app)
    sign_in(client, "coordinator")
    listed = "/tasks?sort=-due&show=all&due=later"
    page = get_page(client, listed)
    held = dict(zip(_references(page), (r["Held by"] for r in inbox_rows(page)), strict=True))
    assert (held[cases[0].reference], held[cases[2].reference]) == ("You", f"Unclaimed Claim {QUOTED} for "
                                                                           f"{cases[2].reference}")
    form = _claim_form(page, cases[2].reference)
    assert form.xpath(".//button")[0].text_content() == f"Claim {QUOTED} for {cases[2].reference}"
    response = post(client, form.get("action"), {"from": "list"}, form_path=listed)
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert (target.netloc, target.path) in (("", "/tasks"), ("localhost", "/tasks"))
    assert parse_qs(target.query) == {"sort": ["-due"], "due": ["later"]}  # the filters kept, the default left out
    assert flashed(client, response) == f"Success You have claimed {QUOTED} for {cases[2].reference}"
    after = get_page(client, listed)
    assert dict(zip(_references(after), (r["Held by"] for r in inbox_rows(after)), strict=True))[
        cases[2].reference] == "You"
    assert ready_task(cases[2].id, "check_referral").assignee_id == users["coordinator"].id


def test_claim_from_the_list_never_redirects_elsewhere(app: Flask, client: FlaskClient) -> None:
    _users, cases = _world(app)
    sign_in(client, "coordinator")
    task = ready_task(cases[2].id, "check_referral")
    response = post(client, f"/tasks/{task.id}/claim?show=https://evil.example/&next=https://evil.example/",
                    {"from": "list", "next": "https://evil.example/"}, form_path="/tasks")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/tasks"
    assert "evil" not in response.headers["Location"]


def test_claim_from_the_task_page_still_goes_to_the_task(app: Flask, client: FlaskClient) -> None:
    _users, cases = _world(app)
    sign_in(client, "coordinator")
    task = ready_task(cases[2].id, "check_referral")
    response = post(client, f"/tasks/{task.id}/claim", {}, form_path=f"/tasks/{task.id}")
    assert urlsplit(response.headers["Location"]).path == f"/tasks/{task.id}"


def test_a_second_person_claiming_from_the_list_is_told_who_has_it(app: Flask, client: FlaskClient) -> None:
    _users, cases = _world(app)
    sign_in(client, "coordinator")
    page = get_page(client, "/tasks?show=unclaimed")
    action = _claim_form(page, cases[2].reference).get("action")
    other = app.test_client()
    sign_in(other, "coordinator2")
    assert post(other, action, {"from": "list"}, form_path="/tasks").status_code == 302  # Colin is first
    response = post(client, action, {"from": "list"}, form_path="/tasks")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).query == "show=unclaimed"
    assert flashed(client, response) == (f"Important You could not claim {QUOTED} for {cases[2].reference}: "
                                         "This task is claimed by Colin Second")


def test_paging_25_a_page_keeps_the_filters_and_logs_only_the_cases_shown(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    cases = _cases(users, 27)
    sign_in(client, "coordinator")
    first = get_page(client, "/tasks?sort=-due")
    assert len(inbox_rows(first)) == 25
    caption = " ".join(first.xpath("string(//table[@id='inbox']/caption)").split())
    assert caption == "27 tasks, page 1 of 2"
    [next_link] = first.xpath("//nav[contains(@class, 'govuk-pagination')]//a[@rel='next']/@href")
    assert parse_qs(urlsplit(next_link).query) == {"sort": ["-due"], "page": ["2"]}

    second = get_page(client, next_link)
    assert " ".join(second.xpath("string(//table[@id='inbox']/caption)").split()) == "27 tasks, page 2 of 2"
    shown = _references(second)
    assert len(shown) == 2
    assert set(shown).isdisjoint(_references(first))
    logged = db.session.scalars(select(AccessLog).where(AccessLog.event == "inbox_viewed")
                                .order_by(AccessLog.id.desc()).limit(2)).all()
    assert {row.case_id for row in logged} == {c.id for c in cases if c.reference in shown}
    assert _references(get_page(client, "/tasks?sort=-due&page=99")) == shown  # beyond the end: the last page


def test_navigation_counts_my_open_and_overdue_tasks_with_one_query(app: Flask, client: FlaskClient,
                                                                    clock: Any) -> None:
    users, _cases = _world(app)
    clock.set(TEST_NOW + timedelta(days=14))  # every check is overdue now
    create_case(users["probation"], offender_name="Not Yet Late")  # due in five working days from now
    db.session.commit()
    sign_in(client, "coordinator")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FILTER (WHERE human_task.due_date <" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = get_page(client, "/cases")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    link = page.xpath("//nav[@aria-label='Primary navigation']//a[starts-with(normalize-space(), 'My tasks')]")[0]
    assert " ".join(link.text_content().split()) == "My tasks 3 open, 2 overdue"
    assert len(statements) == 1  # the template asks three times; counted once for the request


def test_no_count_when_there_is_nothing_to_do(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "coordinator")
    page = get_page(client, "/tasks")
    assert page.get_element_by_id("nav-tasks", None) is None


def test_the_same_step_for_two_meetings_says_which_meeting(app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    case = level2_case(users, "Adam Ashby", "2026-12-14")
    admin = users["administrator"]
    first = TEST_NOW.replace(day=3, month=12)
    [early] = meetings.schedule(admin, level=2, starts_at=first, chair="chair", venue="Northshire HQ")
    assert meetings.build_agenda(admin, early.id)
    db.session.commit()
    clock.set(first + timedelta(days=1))  # the first meeting's day passed without it being held
    [later] = meetings.schedule(admin, level=2, starts_at=first + timedelta(days=7), chair="chair", venue="HQ")
    assert meetings.build_agenda(admin, later.id)
    db.session.commit()

    sign_in(client, "police")
    rows = [r for r in inbox_rows(get_page(client, f"/tasks?case={case.id}")) if r["Task"].startswith("Research")]
    assert sorted(r["Task"] for r in rows) == sorted(
        f"Research agenda item (police) for the {meetings.title(m)}" for m in (early, later))
    assert " ".join(get_page(client, f"/tasks?case={case.id}").get_element_by_id("inbox-case").text_content()
                    .split()) == f"Showing tasks for {case.reference} (Adam Ashby). Show tasks for all cases"


def test_a_case_link_that_matches_nothing_still_reads_in_words(app: Flask, client: FlaskClient) -> None:
    _users, cases = _world(app)
    sign_in(client, "coordinator")
    page = get_page(client, f"/tasks?case={cases[1].id}")  # Colin holds its only task
    assert page.get_element_by_id("inbox-empty").text_content() == "You have no tasks matching these filters."
    assert "Case ID" not in page.text_content()
    get_page(client, "/tasks?case=abc", 400)
