"""MAPPA Flow web layer: the app factory. Views parse, authorise, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.config import load_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path, overrides=config))
    from app.jsonbody import SafeJSONProvider

    app.json = SafeJSONProvider(app)  # request.get_json refuses deep nesting, bad UTF-8, NUL and lone surrogates
    # Order matters: database first (everything needs it), then the clock and sign-in that read it,
    # then CSRF, templates, the id converter, blueprints and the commands and scheduler that use them all.
    from app import extensions
    from app.logs import init_logging
    from app.text_guard import init_text_guard

    init_logging(app)

    extensions.init_database(app)
    extensions.init_clock(app)
    extensions.init_login(app)
    extensions.init_upload_limits(app)
    extensions.init_script_limits(app)
    init_text_guard(app)
    extensions.init_csrf(app)
    from app.templating import configure_templates

    configure_templates(app)
    from app.assets import init_assets

    init_assets(app)
    register_routing(app)
    register_blueprints(app)
    extensions.init_transactions(app)
    from app.submissions import init_submissions

    init_submissions(app)  # after init_transactions: a form's answer is remembered before the request commits
    from app.cli import register_cli

    register_cli(app)
    if app.config["MAPPA_ENV"] == "production":
        refuse_demo_users(app)
    if app.config["MAPPA_SCHEDULER"]:
        from app.scheduler import start_scheduler

        start_scheduler(app)
    return app


def refuse_demo_users(app: Flask) -> None:
    from app.config import UnsafeConfiguration
    from services.db import db
    from services.demo import demo_users_present

    with app.app_context():
        present = demo_users_present()
        if present:
            db.session.remove()
            db.engine.dispose()  # this app will not serve: close its connections now, not at garbage collection
    if present:
        raise UnsafeConfiguration(
            f"MAPPA Flow will not start in production mode: demo users exist ({', '.join(present)})")


def register_routing(app: Flask) -> None:
    """Before any route is added: every ``<int:...>`` id is bounded to what the database can hold."""
    from app.routing import DatabaseId

    app.url_map.converters["int"] = DatabaseId


def register_blueprints(app: Flask) -> None:
    from app.account.routes import bp as account
    from app.admin.routes import bp as admin
    from app.api import bp as api
    from app.area_tasks.routes import bp as area_tasks
    from app.auth.routes import bp as auth
    from app.cases.routes import bp as cases
    from app.csods.routes import bp as csods
    from app.errors import register_error_handlers
    from app.health import bp as health
    from app.inbox.routes import bp as inbox
    from app.meetings import papers as _papers  # noqa: F401 - registers the papers, recordings and sharing views
    from app.meetings.routes import bp as meetings
    from app.notifications.routes import bp as notifications
    from app.settings.routes import bp as settings
    from app.smb.routes import bp as smb
    from app.statistics import annual_routes as _annual  # noqa: F401 - registers the annual and trends views
    from app.statistics.routes import bp as statistics
    from app.studio import changes as _changes  # noqa: F401 - registers the compare and migrate views
    from app.studio import editor as _editor  # noqa: F401 - registers the draft editor's views
    from app.studio import form_editor as _form_editor  # noqa: F401 - registers the form editor's views
    from app.studio import trials as _trials  # noqa: F401 - registers the trial run views
    from app.studio.routes import bp as studio

    for blueprint in (auth, inbox, cases, meetings, statistics, area_tasks, studio, account, admin, settings,
                      notifications, api, health, csods, smb):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
