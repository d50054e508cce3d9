"""Route guards. Every view carries one; tests walk the URL map and fail on any view without a guard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, g, request
from flask_login import current_user

from services import lockout, relationships
from services.access import log_access
from services.auth import check_token
from services.models import HumanTask, User
from services.permissions import has_permission, refusal
from services.settings import API_TOKEN_ADDRESS_THROTTLE
from services.tasks import may_see

F = TypeVar("F", bound=Callable[..., Any])
THROTTLE_SECONDS = int(API_TOKEN_ADDRESS_THROTTLE.window.total_seconds())
TOKEN_THROTTLED = (f"Too many requests with a wrong, expired or revoked token from your address: try again in "
                   f"{THROTTLE_SECONDS // 60} minutes")


def public(view: F) -> F:
    """Deliberately open: sign-in, health check, the OpenAPI document."""
    view._mappa_guard = "public"  # type: ignore[attr-defined]
    return view


def _needed(permission: str, write: str | None) -> str:
    """The permission this request needs: reading (GET/HEAD) or, when a route also writes, writing."""
    return write if write and request.method not in ("GET", "HEAD") else permission


def _refused(user: User, permission: str) -> None:
    log_access(user, "permission_refused", None, f"{permission}: {request.method} {request.path}")


def _mark(guarded: F, permission: str, write: str | None) -> F:
    # read by the route tests and the access matrix (tests/security): what each route asks, per method
    guarded._mappa_guard = permission  # type: ignore[attr-defined]
    guarded._mappa_write_guard = write or permission  # type: ignore[attr-defined]
    return guarded


def requires(permission: str, *, write: str | None = None) -> Callable[[F], F]:
    """Signed-in (cookie session) users holding ``permission`` (``write`` for POST/PUT, when given).

    The permission's relationship (services.permissions.Scope) is checked where the object is loaded.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from app.extensions import login_manager

                return login_manager.unauthorized()
            user = cast(User, current_user._get_current_object())
            g.acting_user = user
            needed = _needed(permission, write)
            if not has_permission(user, needed):
                _refused(user, needed)
                abort(403, refusal(needed))
            g.checked = relationships.check(user, needed, kwargs, writing=request.method not in ("GET", "HEAD"))
            return view(*args, **kwargs)

        return _mark(cast(F, guarded), permission, write)

    return decorate


def api_requires(permission: str, *, write: str | None = None) -> Callable[[F], F]:
    """API clients with a bearer token whose user holds ``permission`` (``write`` for POST/PUT, when given)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            from app.api.errors import api_error

            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            given = token.strip() if scheme.lower() == "bearer" else ""
            address = lockout.address_key("token", request.remote_addr)
            checked = check_token(given, address, API_TOKEN_ADDRESS_THROTTLE) if given else None
            if checked is not None and checked.throttled:
                return api_error(429, TOKEN_THROTTLED, headers={"Retry-After": str(THROTTLE_SECONDS)})
            user = checked.user if checked is not None else None
            if user is None:
                if given:  # a wrong, expired or revoked token counts against the client address
                    lockout.count_address(address, API_TOKEN_ADDRESS_THROTTLE)
                return api_error(401, "A valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
            g.acting_user = user
            needed = _needed(permission, write)
            if not has_permission(user, needed):
                _refused(user, needed)
                return api_error(403, f"{refusal(needed)} (permission {needed})")
            g.api_user = user
            # what the check loaded (the task, with its case) stays referenced for the request: the view's loads
            # of it are then answered from the session, not by the database again
            g.checked = relationships.check(user, needed, kwargs, writing=request.method not in ("GET", "HEAD"))
            return view(*args, **kwargs)

        return _mark(cast(F, guarded), permission, write)

    return decorate


def can(permission: str) -> bool:
    """For templates: may the signed-in user do this? (Navigation shows only what a user can open.)"""
    return bool(current_user.is_authenticated and has_permission(cast(User, current_user._get_current_object()),
                                                                  permission))


def can_open(endpoint: str) -> bool:
    """For navigation: may the signed-in user open this page? Reads the permission its route's guard names."""
    from flask import current_app

    view = current_app.view_functions.get(endpoint)
    permission = getattr(view, "_mappa_guard", None)
    return permission == "public" or (permission is not None and can(permission))


def can_open_task(task: HumanTask) -> bool:
    """For links to a task: would its page open for the signed-in user, or answer 404 (services.tasks.may_see)?"""
    return can_open("inbox.task_page") and may_see(signed_in_user(), task)


def signed_in_user() -> User:
    return cast(User, current_user._get_current_object())


def api_user() -> User:
    return cast(User, g.api_user)
