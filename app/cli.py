"""`flask mappa ...` commands: tick, token create, seed-demo, sync-models."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from services.db import db

mappa = AppGroup("mappa", help="MAPPA Flow administration.")


@mappa.command("tick")
@click.option("--now", "now_text", default=None, help="Run the sweep as of this ISO 8601 instant (tests, demos).")
def tick(now_text: str | None) -> None:
    """Run one scheduler sweep: fire due BPMN timers and mark overdue tasks."""
    from services import clock
    from services.scheduler import sweep

    now = None
    if now_text:
        if not current_app.config["MAPPA_ALLOW_CLOCK_OVERRIDE"]:
            raise click.UsageError("--now is refused unless MAPPA_ALLOW_CLOCK_OVERRIDE=1")
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter("use an ISO 8601 instant, e.g. 2027-01-10T09:00:00+00:00") from None
        if now.tzinfo is None:
            raise click.BadParameter("give a time zone, e.g. 2027-01-10T09:00:00Z")
    report = sweep(now or clock.now())
    if not report.ran:
        click.echo("Another scheduler holds the sweep lock; nothing done.")
        return
    click.echo(
        f"Timers fired: {report.timers_fired}; tasks newly overdue: {report.tasks_marked_overdue}; "
        f"incidents raised: {report.incidents_raised}"
    )
    for error in report.errors:
        click.echo(f"Error: {error}", err=True)


@mappa.command("scheduler")
def scheduler() -> None:
    """Run the scheduler process: hold the sweep lock and sweep every MAPPA_SCHEDULER_SECONDS until stopped.

    Run one beside the web workers (``make prod`` does); a second waits and takes over when the first dies.
    """
    import signal
    import threading

    from app.scheduler import run_scheduler

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sweeps = run_scheduler(app, stop, say=lambda line: click.echo(line, err=False))
    click.echo(f"scheduler: stopped after {sweeps} sweeps")


@mappa.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Back up the database to TARGET while the service runs (SQLite online backup; pg_dump custom format)."""
    from services.backup import BackupError, backup

    try:
        backup(current_app.config["SQLALCHEMY_DATABASE_URI"], target)
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Backed up to {target} ({target.stat().st_size:,} bytes)")


@mappa.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(source: Path) -> None:
    """Restore SOURCE into this app's database, which must be new and empty (DATABASE_URL says which)."""
    from services.backup import BackupError, count_rows, restore

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    db.engine.dispose()  # nothing of ours holds the target open while it is written
    try:
        restore(source, url)
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    counts = count_rows(url)
    click.echo(f"Restored {source}: {len(counts.rows)} tables, {counts.total():,} rows")


@mappa.group("token")
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="Command line", help="A label for the token.")
def token_create(username: str, name: str) -> None:
    """Create an API token for USERNAME and print it (shown once)."""
    from services.auth import create_token, user_by_username

    user = user_by_username(username)
    if user is None:
        raise click.UsageError(f"no user {username!r}")
    _row, text = create_token(user, name)
    db.session.commit()
    click.echo(text)


@mappa.command("sync-models")
def sync_models() -> None:
    """Publish the shipped BPMN models in bpmn/ as new versions where they changed."""
    from services.catalogue import sync_shipped_models

    rows = sync_shipped_models()
    db.session.commit()
    for row in rows:
        click.echo(f"Published {row.process_id} version {row.version}")
    if not rows:
        click.echo("Models are up to date.")


@mappa.command("seed-demo")
@click.option("--cases", default=30, show_default=True)
def seed_demo(cases: int) -> None:
    """Load demo areas, users (passwords generated and printed) and cases. Safe to run twice."""
    from services.demo import seed

    result = seed(case_count=cases)
    db.session.commit()
    if result.passwords:
        click.echo("Demo users (username / password / roles):")
        for username, password, roles in result.passwords:
            click.echo(f"  {username:18} {password}  {roles}")
    else:
        click.echo(
            "Demo users already exist; passwords were printed when they were created "
            "(reset with `flask mappa reset-password USERNAME`)."
        )
    click.echo(f"Cases created: {result.cases_created}; meetings scheduled: {result.meetings_created}")


@mappa.command("reset-password")
@click.argument("username")
def reset_password(username: str) -> None:
    """Generate and print a new password for USERNAME."""
    from services.demo import new_password

    password = new_password(username)
    db.session.commit()
    click.echo(password)


def register_cli(app: Flask) -> None:
    app.cli.add_command(mappa)
