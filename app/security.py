"""Route guards. Every view carries one; tests walk the URL map and fail on any view without a guard."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, g, request
from flask_login import current_user

from services import lockout
from services.auth import resolve_token
from services.models import User
from services.permissions import has_permission
from services.settings import API_TOKEN_ADDRESS_THROTTLE

F = TypeVar("F", bound=Callable[..., Any])
THROTTLE_SECONDS = int(API_TOKEN_ADDRESS_THROTTLE.window.total_seconds())
TOKEN_THROTTLED = (f"Too many requests with a wrong, expired or revoked token from your address: try again in "
                   f"{THROTTLE_SECONDS // 60} minutes")


def public(view: F) -> F:
    """Deliberately open: sign-in, health check, the OpenAPI document."""
    view._mappa_guard = "public"  # type: ignore[attr-defined]
    return view


def requires(permission: str) -> Callable[[F], F]:
    """Signed-in (cookie session) users holding ``permission``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from app.extensions import login_manager

                return login_manager.unauthorized()
            if not has_permission(cast(User, current_user._get_current_object()), permission):
                abort(403)
            return view(*args, **kwargs)

        guarded._mappa_guard = permission  # type: ignore[attr-defined]
        return cast(F, guarded)

    return decorate


def api_requires(permission: str) -> Callable[[F], F]:
    """API clients with a bearer token whose user holds ``permission``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            from app.api.errors import api_error

            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            given = token.strip() if scheme.lower() == "bearer" else ""
            address = lockout.address_key("token", request.remote_addr)
            if given and lockout.address_throttled(address, API_TOKEN_ADDRESS_THROTTLE):
                return api_error(429, TOKEN_THROTTLED, headers={"Retry-After": str(THROTTLE_SECONDS)})
            user = resolve_token(given) if given else None
            if user is None:
                if given:  # a wrong, expired or revoked token counts against the client address
                    lockout.count_address(address, API_TOKEN_ADDRESS_THROTTLE)
                return api_error(401, "A valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
            if not has_permission(user, permission):
                return api_error(403, f"Your role does not allow this ({permission})")
            g.api_user = user
            return view(*args, **kwargs)

        guarded._mappa_guard = permission  # type: ignore[attr-defined]
        return cast(F, guarded)

    return decorate


def can(permission: str) -> bool:
    """For templates: may the signed-in user do this? (Navigation shows only what a user can open.)"""
    return bool(current_user.is_authenticated and has_permission(cast(User, current_user._get_current_object()),
                                                                  permission))


def signed_in_user() -> User:
    return cast(User, current_user._get_current_object())


def api_user() -> User:
    return cast(User, g.api_user)
