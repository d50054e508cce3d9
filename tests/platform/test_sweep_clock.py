"""A sweep for another instant (`tick --now`) moves the clock of the sweeping thread only."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from flask import Flask

from services import clock, scheduler
from tests.api.conftest import Api, referral
from tests.conftest import TEST_NOW

FUTURE = datetime(2027, 3, 1, 9, tzinfo=UTC)


def test_request_served_while_a_future_sweep_runs_sees_the_app_clock(
    app: Flask, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.headers("probation")  # the token exists before the sweep starts
    paused, resume = threading.Event(), threading.Event()
    seen_by_sweep: list[datetime] = []
    reports: list[scheduler.SweepReport] = []

    def hold(now: datetime, report: scheduler.SweepReport) -> None:  # a sweep step that waits for the request
        seen_by_sweep.append(clock.now())
        paused.set()
        assert resume.wait(timeout=60)

    monkeypatch.setattr(scheduler, "STEPS", (scheduler.STEPS[0], hold, *scheduler.STEPS[1:]))

    def run_sweep() -> None:
        with app.app_context():
            try:
                reports.append(scheduler.sweep(FUTURE))
            finally:
                paused.set()

    sweeper = threading.Thread(target=run_sweep)
    sweeper.start()
    try:
        assert paused.wait(timeout=60)
        created = api.post("probation", "/api/v1/cases", json=referral())
        history = api.get("probation", f"/api/v1/cases/{created.get_json()['id']}/history")
    finally:
        resume.set()
        sweeper.join(timeout=120)
    assert reports and reports[0].ran and not reports[0].errors, reports
    assert seen_by_sweep == [FUTURE]
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["reference"].startswith("NO-2026-")
    events = history.get_json()["events"]
    assert {e["at"] for e in events} == {TEST_NOW.isoformat()}, events
    assert clock.now() == TEST_NOW  # and the app's clock is as the test left it


def test_as_of_is_per_context_and_nests(app: Flask) -> None:
    with clock.as_of(FUTURE):
        assert clock.now() == FUTURE
        seen: list[datetime] = []
        other = threading.Thread(target=lambda: _read_in_app(app, seen))
        other.start()
        other.join()
        assert seen == [TEST_NOW]
        with clock.as_of(datetime(2028, 1, 1, tzinfo=UTC)):
            assert clock.today().year == 2028
        assert clock.now() == FUTURE
    assert clock.now() == TEST_NOW
    with pytest.raises(ValueError), clock.as_of(datetime(2027, 1, 1)):
        pass


def _read_in_app(app: Flask, seen: list[datetime]) -> None:
    with app.app_context():
        seen.append(clock.now())
