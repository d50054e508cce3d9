"""Runs the sweep every minute in the web process. The database lease keeps it to one actor at a time."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

log = logging.getLogger(__name__)


def start_scheduler(app: Flask) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True, timezone="UTC")

    def run_sweep() -> None:
        from services.scheduler import sweep

        with app.app_context():
            try:
                report = sweep()
                if report.timers_fired or report.tasks_marked_overdue or report.incidents_raised:
                    log.info(
                        "sweep: %s timers fired, %s tasks overdue, %s incidents raised",
                        report.timers_fired,
                        report.tasks_marked_overdue,
                        report.incidents_raised,
                    )
                for error in report.errors:
                    log.warning("sweep: %s", error)
            except Exception:
                log.exception("scheduler sweep failed")

    scheduler.add_job(
        run_sweep, "interval", seconds=app.config["MAPPA_SCHEDULER_SECONDS"], id="sweep", max_instances=1, coalesce=True
    )
    scheduler.start()
    app.extensions["mappa.scheduler"] = scheduler
    return scheduler
