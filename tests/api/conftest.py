"""API test helpers: the demo users, and a client that speaks JSON with a bearer token per user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.auth import create_token
from services.db import db
from services.models import User
from tests.factories import auth_header, seeded


class Api:
    """``api.get("coordinator", "/api/v1/tasks")``: one token per user, created on first use."""

    def __init__(self, client: FlaskClient, users: dict[str, User]) -> None:
        self.client = client
        self.users = users
        self._tokens: dict[str, tuple[str, datetime]] = {}

    def headers(self, username: str) -> dict[str, str]:
        held = self._tokens.get(username)
        now = self.client.application.extensions["mappa.clock"].now()  # also from racing threads (no app context)
        if held is None or now >= held[1]:  # a journey over years outlives a token: renew it, as clients do
            row, token = create_token(self.users[username], "tests")
            held = self._tokens[username] = (token, row.expires_at)
            db.session.commit()  # no transaction left open: on SQLite it would hold the write lock
        return auth_header(held[0])

    def get(self, username: str, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, headers=self.headers(username), **kwargs)

    def post(self, username: str, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.post(path, headers=self.headers(username), json=json, **kwargs)


@pytest.fixture
def users(app: Any) -> dict[str, User]:
    return seeded()


@pytest.fixture
def api(client: FlaskClient, users: dict[str, User]) -> Api:
    return Api(client, users)


def referral(**overrides: Any) -> dict[str, Any]:
    """A valid POST /api/v1/cases body."""
    body: dict[str, Any] = {
        "offender": {"name": "John Smith", "date_of_birth": "1980-04-01", "pnc_id": "2001/0012345A"},
        "category": 1, "area": "northshire", "lead_agency": "Probation", "custody": False, "rosh": "high",
        "referral_reason": "Escalating behaviour towards ex-partner.",
    }
    body.update(overrides)
    return body


def fields(response: TestResponse) -> list[str]:
    """The field paths of a 422 response (and checks it is one)."""
    assert response.status_code == 422, response.get_data(as_text=True)
    return [e["field"] for e in response.get_json()["error"]["errors"]]


def error_message(response: TestResponse, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()["error"]
    assert body["status"] == status
    return str(body["message"])
