"""Real parallel requests (run them on PostgreSQL, where SQLite's single writer cannot hide a race).

Each racer is a call on its own test client; each request gets its own app context and so its own database session
and pooled connection (tests.conftest.IsolatedClient). A barrier releases them together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from werkzeug.test import TestResponse

from services.db import db
from services.models import User
from tests.factories import make_user

RACERS = 6


def race(calls: Sequence[Callable[[], TestResponse]]) -> list[TestResponse]:
    """Run the calls at the same moment, one thread each; the responses in the order of the calls."""
    db.session.commit()  # end the test body's transaction first: on SQLite it would hold the writer's lock
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], TestResponse]) -> TestResponse:
        start.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def colleagues(users: dict[str, User], like: str, count: int) -> list[str]:
    """``like`` and ``count - 1`` more people with the same roles, agency and area: their usernames."""
    model = users[like]
    for n in range(2, count + 1):
        users[f"{like}{n}"] = make_user(f"{like}{n}", set(model.roles), model.area, agency=model.agency,
                                        display_name=f"{model.display_name} {n}")
    db.session.commit()
    return [like, *(f"{like}{n}" for n in range(2, count + 1))]
