"""Malformed input to the API's write endpoints is a 422 naming the field, never a 500 (issue 9, hole 12).

JSON nested 100,000 deep raised RecursionError; invalid UTF-8, NUL and lone surrogates failed only when saved;
year 9999 and year 1 dates overflowed date arithmetic; odd UTC offsets were taken as given.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.api.conftest import Api, fields, referral
from tests.lifecycle.test_lifecycle_api import open_case

DEEP = 100_000
HOSTILE_BODIES: dict[str, bytes] = {
    "array nested 100,000 deep": b"[" * DEEP + b"]" * DEEP,
    "object nested 100,000 deep": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "nested 33 deep inside a member": b'{"data": ' + b"[" * 33 + b"]" * 33 + b"}",
    "invalid UTF-8": b'{"reason": "\xff\xfe\xfa"}',
    "lone surrogate": b'{"reason": "a\\ud800b", "data": {"x": "\\udfff"}}',
    "NUL character": b'{"reason": "a\\u0000b"}',
    "truncated": b'{"reason": "a',
    "an array": b"[1, 2]",
    "a string": b'"text"',
    "null": b"null",
    "nothing": b"",
}
MEETING = {"level": 2, "starts_at": "2026-12-10T10:00:00+00:00", "chair": "chair", "venue": "HQ", "area": "northshire"}
# The last: 1980-01-01 in Arabic-Indic digits (date.fromisoformat refuses them; int() would not).
OUT_OF_RANGE_DATES = ("9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01",
                      "\u0661\u0669\u0668\u0660-\u0660\u0661-\u0660\u0661")


def _api_writes(app: Flask) -> list[tuple[str, str]]:
    """(method, path) of every API endpoint that takes a body, ids filled with 1 (generated from the URL map)."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = rule.rule.replace("<int:meeting_id>", "1").replace("<int:case_id>", "1").replace(
                "<int:task_id>", "1")
            found += [(m, path) for m in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH"})]
    return found


def _send(api: Api, method: str, path: str, body: bytes, user: str = "coordinator") -> Any:
    headers = api.headers(user) | {"If-Match": '"m1v0"'}
    return api.client.open(path, method=method, data=body, content_type="application/json", headers=headers)


def test_hostile_json_bodies_on_every_write_endpoint(app: Flask, api: Api) -> None:
    j = open_case(app, api)
    assert api.post("administrator", "/api/v1/meetings", json=MEETING).status_code == 201
    writes = _api_writes(app)
    assert ("POST", "/api/v1/cases") in writes and ("PUT", "/api/v1/meetings/1/minutes/1") in writes
    task = j.task("coordinator", "Check referral is complete")
    reading_bodies = (("POST", "/api/v1/cases", "probation"), ("POST", "/api/v1/meetings", "administrator"),
                      ("POST", f"/api/v1/tasks/{task['id']}/complete", "coordinator"),
                      ("POST", f"/api/v1/cases/{j.case_id}/early-review", "coordinator"),
                      ("PUT", "/api/v1/settings", "coordinator"))
    for name, body in HOSTILE_BODIES.items():
        for method, path in writes:
            response = _send(api, method, path, body)
            assert response.status_code < 500 and response.is_json, f"{name}: {method} {path}"
        for method, path, user in reading_bodies:
            assert fields(_send(api, method, path, body, user)) == ["body"], f"{name}: {method} {path}"


def test_deep_json_says_why(app: Flask, api: Api) -> None:
    response = _send(api, "POST", "/api/v1/cases", HOSTILE_BODIES["array nested 100,000 deep"], "probation")
    assert response.get_json()["error"]["errors"][0]["message"] == "The JSON is nested more than 32 levels deep"
    nul = _send(api, "POST", "/api/v1/cases", HOSTILE_BODIES["NUL character"], "probation")
    assert "NUL" in nul.get_json()["error"]["errors"][0]["message"]
    fine = api.post("probation", "/api/v1/cases", json=referral(offender={"name": "Zoë [{Brackets}] \"Quote\""}))
    assert fine.status_code == 201, fine.get_data(as_text=True)


def test_referral_dates_out_of_range_are_422_on_their_field(app: Flask, api: Api) -> None:
    for day in OUT_OF_RANGE_DATES:
        for key in ("sentence_date", "licence_end", "notification_end"):
            assert fields(api.post("probation", "/api/v1/cases", json=referral(**{key: day}))) == [key]
        assert fields(api.post("probation", "/api/v1/cases", json=referral(custody=True, release_date=day))) == [
            "release_date"]
        assert fields(api.post("probation", "/api/v1/cases", json=referral(
            offender={"name": "A B", "date_of_birth": day}))) == ["offender.date_of_birth"]


def test_task_and_case_dates_out_of_range_are_422(app: Flask, api: Api) -> None:
    j = open_case(app, api, custody=True, release_date="2027-06-01")
    j.do("coordinator", "Check referral is complete", {"referral_complete": "yes"})
    task = j.task("coordinator", "Screening decision")
    for day in OUT_OF_RANGE_DATES:
        _refused_on_task_and_case(api, j.case_id, task["id"], day)


def _refused_on_task_and_case(api: Api, case_id: int, task_id: int, day: str) -> None:
    response = api.post("coordinator", f"/api/v1/tasks/{task_id}/complete", json={"data": {
        "screening_outcome": "accepted_level_2", "screening_rationale": "Defensible.", "first_review_due": day}})
    assert fields(response) == ["data.first_review_due"]
    if day[0].isascii():
        assert "between 1900 and 2199" in response.get_json()["error"]["errors"][0]["message"]
    assert fields(api.post("coordinator", f"/api/v1/cases/{case_id}/release-date",
                           json={"release_date": day, "reason": "Parole"})) == ["release_date"]
    assert fields(api.post("coordinator", f"/api/v1/cases/{case_id}/actions", json={
        "description": "Visit", "owner_role": "police", "due": day})) == ["due"]


ODD_STARTS = (
    "9999-12-31T23:59:59+00:00", "9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", "2200-01-01T10:00:00Z",
    "2026-12-10T10:00:00+14:30", "2026-12-10T10:00:00-12:01", "2026-12-10T10:00:00+99:00",
    "2026-12-10T10:00:00+23:59:59.999999", "2026-12-10T10:00:00+01:00:30",
    "\uff12\uff10\uff12\uff16-12-10T10:00:00+00:00")  # the last in fullwidth digits


def test_meeting_starts_out_of_range_or_at_odd_offsets_are_422_and_real_offsets_work(app: Flask, api: Api) -> None:
    for starts_at in ODD_STARTS:
        assert fields(api.post("administrator", "/api/v1/meetings", json=MEETING | {"starts_at": starts_at})) == [
            "starts_at"], starts_at
        bound = starts_at.replace("+", "%2B")
        assert fields(api.get("coordinator", f"/api/v1/meetings?from={bound}")) == ["from"], starts_at
    for starts_at, utc in (("2026-12-10T10:00:00+14:00", "2026-12-09T20:00:00+00:00"),
                           ("2026-12-10T10:00:00-12:00", "2026-12-10T22:00:00+00:00"),
                           ("2026-12-10T10:00:00Z", "2026-12-10T10:00:00+00:00"),
                           ("2026-12-10T10:00:00-00:00", "2026-12-10T10:00:00+00:00")):  # RFC 3339: UTC
        created = api.post("administrator", "/api/v1/meetings", json=MEETING | {"starts_at": starts_at})
        assert created.status_code == 201, created.get_data(as_text=True)
        assert api.get("coordinator", created.headers["Location"]).get_json()["starts_at"] == utc


def test_meeting_list_bounds_out_of_range_are_422(app: Flask, api: Api) -> None:
    for query in ("to=9999-12-31", "from=0001-01-01", "from=2026-12-01&to=9999-12-31T23:59:59Z", "to=10000-01-01",
                  "from=2026-13-01"):
        response = api.get("coordinator", f"/api/v1/meetings?{query}")
        assert response.status_code == 422 and set(fields(response)) <= {"from", "to"}, query
