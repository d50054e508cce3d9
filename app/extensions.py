"""Extension set-up, one small function per concern (called in order by create_app)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request, session
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event

from services import access
from services.clock import Clock
from services.db import db
from services.instances import limit_scripts

login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()


def init_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        options.setdefault("connect_args", {}).update({"timeout": 30, "check_same_thread": False})
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    if uri.startswith("sqlite"):
        with app.app_context():
            _sqlite_pragmas(db.engine)


def _sqlite_pragmas(engine: Any) -> None:
    """WAL, a busy timeout and BEGIN IMMEDIATE: a deferred transaction fails fast with 'database is locked'."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_clock(app: Flask) -> None:
    app.extensions["mappa.clock"] = Clock()


def init_login(app: Flask) -> None:
    from services.auth import resolve_session

    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(session_id: str) -> Any:
        user = resolve_session(session_id)
        if user is not None:
            user.session_id = session_id
        return user


# Endpoints that take large uploads; everything else keeps the app-wide MAX_CONTENT_LENGTH (5 MB).
LARGE_UPLOADS = {"meetings.attach_recording": 201 * 1024 * 1024}


def init_upload_limits(app: Flask) -> None:
    """Before CSRF protection reads the form, so the per-endpoint limit applies to that read too."""

    @app.before_request
    def _upload_limit() -> None:
        limit = LARGE_UPLOADS.get(request.endpoint or "")
        if limit:
            request.max_content_length = limit


def init_script_limits(app: Flask) -> None:
    """The time limit of BPMN scripts and expressions (MAPPA_SCRIPT_SECONDS); sizes keep workflows.limits' defaults."""
    limit_scripts(app.config["MAPPA_SCRIPT_SECONDS"])


def init_csrf(app: Flask) -> None:
    csrf.init_app(app)


def init_transactions(app: Flask) -> None:
    """One transaction per request: commit on success, roll back on any error response."""

    @app.before_request
    def _begin() -> None:
        access.forget_refusals()  # refusals logged outside a request (CLI, tests) are not this request's

    @app.after_request
    def _commit(response: Response) -> Response:
        status = response.status_code
        refusal_logged = access.refusals_logged()
        if status >= 400 and status not in (401, 404, 422):
            db.session.rollback()  # a refused or failed change leaves nothing half-written...
            access.keep_refusals()  # ...but the record of its refusal stays
        if status in (403, 404) and not refusal_logged:
            _log_refusal(status)
        try:  # 401, 404 and 422 pages still carry access-log rows (refused and failed attempts are logged)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        finally:
            access.forget_refusals()
        return response

    @app.teardown_request
    def _cleanup(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()


def _log_refusal(status: int) -> None:
    """Every refused request by a known user leaves a security-log row, unless a service already wrote one."""
    user = g.get("acting_user")
    if user is None:
        return
    reason = "not found or not yours to see" if status == 404 else "refused"
    access.log_access(user, "access_refused", None, f"{status} {request.method} {request.path}: {reason}")


__all__ = ["csrf", "g", "login_manager", "request", "session"]
