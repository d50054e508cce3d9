"""Every route carries a permission guard; sessions end for real at sign-out."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import csrf_token, seeded, sign_in

UNGUARDED_BY_DESIGN = {"static"}  # Flask's static files: CSS, JS, images; no case data


def test_every_endpoint_has_a_guard(app: Flask) -> None:
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNGUARDED_BY_DESIGN:
            continue
        view = app.view_functions[rule.endpoint]
        if not getattr(view, "_mappa_guard", None):
            missing.append(f"{rule.rule} ({rule.endpoint})")
    assert missing == [], f"routes without a permission guard: {missing}"


def test_pages_need_sign_in(app: Flask, client: FlaskClient) -> None:
    seeded()
    for path in ("/tasks", "/cases", "/referrals/new", "/account/tokens", "/admin/incidents"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], path


def test_roles_without_permission_get_403(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "probation")
    assert client.get("/admin/incidents").status_code == 403


def test_session_cookie_is_dead_after_sign_out(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "coordinator")
    assert client.get("/tasks").status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None
    saved = cookie.value
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/tasks")})
    replay = app.test_client()
    replay.set_cookie("session", saved)
    response = replay.get("/tasks")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_post_without_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    seeded()
    sign_in(client, "probation")
    response = client.post("/referrals/new", data={"offender_name": "X"})
    assert response.status_code == 400


def test_wrong_password_shows_an_error_and_logs(app: Flask, client: FlaskClient) -> None:
    seeded()
    response = client.post("/sign-in", data={"username": "coordinator", "password": "wrong",
                                             "csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert "The username or password is not right" in response.get_data(as_text=True)
