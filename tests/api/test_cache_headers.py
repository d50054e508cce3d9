"""Every authenticated response is no-store (pages, PDFs, .ics, API JSON, the new-token page); HSTS behind HTTPS."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.api.conftest import Api, referral
from tests.factories import csrf_token, sign_in


def test_every_response_with_case_data_is_no_store(api: Api, client: FlaskClient) -> None:
    created = api.post("probation", "/api/v1/cases", json=referral())
    case_id = created.get_json()["id"]
    meeting = api.post("administrator", "/api/v1/meetings", json={
        "level": 2, "starts_at": "2026-12-10T10:00:00+00:00", "chair": "chair", "venue": "HQ",
        "area": "northshire"}).get_json()
    api_paths = [f"/api/v1/cases/{case_id}", "/api/v1/tasks", f"/api/v1/cases/{case_id}/history",
                 f"/api/v1/meetings/{meeting['id']}", f"/api/v1/meetings/{meeting['id']}/invite.ics",
                 f"/api/v1/meetings/{meeting['id']}/agenda.pdf"]
    for path in api_paths:
        response = api.get("coordinator", path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    assert created.headers["Cache-Control"] == "no-store"

    sign_in(client, "coordinator")
    for path in ("/tasks", "/cases", f"/cases/{case_id}", "/meetings"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", path
    token_page = client.post("/account/tokens", data={"csrf_token": csrf_token(client, "/account/tokens"),
                                                      "name": "laptop"})
    assert token_page.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in token_page.headers


def test_hsts_behind_https(api: Api, client: FlaskClient) -> None:
    client.application.config["SESSION_COOKIE_SECURE"] = True
    response = client.get("/sign-in")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
