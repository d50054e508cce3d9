"""Production shape (issue 13): one scheduler process sweeps; a second waits and takes over when the first is
killed; no timer fires twice. Real processes (`flask mappa scheduler`) against the test's own database; on
PostgreSQL they run in production mode (MAPPA_ENV=production) and hold the advisory lock, on SQLite the file lock.

The schedulers run on the wall clock (production refuses a clock override), so the custody cases are planned to
have their level-setting timer due yesterday by the real calendar and not yet by the test's frozen clock.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from services.db import db
from services.models import CaseEvent, HumanTask, SchedulerHeartbeat
from tests.api.conftest import Api
from tests.lifecycle.test_lifecycle_api import identify

ROOT = Path(__file__).resolve().parents[2]
CASES = 3
SWEEPS = 20
DEADLINE = 60.0  # seconds for any one thing we wait on (a process start is about 2 s here)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


def _release_date_with_level_setting_due_yesterday() -> str:
    """custody.bpmn opens level setting 28 days before six months before release (the area's default notice)."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    return _add_months(yesterday + timedelta(days=28), 6).isoformat()


class Scheduler:
    """A `flask mappa scheduler` process whose output lines are read on a thread."""

    def __init__(self, env: dict[str, str], name: str) -> None:
        self.name = name
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "mappa", "scheduler"], cwd=ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True, name=f"read-{name}")
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:  # closed here at the end of the output, not left to the garbage collector
            for line in self.process.stdout:
                self.lines.put(line.rstrip())

    def wait_for(self, words: str) -> float:
        """Seconds until a line containing ``words`` is printed (fails after DEADLINE)."""
        started = time.monotonic()
        while time.monotonic() - started < DEADLINE:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if words in line:
                return time.monotonic() - started
        pytest.fail(f"{self.name} never said {words!r}; it said:\n" + "\n".join(self.seen))

    def sweeps(self) -> int:
        return sum(1 for line in self.seen if "sweep " in line and line.endswith(" done"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=DEADLINE)
        self.reader.join(timeout=DEADLINE)


@pytest.fixture
def schedulers() -> Iterator[list[Scheduler]]:
    started: list[Scheduler] = []
    yield started
    for scheduler in started:
        scheduler.stop()


def _environment(app: Flask) -> dict[str, str]:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAPPA_", "FLASK_"))}
    env |= {"FLASK_APP": "app:create_app", "DATABASE_URL": uri, "MAPPA_SCHEDULER_SECONDS": "0.1",
            "MAPPA_SCHEDULER_POLL_SECONDS": "0.2", "PYTHONUNBUFFERED": "1"}
    if uri.startswith("postgresql"):
        env |= {"MAPPA_ENV": "production", "SECRET_KEY": "s" * 48}
    else:
        env["SECRET_KEY"] = "test-secret"
    return env


def test_one_scheduler_sweeps_a_second_takes_over_and_no_timer_fires_twice(
    app: Flask, api: Api, schedulers: list[Scheduler]
) -> None:
    release = _release_date_with_level_setting_due_yesterday()
    case_ids = []
    for n in range(CASES):
        j = identify(app, api, username="prison", custody=True, release_date=release, category=2,
                     offender={"name": f"Custody Case {n}"})
        j.do("probation", "Confirm MAPPA eligibility", {"eligible": "yes", "confirmed_category": 2,
                                                        "eligibility_facts": "GBH, 4 years."})
        j.do("police", "Create or link ViSOR record", {"visor_reference": f"VS{n}"})
        case_ids.append(j.case_id)
    # production mode refuses to start while users with the demo users' names exist; these are the test's own
    db.session.execute(text("UPDATE user_account SET username = 'test-' || username"))
    db.session.commit()
    assert _fired(case_ids) == 0

    first = Scheduler(_environment(app), "first")
    schedulers.append(first)
    first.wait_for("holding the sweep lock")
    second = Scheduler(_environment(app), "second")
    schedulers.append(second)
    second.wait_for("waiting to take over")
    first.wait_for("sweep 5 done")
    assert second.sweeps() == 0

    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=DEADLINE)
    took_over = second.wait_for("holding the sweep lock")
    while first.sweeps() + second.sweeps() < SWEEPS:
        second.wait_for(" done")
    second.process.send_signal(signal.SIGTERM)
    second.wait_for("scheduler: stopped after")
    assert second.process.wait(timeout=DEADLINE) == 0

    assert took_over < 0.2 + 10, f"the second scheduler took {took_over:.1f}s to take over"
    assert _fired(case_ids) == CASES  # each case's level-setting timer fired exactly once
    assert db.session.scalar(select(func.count(HumanTask.id)).where(
        HumanTask.name == "MAPPA level setting", HumanTask.case_id.in_(case_ids))) == CASES
    heartbeat = db.session.get(SchedulerHeartbeat, "sweep")
    assert heartbeat is not None and heartbeat.sweeps >= SWEEPS


def _fired(case_ids: list[int]) -> int:
    """Counted in a transaction of its own, ended at once: on SQLite an open one would lock the schedulers out."""
    db.session.commit()
    fired = int(db.session.scalar(select(func.count(CaseEvent.id)).where(
        CaseEvent.kind == "timer_fired", CaseEvent.case_id.in_(case_ids))) or 0)
    db.session.commit()
    return fired
