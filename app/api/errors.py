"""API errors as JSON: ``{"error": {"status", "message", "errors"?}}``; ``errors`` lists field paths on 422."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, jsonify
from werkzeug.exceptions import HTTPException

from services.errors import DomainError, FieldError, PreconditionFailed, ValidationFailed

INVALID = "The request has invalid fields"


def api_error(status: int, message: str, *, headers: Mapping[str, str] | None = None,
              errors: list[FieldError] | None = None) -> Response:
    body: dict[str, object] = {"status": status, "message": message}
    if status == 422:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors or []]
    response = jsonify(error=body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, message)])


def first_per_field(errors: list[FieldError]) -> list[FieldError]:
    """One message per field, as on the GOV.UK pages (a wrong type also fails the enum: say the first)."""
    seen: dict[str, FieldError] = {}
    for error in errors:
        seen.setdefault(error.field, error)
    return list(seen.values())


def _validation_failed(err: ValidationFailed) -> Response:
    return api_error(422, INVALID, errors=first_per_field(err.errors))


# A 412 carries what is saved now: type of ``PreconditionFailed.current`` -> (JSON, extra headers such as ETag).
CurrentSerialiser = Callable[[Any], tuple[dict[str, Any], dict[str, str]]]
_CURRENT: dict[type, CurrentSerialiser] = {}


def register_current(kind: type, serialise: CurrentSerialiser) -> None:
    _CURRENT[kind] = serialise


def _precondition_failed(err: PreconditionFailed) -> Response:
    """412: ``{"error": {...}, "current": <the resource as saved now>}`` with its ETag, so nothing is lost."""
    response = api_error(412, err.message)
    serialise = next((f for kind, f in _CURRENT.items() if isinstance(err.current, kind)), None)
    if serialise is not None:
        current, headers = serialise(err.current)
        response = jsonify(error={"status": 412, "message": err.message}, current=current)
        response.status_code = 412
        response.headers.update(headers)
    return response


def _domain_error(err: DomainError) -> Response:
    return api_error(err.status, err.message)


def _http_error(err: HTTPException) -> Response:
    status = err.code or 500
    headers = {k: v for k, v in err.get_headers() if k.lower() != "content-type"}
    return api_error(status, err.description or err.name, headers=headers)


def register_error_handlers(bp: Blueprint) -> None:
    """Errors raised inside API views; unknown /api/ paths (404, 405) reach app.errors, which calls api_error."""
    bp.register_error_handler(ValidationFailed, _validation_failed)
    bp.register_error_handler(PreconditionFailed, _precondition_failed)
    bp.register_error_handler(DomainError, _domain_error)
    bp.register_error_handler(HTTPException, _http_error)
