"""The overdue dashboard on the statistics page: every figure against the known world, every count a link to the
area work list with its filter, and reassigning from the list."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import lxml.html
from flask import Flask
from flask.testing import FlaskClient

from services import meetings
from services.db import db
from services.tasks import complete
from tests.factories import considered_disclosure, csrf_token, hold, ready_task, seeded, sign_in
from tests.managers.world import CHECK, VISOR, build
from tests.meetings.test_meeting_cycle import MEETING_AT, level2_case, minutes_text
from tests.pages import check_page, get_page

REF = "NO-2026-0000"


def _table(page: lxml.html.HtmlElement, table_id: str) -> list[list[str]]:
    return [[" ".join(" ".join(cell.itertext()).split()) for cell in row.xpath("./td")]
            for row in page.xpath(f"//table[@id='{table_id}']/tbody/tr")]


def _links(page: lxml.html.HtmlElement, table_id: str) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(a.get("href")).query) for a in page.xpath(f"//table[@id='{table_id}']/tbody//a")]


def _work_list(client: FlaskClient, href: str) -> list[list[str]]:
    page = get_page(client, href)
    return [[row[0].split()[0], row[1], row[3].split(" for ")[0], row[5]] for row in _table(page, "work-list")]


def _no_meeting_booked(client: FlaskClient, page: lxml.html.HtmlElement) -> tuple[str, list[str]]:
    """The dashboard's count of cases with no meeting booked, and the references its link lists."""
    [link] = page.xpath("//p[@id='no-meeting-booked']/a")
    listed = get_page(client, link.get("href"))
    assert listed.get_element_by_id("case-filter") is not None
    return link.text_content().strip(), [a.text_content() for a in listed.xpath("//tbody//td[1]/a")]


def test_every_dashboard_figure(client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    build(clock)
    sign_in(client, "manager")
    page = get_page(client, "/statistics")
    assert " ".join(page.get_element_by_id("overdue-headline").text_content().split()).startswith(
        "4 overdue and 1 due in the next few days")
    assert _table(page, "ageing") == [["1-7 days", "1"], ["8-14 days", "1"], ["15-28 days", "2"],
                                      ["29+ days", "0"]]
    assert _table(page, "overdue-by-step") == [[CHECK, "4", "3", "1"], [VISOR, "1", "1", "0"]]
    assert _table(page, "overdue-by-role") == [["MAPPA Coordinator", "4", "3", "1"],
                                               ["Police Public Protection", "1", "1", "0"]]
    assert _table(page, "overdue-by-agency") == [["MAPPA Unit", "4", "3", "1"], ["Police", "1", "1", "0"]]
    assert _table(page, "overdue-by-person") == [["Unclaimed", "4", "3", "1"], ["Cora Ordinator", "1", "1", "0"]]
    assert _table(page, "review-overdue") == [[f"{REF}2", "2", "20 November 2026"]]
    assert _no_meeting_booked(client, page) == ("1", [f"{REF}2"])
    assert _table(page, "late-minutes") == []
    assert {"step": [CHECK], "overdue": ["true"]} in _links(page, "overdue-by-step")
    assert {"assignee": ["unclaimed"], "due_soon": ["true"]} in _links(page, "overdue-by-person")


def test_each_count_leads_to_the_tasks_it_counts(client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    build(clock)
    sign_in(client, "manager")
    page = get_page(client, "/statistics")
    by_step = page.xpath("//table[@id='overdue-by-step']/tbody/tr[1]/td[3]/a")[0]
    assert by_step.text_content() == "3"
    assert _work_list(client, by_step.get("href")) == [
        [f"{REF}1", CHECK, "Unclaimed", "16"], [f"{REF}3", CHECK, "Unclaimed", "9"],
        [f"{REF}4", CHECK, "Cora Ordinator", "2"]]
    band = page.xpath("//table[@id='ageing']/tbody/tr[3]/td[2]/a")[0]
    assert [row[0] for row in _work_list(client, band.get("href"))] == [f"{REF}2", f"{REF}1"]
    person = page.xpath("//table[@id='overdue-by-person']/tbody/tr[2]/td[2]/a")[0]
    listed = get_page(client, person.get("href"))
    [row] = _table(listed, "work-list")
    assert row[3] == "Cora Ordinator for 5 days"
    counts = [" ".join(li.text_content().split()) for li in listed.xpath("//ul[@id='counts']/li")]
    assert counts == ["1 open", "1 overdue", "0 due soon", "0 unclaimed"]


def test_reassign_from_the_list_keeps_the_filter(app: Flask, client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    world = build(clock)
    sign_in(client, "manager")
    csrf = csrf_token(client, "/area-tasks?overdue=true")
    task = world.tasks[f"{REF}3"]
    response = client.post(f"/area-tasks/{task}/reassign?overdue=true", data={"csrf_token": csrf,
                                                                               "assignee": "coordinator"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/area-tasks?overdue=true"
    assert [row[2] for row in _work_list(client, "/area-tasks?assignee=coordinator")] == [
        "Cora Ordinator", "Cora Ordinator"]
    assert _table(get_page(client, f"/area-tasks?case={REF}3"), "work-list")[0][3] == "Cora Ordinator for 0 days"
    refused = client.post(f"/area-tasks/{task}/reassign", data={"csrf_token": csrf, "assignee": "police"})
    assert refused.status_code == 422
    summary = check_page(refused).xpath("//div[@class='govuk-error-summary']//a")[0]
    assert summary.get("href") == f"#field-assignee-{task}"
    assert summary.text_content() == "Choose someone in this area who works as MAPPA Coordinator"


def test_bad_filters_show_an_error_summary(client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    build(clock)
    sign_in(client, "coordinator")
    page = get_page(client, "/area-tasks?level=7&band=old", status=422)
    assert [a.text_content() for a in page.xpath("//div[@class='govuk-error-summary']//a")] == [
        "Level must be 1, 2 or 3", "Days overdue must be one of 1-7, 8-14, 15-28, 29+"]
    sign_in(client, "chair")
    assert client.get("/area-tasks").status_code == 403
    chair_stats = get_page(client, "/statistics")  # aggregates for the chair, without links to the list
    assert chair_stats.xpath("//table[@id='overdue-by-step']//a") == []


def test_meetings_whose_minutes_are_late(app: Flask, client: FlaskClient, clock) -> None:  # type: ignore[no-untyped-def]
    users = seeded()
    admin = users["administrator"]
    cases = [level2_case(users, name, "2026-12-14") for name in ("Adam Ashby", "Brian Brook")]
    [meeting] = meetings.schedule(admin, level=2, starts_at=MEETING_AT, chair="chair", venue="HQ")
    meetings.build_agenda(admin, meeting.id)
    hold(meeting.id)
    for case in cases:
        meetings.save_minutes(admin, meeting.id, case.id, minutes_text("level_2", "2027-02-01"), None)
        meetings.submit_for_approval(admin, meeting.id, case.id)
        considered_disclosure(case.id)
        complete(users["chair"], ready_task(case.id, "approve_minutes").id, {"approval": "approve"})
    db.session.commit()
    clock.set(datetime(2026, 12, 29, 12, tzinfo=UTC))  # distribution was due on 24 December
    sign_in(client, "coordinator")
    page = get_page(client, "/statistics")
    assert _table(page, "late-minutes") == [["Level 2 meeting, 10 December 2026", "2", "24 December 2026"]]
    assert _no_meeting_booked(client, page) == ("2", [c.reference for c in cases])
