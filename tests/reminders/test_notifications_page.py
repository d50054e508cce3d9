"""The Notifications page and the navigation's unread count; GET /api/v1/notifications matches its document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from services import scheduler
from services.models import User
from tests.api.conftest import Api
from tests.api.test_openapi import Contract
from tests.factories import create_case, csrf_token, sign_in


def test_the_page_lists_them_and_marks_them_read(app: Flask, client: FlaskClient, users: dict[str, User]) -> None:
    case = create_case(users["probation"], offender_name="Zebedee Quartermain")
    scheduler.sweep(datetime(2026, 12, 3, 10, tzinfo=UTC))  # no SMTP server configured: in the app only
    sign_in(client, "coordinator")
    page = client.get("/notifications").get_data(as_text=True)
    assert '<span class="moj-notification-badge" id="nav-unread">2<' in page
    assert f"Overdue: Check referral is complete ({case.reference})" in page
    assert "Zebedee" not in page
    assert page.count("govuk-tag--blue\">New<") == 2
    done = client.post("/notifications/read", data={"csrf_token": csrf_token(client, "/notifications")})
    assert done.status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert "nav-unread" not in page and "0 unread" in page and "govuk-tag--blue\">New<" not in page


def test_other_people_see_only_their_own(app: Flask, client: FlaskClient, users: dict[str, User]) -> None:
    create_case(users["probation"])
    scheduler.sweep(datetime(2026, 12, 3, 10, tzinfo=UTC))
    sign_in(client, "south_coordinator")
    page = client.get("/notifications").get_data(as_text=True)
    assert "You have no notifications." in page and "nav-unread" not in page


def test_the_api_answer_matches_the_document(client: FlaskClient, api: Api, users: dict[str, User]) -> None:
    create_case(users["probation"])
    scheduler.sweep(datetime(2026, 12, 3, 10, tzinfo=UTC))
    doc: dict[str, Any] = client.get("/api/v1/openapi.json").get_json()
    contract = Contract(doc)
    body = contract.check(api.get("coordinator", "/api/v1/notifications"), "/notifications", "get")
    assert body["unread"] == 2
    contract.check(api.get("owner", "/api/v1/notifications"), "/notifications", "get")
