"""Where the sweep runs.

- Production (``flask mappa scheduler``, one process beside the web workers): :func:`run_scheduler` takes the sweep
  lock for the life of the process and sweeps every ``MAPPA_SCHEDULER_SECONDS``, writing a heartbeat that
  ``/readyz`` reads. A second scheduler waits, trying the lock every ``MAPPA_SCHEDULER_POLL_SECONDS``, and takes
  over within that time once the first is gone (the database releases the lock when its connection drops).
- Development (``make run``, ``MAPPA_SCHEDULER=1``): :func:`start_scheduler` runs the sweep in the web process on
  a background thread; each sweep takes the same lock for its own length, so it never overlaps a ``tick``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from services.sweep_lock import SweepLock

log = logging.getLogger(__name__)


def _sweep_once(app: Flask, held: SweepLock | None = None) -> bool:
    """One sweep in its own app context; False when another process holds the lock. Failures are logged, the
    scheduler goes on (each failing instance is an incident for the process owner, raised by the sweep itself)."""
    from services.db import db
    from services.scheduler import beat, sweep

    with app.app_context():
        try:
            report = sweep(held=held)
            if not report.ran:
                return False
            if report.timers_fired or report.tasks_marked_overdue or report.incidents_raised:
                log.info("sweep: %s timers fired, %s tasks overdue, %s incidents raised",
                         report.timers_fired, report.tasks_marked_overdue, report.incidents_raised)
            for error in report.errors:
                log.warning("sweep: %s", error)
            beat()
        except Exception:
            db.session.rollback()
            log.exception("scheduler sweep failed")
        finally:
            db.session.remove()
    return True


def start_scheduler(app: Flask) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True, timezone="UTC")
    scheduler.add_job(lambda: _sweep_once(app), "interval", seconds=app.config["MAPPA_SCHEDULER_SECONDS"],
                      id="sweep", max_instances=1, coalesce=True)
    scheduler.start()
    app.extensions["mappa.scheduler"] = scheduler
    return scheduler


def run_scheduler(app: Flask, stop: threading.Event, say: Callable[[str], None] = log.info) -> int:
    """The scheduler process's loop until ``stop`` is set; returns the number of sweeps it ran."""
    from services.db import db

    interval = float(app.config["MAPPA_SCHEDULER_SECONDS"])
    poll = float(app.config["MAPPA_SCHEDULER_POLL_SECONDS"])
    with app.app_context():
        lock = SweepLock(db.engine)
    sweeps = 0
    waiting_said = False
    try:
        while not stop.is_set():
            if not lock.held or not lock.alive():
                if not lock.try_acquire():
                    if not waiting_said:
                        say("scheduler: another scheduler holds the sweep lock; waiting to take over")
                        waiting_said = True
                    stop.wait(poll)
                    continue
                say(f"scheduler: holding the sweep lock; sweeping every {interval:g}s")
                waiting_said = False
            if _sweep_once(app, lock):
                sweeps += 1
                say(f"scheduler: sweep {sweeps} done")
            stop.wait(interval)
    finally:
        lock.release()
    return sweeps
