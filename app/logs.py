"""Structured logs: one JSON object a line with the request id, so an operator can follow one request.

Each request takes its id from ``X-Request-Id`` (when a proxy set a sane one) or makes one, and answers with it.
JSON is the format in production (``MAPPA_LOG_FORMAT=json``, the default when ``MAPPA_ENV=production``).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from flask.typing import ResponseReturnValue

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry |= {"request_id": g.get("request_id"), "method": request.method, "path": request.path}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def init_logging(app: Flask) -> None:
    if app.config["MAPPA_LOG_FORMAT"] == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.INFO)
        logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its progress lines are not operations news
        # SpiffWorkflow logs every task state change at INFO: eight JSON lines per completion, formatted and written
        # inside the request (a few ms each under load). The case history records what happened; keep its warnings.
        logging.getLogger("spiff").setLevel(logging.WARNING)

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _answer_with_id(response: ResponseReturnValue) -> ResponseReturnValue:
        response.headers["X-Request-Id"] = g.get("request_id", "")  # type: ignore[union-attr]
        return response
