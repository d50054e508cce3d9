"""API tokens expire (90 days unless the area says otherwise, shown when made); each holder sees and revokes their
own, a coordinator or manager any of their area's (issue 9, hole 14); bad tokens are throttled by client address."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services import settings_admin
from services.db import db
from services.models import AccessLog, ApiToken, User
from tests.api.conftest import Api, error_message
from tests.conftest import TEST_NOW
from tests.factories import api_token_for, auth_header, csrf_token, sign_in
from tests.pages import check_page, get_page


def make_token_in_the_ui(client: FlaskClient, name: str) -> tuple[str, str]:
    """The token text and the expiry the page shows."""
    response = client.post("/account/tokens", data={"csrf_token": csrf_token(client, "/account/tokens"), "name": name})
    page = check_page(response)
    return (page.get_element_by_id("new-token").text_content(),
            page.get_element_by_id("new-token-expires").text_content())


def logged(event: str) -> list[tuple[int | None, str | None]]:
    db.session.expire_all()
    rows = db.session.execute(select(AccessLog.user_id, AccessLog.detail).where(AccessLog.event == event)
                              .order_by(AccessLog.id))
    return [(user_id, detail) for user_id, detail in rows]


def test_a_token_expires_after_90_days_as_shown_when_it_was_made(app: Flask, client: FlaskClient, clock,  # type: ignore[no-untyped-def]
                                                                 users: dict[str, User]) -> None:
    sign_in(client, "probation")
    token, expires = make_token_in_the_ui(client, "Case system")
    assert expires == "23 February 2027 at 10:00am"  # 90 days after 25 November 2026 at 10:00am
    assert "The token expires after 90 days" in get_page(client, "/account/tokens").text_content()
    clock.set(TEST_NOW + timedelta(days=90) - timedelta(seconds=1))
    assert client.get("/api/v1/tasks", headers=auth_header(token)).status_code == 200
    clock.set(TEST_NOW + timedelta(days=90))
    response = client.get("/api/v1/tasks", headers=auth_header(token))
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    sign_in(client, "probation")
    [status] = get_page(client, "/account/tokens").xpath("//td[@data-token-status]")
    assert status.get("data-token-status") == "expired" and status.text_content().strip() == "Expired"
    [(user_id, detail)] = logged("api_token_created")
    assert user_id == users["probation"].id and detail.endswith("Case system, expires 2027-02-23")


def test_the_area_sets_how_long_new_tokens_last(app: Flask, users: dict[str, User]) -> None:
    settings_admin.update_settings(users["coordinator"], {"api_token_days": "30"})
    api_token_for(users["police"])
    [row] = db.session.scalars(select(ApiToken))
    assert row.expires_at == TEST_NOW + timedelta(days=30)


def test_a_user_sees_and_revokes_each_of_their_tokens_through_the_api(api: Api, users: dict[str, User]) -> None:
    laptop = api_token_for(users["probation"])
    [first, second] = api.get("probation", "/api/v1/tokens").get_json()["tokens"]  # newest first
    assert (first["name"], first["status"], first["owner"]) == ("tests", "active", "probation")
    assert first["expires_at"] == "2027-02-23T10:00:00+00:00" and first["revoked_at"] is None
    revoked = api.post("probation", f"/api/v1/tokens/{second['id']}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert api.client.get("/api/v1/tasks", headers=auth_header(laptop)).status_code == 401
    assert api.get("probation", "/api/v1/tasks").status_code == 200  # the other token still works
    mine = api.get("probation", "/api/v1/tokens").get_json()["tokens"]
    assert [t["status"] for t in mine] == ["active", "revoked"]
    assert error_message(api.post("police", f"/api/v1/tokens/{first['id']}/revoke"), 404) == "token not found"
    refused = error_message(api.get("probation", "/api/v1/area/tokens"), 403)
    assert refused.startswith("Only the MAPPA Coordinator or Manager")
    assert logged("api_token_revoked") == [(users["probation"].id, f"token {second['id']} tests")]


def test_coordinators_and_managers_revoke_any_token_of_their_area(app: Flask, api: Api,
                                                                  users: dict[str, User]) -> None:
    probation = api_token_for(users["probation"])
    housing = api_token_for(users["housing"])
    listed = api.get("coordinator", "/api/v1/area/tokens").get_json()["tokens"]
    assert {"probation", "housing", "coordinator"} <= {t["owner"] for t in listed}
    south = api.get("south_coordinator", "/api/v1/area/tokens").get_json()["tokens"]
    assert {t["owner"] for t in south} == {"south_coordinator"}
    [housing_id] = [t["id"] for t in listed if t["owner"] == "housing"]
    assert api.post("south_coordinator", f"/api/v1/tokens/{housing_id}/revoke").status_code == 404
    assert api.post("manager", f"/api/v1/tokens/{housing_id}/revoke").get_json()["status"] == "revoked"
    assert api.client.get("/api/v1/tasks", headers=auth_header(housing)).status_code == 401

    coordinator = app.test_client()
    sign_in(coordinator, "coordinator")
    rows = get_page(coordinator, "/admin/accounts").xpath('//table[@id="area-tokens"]/tbody/tr')
    [row] = [r for r in rows if users["probation"].display_name in r.text_content()]
    action = row.xpath(".//form/@action")[0]
    response = coordinator.post(action, data={"csrf_token": csrf_token(coordinator, "/admin/accounts")})
    assert response.status_code == 302
    assert "token 'tests' revoked" in get_page(coordinator, "/admin/accounts").text_content()
    assert api.client.get("/api/v1/tasks", headers=auth_header(probation)).status_code == 401
    token_id = re.search(r"/admin/tokens/(\d+)/revoke", action).group(1)
    assert logged("api_token_revoked")[-1] == (users["coordinator"].id, f"token {token_id} tests of probation")
    police = app.test_client()
    sign_in(police, "police")
    assert police.get("/admin/accounts").status_code == 403


def test_wrong_tokens_are_throttled_by_client_address(app: Flask, client: FlaskClient, clock,  # type: ignore[no-untyped-def]
                                                      users: dict[str, User]) -> None:
    good = api_token_for(users["police"])

    def tasks(token: str, address: str) -> int:
        response = client.get("/api/v1/tasks", headers=auth_header(token), environ_base={"REMOTE_ADDR": address})
        return response.status_code

    assert [tasks(f"mf_guess{n}", "10.9.9.9") for n in range(100)] == [401] * 100
    throttled = client.get("/api/v1/tasks", headers=auth_header(good), environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert error_message(throttled, 429).startswith("Too many requests with a wrong, expired or revoked token")
    assert throttled.headers["Retry-After"] == "900"
    assert tasks(good, "10.8.8.8") == 200
    clock.set(TEST_NOW + timedelta(minutes=15))
    assert tasks(good, "10.9.9.9") == 200
