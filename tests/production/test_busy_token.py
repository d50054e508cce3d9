"""A busy API token does not serialise its requests (issue 13): noting a token's use takes its row lock for one
statement, not for the request that noticed it was a minute since the token was last used."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from services import tasks as task_service
from services.db import db
from services.models import ApiToken
from tests.api.conftest import Api
from tests.conftest import PG_URL, TEST_NOW


@pytest.mark.skipif(not PG_URL, reason="row locks are PostgreSQL's; SQLite serialises every write anyway")
def test_a_request_noting_token_use_does_not_hold_up_the_others(
    app: Flask, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = api.headers("coordinator")
    db.session.execute(update(ApiToken).values(last_used_at=TEST_NOW - timedelta(minutes=5)))
    db.session.commit()
    inside, leave = threading.Event(), threading.Event()
    real_inbox = task_service.inbox

    def slow_inbox(*args: Any, **kwargs: Any) -> Any:  # the first request stays open inside its transaction,
        found = real_inbox(*args, **kwargs)  # after its first query (which flushed what it had changed)
        if not inside.is_set():
            inside.set()
            assert leave.wait(timeout=60)
        return found

    monkeypatch.setattr(task_service, "inbox", slow_inbox)
    results: dict[str, int] = {}

    def request(name: str, path: str) -> None:
        results[name] = app.test_client().get(path, headers=headers).status_code

    first = threading.Thread(target=request, args=("first", "/api/v1/tasks"))
    first.start()
    try:
        assert inside.wait(timeout=60)
        second = threading.Thread(target=request, args=("second", "/api/v1/tasks"))
        second.start()
        second.join(timeout=10)
        assert not second.is_alive(), "the second request waited for the first one's lock on the token"
    finally:
        leave.set()
        first.join(timeout=60)
    assert results == {"first": 200, "second": 200}
    db.session.commit()
    assert db.session.get(ApiToken, db.session.query(ApiToken.id).scalar()).last_used_at == TEST_NOW
