"""API tokens in the UI, health check, the tick command's clock guard, access logging, claim and release."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.db import db
from services.models import AccessLog
from tests.factories import create_case, csrf_token, ready_task, seeded, sign_in


def test_user_creates_and_revokes_a_token_in_the_ui(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "probation")
    empty = client.post("/account/tokens", data={"csrf_token": csrf_token(client, "/account/tokens"), "name": ""})
    assert "Enter a name for the token" in empty.get_data(as_text=True)
    page = client.post("/account/tokens", data={"csrf_token": csrf_token(client, "/account/tokens"),
                                                "name": "Case system"}).get_data(as_text=True)
    token = re.search(r'id="new-token">([^<]+)<', page).group(1)
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    token_id = re.search(r'/account/tokens/(\d+)/revoke', page).group(1)
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_tick_refuses_now_without_the_override(app: Flask) -> None:
    app.config["MAPPA_ALLOW_CLOCK_OVERRIDE"] = False
    result = app.test_cli_runner().invoke(args=["mappa", "tick", "--now", "2027-01-01T00:00:00Z"])
    assert result.exit_code != 0 and "MAPPA_ALLOW_CLOCK_OVERRIDE" in result.output
    assert app.test_cli_runner().invoke(args=["mappa", "tick"]).exit_code == 0


def test_token_create_command_prints_a_working_token(app: Flask, client: FlaskClient) -> None:
    seeded()
    result = app.test_cli_runner().invoke(args=["mappa", "token", "create", "coordinator"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_viewing_a_case_is_logged_and_refusals_too(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    case = create_case(users["probation"])
    sign_in(client, "coordinator")
    client.get(f"/cases/{case.id}")
    south = app.test_client()
    sign_in(south, "south_coordinator")
    assert south.get(f"/cases/{case.id}").status_code == 404
    db.session.expire_all()
    rows = db.session.execute(select(AccessLog.event, AccessLog.user_id, AccessLog.case_id)).all()
    assert ("case_viewed", users["coordinator"].id, case.id) in rows
    assert any(r.event == "case_access_refused" and r.user_id == users["south_coordinator"].id for r in rows)


def test_claim_then_another_user_cannot_complete_then_release(app: Flask, client: FlaskClient) -> None:
    users = seeded()
    from tests.factories import make_user

    make_user("coordinator2", {"coordinator"}, users["coordinator"].area, display_name="Colin Second")
    case = create_case(users["probation"])
    task = ready_task(case.id, "check_referral")
    sign_in(client, "coordinator")
    url = f"/tasks/{task.id}"
    client.post(f"{url}/claim", data={"csrf_token": csrf_token(client, url)})
    other = app.test_client()
    sign_in(other, "coordinator2")
    assert "Check referral is complete" not in other.get("/tasks").get_data(as_text=True)
    refused = other.post(url, data={"csrf_token": csrf_token(other, url), "referral_complete": "yes"})
    assert refused.status_code == 409 and "claimed by Cora Ordinator" in refused.get_data(as_text=True)
    client.post(f"{url}/release", data={"csrf_token": csrf_token(client, url)})
    assert "Check referral is complete" in other.get("/tasks").get_data(as_text=True)


def test_untrusted_xml_with_entities_is_refused() -> None:
    import pytest

    from workflows.xmlsafety import UnsafeXml, parse_untrusted_xml

    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(UnsafeXml):
        parse_untrusted_xml(evil)
    with pytest.raises(UnsafeXml, match="larger"):
        parse_untrusted_xml(b"<x>" + b" " * (6 * 1024 * 1024) + b"</x>")


def test_coordinator_sees_who_has_seen_a_case_and_probation_cannot(app: Flask, client: FlaskClient) -> None:
    from tests.pages import get_page

    users = seeded()
    case = create_case(users["probation"])
    police = app.test_client()
    sign_in(police, "police")
    police.get(f"/cases/{case.id}")
    sign_in(client, "coordinator")
    assert "Who has seen this case" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    text = get_page(client, f"/cases/{case.id}/access-log").text_content()
    assert "PC Pat Rolman (Police)" in text and "Case viewed" in text
    probation = app.test_client()
    sign_in(probation, "probation")
    assert probation.get(f"/cases/{case.id}/access-log").status_code == 403
