"""Lay advisers (CJA 2003 s.326, MAPPA.md section 1) sit on the SMB but have no role in individual cases: they read
the SMB pack (statistics, audit summaries, the business plan) and nothing that names a case, a meeting, a person or
a task. Every case, meeting and task route, page and API, refuses them (the access matrix covers every route)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services import meetings
from services.db import db
from services.models import AccessLog, HumanTask
from tests.api.conftest import Api, fields
from tests.factories import seeded, sign_in
from tests.meetings.test_meeting_cycle import MEETING_AT, level2_case
from tests.pages import get_page
from tests.web.test_case_actions_ui import post

CASE_DATA_ARGS = ("case_id", "meeting_id", "task_id", "instance_id", "recording_id")
CASE_DATA_PREFIXES = ("/cases", "/meetings", "/tasks", "/api/v1/cases", "/api/v1/meetings", "/api/v1/tasks",
                      "/api/v1/instances", "/statistics", "/area-tasks", "/work")


def case_data_urls(app: Flask, values: dict[str, int]) -> list[str]:
    """Every GET route that reads case data (by its parameters or its place), built for this world's objects."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        reads_case_data = bool(set(rule.arguments) & set(CASE_DATA_ARGS)) or (
            not rule.arguments and rule.rule.startswith(CASE_DATA_PREFIXES))
        if reads_case_data and set(rule.arguments) <= set(values):
            urls.append(rule.build(values, append_unknown=False)[1])
    return urls


def test_a_lay_adviser_sees_no_case_meeting_person_or_task(app: Flask, client: FlaskClient, clock: Any) -> None:
    users = seeded()
    case = level2_case(users, "Adam Ashby", "2026-12-14")
    [meeting] = meetings.schedule(users["administrator"], level=2, starts_at=MEETING_AT, chair="chair",
                                  venue="Northshire HQ")
    meetings.build_agenda(users["administrator"], meeting.id)
    task = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.state == "ready")).first()
    assert task is not None
    values = {"case_id": case.id, "meeting_id": meeting.id, "task_id": task.id, "instance_id": task.instance_id}
    names = ("Adam Ashby", case.reference)

    sign_in(client, "lay_adviser")
    assert client.get("/").headers["Location"] == "/smb"  # lands on the SMB pack
    pages = case_data_urls(app, values)
    assert len([u for u in pages if not u.startswith("/api/")]) > 20
    for url in pages:
        if url.startswith("/api/"):
            continue
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 403, f"{url}: {response.status_code}"
        assert not [n for n in names if n in body], url
    api = Api(client, users)
    api_urls = [u for u in pages if u.startswith("/api/")]
    assert len(api_urls) > 10
    for url in api_urls:
        response = api.get("lay_adviser", url)
        assert response.status_code == 403, f"{url}: {response.status_code}"
        assert not [n for n in names if n in response.get_data(as_text=True)], url
    refusals = db.session.scalars(select(AccessLog.event).where(AccessLog.user_id == users["lay_adviser"].id,
                                                                AccessLog.event.like("%refused"))).all()
    assert len(refusals) >= len(pages)
    assert client.post(f"/tasks/{task.id}/claim", data={}).status_code in (400, 403)  # no CSRF token either way
    assert client.get("/smb/audits").status_code == 403  # the audit sample names cases

    # what they do see: the pack, as a page and a PDF, and the plan to read
    clock.set(datetime(2026, 12, 11, 10, tzinfo=UTC))
    sign_in(client, "lay_adviser")  # the session idled out while the clock moved
    page = get_page(client, "/smb?year_ending=2027-03-31")
    text = page.text_content()
    assert page.get_element_by_id("no-audit") is not None
    assert {t.get("id") for t in page.xpath("//table")} >= {"timeliness", "attendance"}  # the statistics
    assert not [n for n in (*names, "Northshire HQ", users["chair"].display_name) if n in text]
    pdf = client.get("/smb/pack.pdf?year_ending=2027-03-31")
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")
    answer = api.get("lay_adviser", "/api/v1/smb/pack?year_ending=2027-03-31")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert (body["audit"], body["plan"], body["marking"]) == (None, [], "OFFICIAL-SENSITIVE")
    assert "timeliness" in [t["key"] for t in body["tables"]]
    assert not [n for n in names if n in answer.get_data(as_text=True)]
    assert fields(api.get("lay_adviser", "/api/v1/smb/pack?year_ending=2027-04-01")) == ["year_ending"]
    plan = get_page(client, "/smb/plan")
    assert plan.xpath("//form[@action='/smb/plan']") == []  # reading, not adding
    assert post(client, "/smb/plan", {"title": "x"}, form_path="/smb").status_code == 403
