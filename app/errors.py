"""Error pages and domain-error mapping for the HTML side (the API has its own JSON handlers)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from services.db import db
from services.errors import DomainError

log = logging.getLogger(__name__)
RETRY_AFTER = "5"

TITLES = {400: "Bad request", 403: "You do not have permission to see this page", 404: "Page not found",
          405: "Method not allowed", 409: "This has already been dealt with", 413: "The file is too large",
          422: "There is a problem", 500: "Sorry, there is a problem with the service",
          503: "Sorry, the service is unavailable"}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            from app.api.errors import api_error

            return api_error(err.status, err.message)
        title = TITLES.get(err.status, "Error")
        return render_template("error.html", page_title=title, message=err.message), err.status

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def _database_unavailable(err: Exception) -> ResponseReturnValue:
        """The database is unreachable, silent or busy: 503 and a retry hint, never a 500; the next request
        gets a fresh connection (pool_pre_ping), so the service recovers by itself when the database does."""
        log.warning("database unavailable: %s", str(err).splitlines()[0] if str(err) else type(err).__name__)
        try:
            db.session.rollback()
        except Exception as again:  # noqa: BLE001 - the connection is already gone; the pool drops it
            log.info("rollback after a database failure also failed: %s", type(again).__name__)
        message = "The database is not answering. Try again in a few seconds."
        headers = {"Retry-After": RETRY_AFTER}
        if request.path.startswith("/api/"):
            from app.api.errors import api_error

            return api_error(503, message, headers=headers)
        try:
            page = render_template("error.html", page_title=TITLES[503], message=message)
        except OperationalError:  # the layout asks who is signed in, which needs the database too
            page = f"<!DOCTYPE html><html lang=en><title>{TITLES[503]}</title><h1>{TITLES[503]}</h1><p>{message}"
        return page, 503, headers

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> ResponseReturnValue:
        status = err.code or 500
        if request.path.startswith("/api/"):
            from app.api.errors import api_error

            headers = {k: v for k, v in err.get_headers() if k.lower() != "content-type"}
            return api_error(status, err.description or TITLES.get(status, "Error"), headers=headers)
        title = TITLES.get(status, err.name)
        if request.is_json:  # the pages' own JSON endpoints (save as you type) answer in kind
            return jsonify({"error": err.description or title}), status
        return render_template("error.html", page_title=title, message=err.description), status
