"""Every route with an id in its path, web and API, read and write, called with ids no database row can have.

Generated from ``app.url_map`` (no hand-kept list): 20-digit ids overflowed PostgreSQL's integer (and SQLite's
64 bits) into 500s. They must be a clean 404: a GOV.UK error page on the web, the JSON error shape on the API.
Query-string ids (``?case=²``: ``str.isdigit()`` says yes, ``int()`` says no) are a 400 page or a 422 on the API.
Run on PostgreSQL too: ``MAPPA_TEST_DATABASE_URL=postgresql://... pytest tests/platform/test_hostile_urls.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.test import TestResponse

from tests.api.conftest import Api, referral
from tests.factories import csrf_token, sign_in

# Past PostgreSQL's integer, past 64 bits, far past both; and 12 in Arabic-Indic digits (the router's \d took them).
HOSTILE_IDS = ("2147483648", "9223372036854775808", "99999999999999999999", "1" + "0" * 40, "\u0661\u0662")
HOSTILE_QUERY_IDS = ("\u00b2", "\u0661\u0662", "99999999999999999999", "2147483648", "-1", "1e3", "0x10", "%00")
QUERY_ID_KEYS = ("case", "instance")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
def _id_arguments(rule: Rule) -> list[str]:
    return [name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]


# real values for the arguments that are not ids (process models are named, not numbered)
NAMED = {"key": "mappa_referral", "n": "1", "name": "referral.bpmn", "form_key": "screening",
         "task_id": "00000000-0000-0000-0000-000000000000"}  # a trial's task id is the engine's uuid


def _path(rule: Rule, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values.get(m.group(1)) or NAMED[m.group(1)], rule.rule)


def _calls(app: Flask) -> Iterator[tuple[str, str]]:
    """(method, path) for every route with an id, each id in turn hostile and the others real (1)."""
    for rule in app.url_map.iter_rules():
        ids = _id_arguments(rule)
        for hostile in ids:
            for value in HOSTILE_IDS:
                path = _path(rule, {name: value if name == hostile else "1" for name in ids})
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    yield method, path


class Caller:
    """Signed in on the web as the coordinator (with a CSRF token), and the coordinator's API token."""

    def __init__(self, client: FlaskClient, api: Api) -> None:
        self.client, self.api = client, api
        sign_in(client, "coordinator")
        self.token = csrf_token(client, "/tasks")

    def call(self, method: str, path: str) -> TestResponse:
        if path.startswith("/api/"):  # process models are edited by process owners only
            user = "owner" if path.startswith(("/api/v1/models/", "/api/v1/trials/")) else "coordinator"
            return self.client.open(path, method=method, headers=self.api.headers(user), json={})
        if method == "GET":
            return self.client.open(path, method=method)
        return self.client.open(path, method=method, data={"csrf_token": self.token},
                                headers={"X-CSRFToken": self.token})


def _error_shape(path: str, response: TestResponse) -> bool:
    if path.startswith("/api/"):
        body = response.get_json(silent=True) or {}
        return response.mimetype == "application/json" and body.get("error", {}).get("status") == response.status_code
    return response.mimetype == "text/html" and "govuk-heading-l" in response.get_data(as_text=True)


def _world(api: Api) -> None:
    """A case, its tasks and a meeting, so that the real ids (1) next to a hostile one exist."""
    assert api.post("probation", "/api/v1/cases", json=referral()).status_code == 201
    assert api.post("administrator", "/api/v1/meetings", json={
        "level": 2, "starts_at": "2026-12-10T10:00:00+00:00", "chair": "chair", "venue": "HQ",
        "area": "northshire"}).status_code == 201


def test_every_route_answers_ids_out_of_range_with_a_clean_404(app: Flask, client: FlaskClient, api: Api) -> None:
    _world(api)
    caller = Caller(client, api)
    calls = list(_calls(app))
    assert len({path.split("/")[1 if not path.startswith("/api/") else 3] for _m, path in calls}) >= 5
    assert any(m in WRITE_METHODS for m, _p in calls) and any(p.startswith("/api/") for _m, p in calls)
    wrong = []
    for method, path in calls:
        response = caller.call(method, path)
        if response.status_code != 404 or not _error_shape(path, response):
            wrong.append(f"{method} {path}: {response.status_code} {response.mimetype}")
    assert wrong == [], f"{len(wrong)} of {len(calls)} calls were not a clean 404:\n" + "\n".join(wrong)


def test_ids_in_query_strings_are_a_clean_400_or_422(app: Flask, client: FlaskClient, api: Api) -> None:
    _world(api)
    caller = Caller(client, api)
    gets = [rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or set())
            and not rule.arguments - set(_id_arguments(rule)) and rule.endpoint != "static"]
    wrong = []
    for rule in gets:
        path = _path(rule, dict.fromkeys(_id_arguments(rule), "1"))
        for value in HOSTILE_QUERY_IDS:
            for key in QUERY_ID_KEYS:
                response = caller.call("GET", f"{path}?{key}={value}")
                if response.status_code >= 500:
                    wrong.append(f"GET {path}?{key}={value}: {response.status_code}")
    assert wrong == [], "\n".join(wrong)
    for path, key, status in (("/tasks", "case", 400), ("/cases/1", "instance", 400), ("/api/v1/tasks", "case", 422)):
        for value in HOSTILE_QUERY_IDS:
            response = caller.call("GET", f"{path}?{key}={value}")
            expected = 400 if value == "%00" else status  # NUL is refused before any view (app.text_guard)
            assert response.status_code == expected and _error_shape(path, response), (path, value)
    assert caller.call("GET", "/tasks?case=1").status_code == 200
    assert caller.call("GET", "/api/v1/tasks?case=1").status_code == 200
