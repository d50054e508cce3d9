"""Jinja set-up: template loaders, London date filters, words for stored codes (services.vocabulary), role names
and the per-request CSP nonce."""

import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from flask import Flask, Response, current_app, g, request
from flask_login import current_user
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from services import history_text, vocabulary
from services.dates import long_date as london_date
from services.dates import long_datetime as london_datetime
from services.dates import to_london as to_london  # re-exported for the studio
from services.models import User
from services.notifications import unread_count
from services.tasks import TaskCounts
from services.tasks import task_counts as count_tasks
from workflows.lanes import role_name

TEMPLATES = Path(__file__).parent / "templates"


def configure_templates(app: Flask) -> None:
    """Find templates in app/templates, blueprint folders (Flask's own dispatch) and govuk_frontend_jinja/."""
    from app.security import can, can_open, can_open_task
    from app.submissions import new_submission_id

    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["new_submission_id"] = new_submission_id
    app.jinja_env.globals["can_open"] = can_open
    app.jinja_env.globals["can_open_task"] = can_open_task
    app.jinja_env.globals["unread_notifications"] = unread_notifications
    app.jinja_env.globals["task_counts"] = task_counts
    loaders: list[BaseLoader] = [FileSystemLoader(TEMPLATES)]
    if app.jinja_loader is not None:
        loaders.append(app.jinja_loader)
    loaders.append(PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}))
    app.jinja_loader = ChoiceLoader(loaders)
    app.jinja_env.filters.update(london_datetime=london_datetime, london_date=london_date, iso=iso, role_name=role_name,
                                 human=human, field_label=vocabulary.field_label, case_status=vocabulary.case_status,
                                 instance_status=vocabulary.instance_status, task_state=vocabulary.task_state,
                                 history_lines=history_text.lines)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(set_security_headers)


def human(value: Any, key: str = "") -> str:
    """``{{ value | human("rosh") }}``: a stored value in words (services.vocabulary.label_for)."""
    return vocabulary.label_for(key, value)


def iso(value: date | datetime | None) -> str:
    return value.isoformat() if value else ""


def unread_notifications() -> int:
    """The signed-in person's unread notifications, for the navigation (counted once per request)."""
    if "unread_notifications" not in g:
        g.unread_notifications = unread_count(cast(User, current_user._get_current_object()))
    return int(g.unread_notifications)


def task_counts() -> TaskCounts:
    """The signed-in person's open and overdue tasks, for the navigation (counted once per request)."""
    if "task_counts" not in g:
        g.task_counts = count_tasks(cast(User, current_user._get_current_object()))
    return cast(TaskCounts, g.task_counts)


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
