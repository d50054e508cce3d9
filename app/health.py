"""Liveness and readiness for the load balancer and the operator.

- ``/healthz``: the process is alive and serving (no database call, so it answers even when the database hangs).
- ``/readyz``: the database answers, its schema is at the migrations' head and, where a scheduler process is
  expected (``MAPPA_EXPECT_SCHEDULER``, set in production), its heartbeat is recent. The database check runs on
  one helper thread with a deadline: when the database accepts connections but never replies, ``/readyz`` still
  answers 503 within ``MAPPA_READY_SECONDS`` (0.8 s by default) instead of hanging the worker.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from app.security import public
from services import readiness

bp = Blueprint("health", __name__)
_checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")
_pending: dict[str, Future[dict[str, Any]]] = {}
_pending_lock = threading.Lock()


@bp.get("/healthz")
@public
def healthz() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz() -> ResponseReturnValue:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _pending_lock:
        running = _pending.get("check")
        if running is None or running.done():
            running = _pending["check"] = _checker.submit(_check, app)
    try:
        report = running.result(timeout=app.config["MAPPA_READY_SECONDS"])
    except FutureTimeout:
        # the earlier check is still waiting on the database: answer now, let it finish or time out on its own
        return jsonify(status="unavailable", database="not answering"), 503
    return jsonify(report), 200 if report["status"] == "ok" else 503


def _check(app: Flask) -> dict[str, Any]:
    with app.app_context():
        return readiness.check(
            expect_scheduler=app.config["MAPPA_EXPECT_SCHEDULER"],
            heartbeat_seconds=3 * float(app.config["MAPPA_SCHEDULER_SECONDS"]) + 10,
            migrations=app.extensions["migrate"].directory,
        )
