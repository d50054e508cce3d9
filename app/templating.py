"""Jinja set-up: template loaders, London date filters, role names and the per-request CSP nonce."""

import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, g, request
from flask_login import current_user
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from services.models import User
from services.notifications import unread_count
from workflows.lanes import role_name

LONDON = ZoneInfo("Europe/London")
TEMPLATES = Path(__file__).parent / "templates"


def configure_templates(app: Flask) -> None:
    """Find templates in app/templates, blueprint folders (Flask's own dispatch) and govuk_frontend_jinja/."""
    from app.security import can, can_open, can_open_task

    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["can_open"] = can_open
    app.jinja_env.globals["can_open_task"] = can_open_task
    app.jinja_env.globals["unread_notifications"] = unread_notifications
    loaders: list[BaseLoader] = [FileSystemLoader(TEMPLATES)]
    if app.jinja_loader is not None:
        loaders.append(app.jinja_loader)
    loaders.append(PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}))
    app.jinja_loader = ChoiceLoader(loaders)
    app.jinja_env.filters.update(london_datetime=london_datetime, london_date=london_date, iso=iso, role_name=role_name)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(set_security_headers)


def to_london(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC, which is how we store them."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LONDON)


def london_datetime(value: datetime | None) -> str:
    """25 Nov 2026 at 2:30pm"""
    if value is None:
        return ""
    local = to_london(value)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%b %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def london_date(value: date | datetime | None) -> str:
    """25 November 2026"""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value).date()
    return f"{value.day} {value:%B %Y}"


def iso(value: date | datetime | None) -> str:
    return value.isoformat() if value else ""


def unread_notifications() -> int:
    """The signed-in person's unread notifications, for the navigation (counted once per request)."""
    if "unread_notifications" not in g:
        g.unread_notifications = unread_count(cast(User, current_user._get_current_object()))
    return int(g.unread_notifications)


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def set_security_headers(response: Response) -> Response:
    policy = (
        f"default-src 'self'; script-src 'self' 'nonce-{csp_nonce()}'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    )
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        # case data must never sit in a browser or proxy cache: every page, PDF, .ics and API answer
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
