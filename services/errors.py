"""Domain errors the web layer turns into pages and API responses."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class PreconditionFailed(DomainError):
    """Saved by someone else since you loaded it (a stale If-Match): carries what is saved now."""

    status = 412

    def __init__(self, message: str, current: object) -> None:
        super().__init__(message)
        self.current = current


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ValidationFailed(DomainError):
    status = 422

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors
