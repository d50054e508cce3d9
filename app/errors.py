"""Error pages and domain-error mapping for the HTML side (the API has its own JSON handlers)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from services.errors import DomainError

TITLES = {400: "Bad request", 403: "You do not have permission to see this page", 404: "Page not found",
          405: "Method not allowed", 409: "This has already been dealt with", 413: "The file is too large",
          422: "There is a problem", 500: "Sorry, there is a problem with the service"}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            from app.api.errors import api_error

            return api_error(err.status, err.message)
        title = TITLES.get(err.status, "Error")
        return render_template("error.html", page_title=title, message=err.message), err.status

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
