"""Idempotency-Key on referral creation and task completion (issue 13): a client whose connection dropped retries
and learns the outcome, instead of getting 409 or a second case."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from services.db import db
from services.idempotency import KEPT
from services.models import AccessLog, HumanTask, IdempotentRequest, MappaCase
from tests.api.conftest import Api, fields, referral
from tests.conftest import PG_URL


def _post(api: Api, username: str, path: str, body: Any, key: dict[str, str]) -> Any:
    return api.client.post(path, headers=api.headers(username) | key, json=body)


def _cases() -> int:
    db.session.commit()
    return int(db.session.scalar(select(func.count(MappaCase.id))) or 0)


def test_a_retried_referral_gets_the_first_answer_and_makes_no_second_case(api: Api) -> None:
    key = {"Idempotency-Key": "b8f0e7e2-0c55-4d0e-9d1c-0a9b2c4f5e61"}
    first = _post(api, "probation", "/api/v1/cases", referral(), key)
    again = _post(api, "probation", "/api/v1/cases", referral(), key)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _cases() == 1
    assert db.session.scalar(select(func.count(AccessLog.id)).where(AccessLog.event == "api_answer_replayed")) == 1
    # without a key, the same body is a second referral, as before
    assert api.post("probation", "/api/v1/cases", json=referral()).status_code == 201
    assert _cases() == 2


def test_a_key_reused_for_a_different_request_is_refused(api: Api) -> None:
    key = {"Idempotency-Key": "key-0001"}
    assert _post(api, "probation", "/api/v1/cases", referral(), key).status_code == 201
    other = _post(api, "probation", "/api/v1/cases", referral(category=2), key)
    assert fields(other) == ["headers.Idempotency-Key"]
    assert _cases() == 1


def test_keys_are_each_users_own(api: Api) -> None:
    key = {"Idempotency-Key": "shared-key-1"}
    assert _post(api, "probation", "/api/v1/cases", referral(), key).status_code == 201
    theirs = _post(api, "police", "/api/v1/cases", referral(lead_agency="Police"), key)
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert _cases() == 2


@pytest.mark.parametrize("bad", ["", "with space", "é" * 3, "x" * 201])
def test_a_malformed_key_is_422(api: Api, bad: str) -> None:
    response = _post(api, "probation", "/api/v1/cases", referral(), {"Idempotency-Key": bad})
    assert fields(response) == ["headers.Idempotency-Key"]
    assert _cases() == 0


def test_a_failed_request_is_not_remembered(api: Api) -> None:
    key = {"Idempotency-Key": "retry-after-fixing"}
    assert _post(api, "probation", "/api/v1/cases", referral(category=9), key).status_code == 422
    assert db.session.scalar(select(func.count(IdempotentRequest.id))) == 0
    # a different body with the same key is fine after a failure: nothing was done
    assert _post(api, "probation", "/api/v1/cases", referral(), key).status_code == 201


def test_a_key_whose_use_expired_starts_afresh(api: Api, clock: Any) -> None:
    """Kept for a day: after that the same key is a new request (its old row is replaced, not doubled)."""
    key = {"Idempotency-Key": "referral-daily"}
    assert _post(api, "probation", "/api/v1/cases", referral(), key).status_code == 201
    clock.set(clock.now() + KEPT + timedelta(minutes=1))
    later = _post(api, "probation", "/api/v1/cases", referral(rosh="very_high"), key)
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers, later.get_data(as_text=True)
    assert _cases() == 2
    rows = db.session.scalars(select(IdempotentRequest)).all()
    assert [(row.key, row.body["id"]) for row in rows] == [("referral-daily", later.get_json()["id"])]


def _check_referral_task(api: Api) -> dict[str, Any]:
    case = api.post("probation", "/api/v1/cases", json=referral()).get_json()
    tasks = api.get("coordinator", f"/api/v1/tasks?case={case['id']}").get_json()["tasks"]
    return next(t for t in tasks if t["name"] == "Check referral is complete")


def test_a_retried_completion_gets_its_answer_not_409(api: Api) -> None:
    task = _check_referral_task(api)
    body = {"data": {"referral_complete": "yes"}}
    key = {"Idempotency-Key": "complete-1"}
    first = _post(api, "coordinator", f"/api/v1/tasks/{task['id']}/complete", body, key)
    again = _post(api, "coordinator", f"/api/v1/tasks/{task['id']}/complete", body, key)
    assert first.status_code == again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    without_key = api.post("coordinator", f"/api/v1/tasks/{task['id']}/complete", json=body)
    assert without_key.status_code == 409


def _at_once(app: Flask, count: int, path: str, headers: dict[str, str], body: Any) -> list[tuple[int, Any]]:
    """``count`` identical POSTs released together from their own threads; their (status, JSON) answers."""
    db.session.commit()  # nothing held open by the test itself
    start = threading.Barrier(count)
    answers: list[tuple[int, Any]] = []

    def send() -> None:
        client = app.test_client()
        start.wait(timeout=30)
        response = client.post(path, headers=headers, json=body)
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


@pytest.mark.skipif(not PG_URL, reason="concurrent requests need PostgreSQL (SQLite runs them one at a time)")
def test_twin_completions_with_one_key_at_once_complete_once_and_both_learn_the_outcome(
    app: Flask, api: Api
) -> None:
    task = _check_referral_task(api)
    headers = api.headers("coordinator") | {"Idempotency-Key": "twins-1"}
    answers = _at_once(app, 4, f"/api/v1/tasks/{task['id']}/complete", headers, {"data": {"referral_complete": "yes"}})
    assert [status for status, _ in answers] == [200] * 4, answers
    assert len({str(body) for _, body in answers}) == 1
    db.session.commit()
    assert db.session.scalar(select(func.count(HumanTask.id)).where(
        HumanTask.id == task["id"], HumanTask.state == "completed")) == 1
    assert db.session.scalar(select(func.count(IdempotentRequest.id))) == 1


@pytest.mark.skipif(not PG_URL, reason="concurrent requests need PostgreSQL (SQLite runs them one at a time)")
def test_twin_referrals_with_one_key_at_once_make_one_case(app: Flask, api: Api) -> None:
    """Each runs the referral (none has an answer to find when it starts); those that store the key after the first
    wait for it, are rolled back and answer with its case."""
    headers = api.headers("probation") | {"Idempotency-Key": "twin-referral-1"}
    answers = _at_once(app, 3, "/api/v1/cases", headers, referral())
    assert [status for status, _ in answers] == [201] * 3, answers
    assert len({body["id"] for _, body in answers}) == 1
    assert _cases() == 1
    assert db.session.scalar(select(func.count(IdempotentRequest.id))) == 1
