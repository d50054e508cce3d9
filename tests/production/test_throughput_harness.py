"""The throughput benchmark's harness (bench/throughput.py) at a tiny size: gunicorn in production mode on
PostgreSQL, load-client processes completing tasks over HTTP, then exactly-once judged from the database.

It checks the harness counts right and the production shape answers every request; it never times anything
(speed lives in bench/RESULTS.md, from `make bench-throughput`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import throughput
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="the production shape runs on PostgreSQL only")

CLIENTS = 2
COMPLETIONS = 15  # per client: 30 in all
MIXED = 12  # requests of the mixed load, over both clients
MIXED_TASKS = 4  # per client, enough for the completions among them


def test_every_task_is_completed_exactly_once_with_no_errors_through_gunicorn(tmp_path: Path) -> None:
    assert PG_URL is not None
    made = throughput.prepare(PG_URL, CLIENTS, COMPLETIONS + MIXED_TASKS)
    assert [len(c.task_ids) for c in made] == [COMPLETIONS + MIXED_TASKS] * CLIENTS
    server = throughput.start_gunicorn(PG_URL, workers=1, threads=2, log_path=tmp_path / "gunicorn.log")
    try:
        run = throughput.measure(PG_URL, server, throughput.split(made, 0, COMPLETIONS), workers=1, threads=2,
                                 connections=2)
        mixed = throughput.measure(PG_URL, server, throughput.split(made, COMPLETIONS, MIXED_TASKS), workers=1,
                                   threads=2, connections=2, mixed=MIXED)
    finally:
        throughput.stop(server)

    assert run["failures"] == [] and run["errors"] == 0
    assert run["answered_ok"] == {"complete": CLIENTS * COMPLETIONS, "refer": 0}
    assert run["database_added"]["completion_events"] == CLIENTS * COMPLETIONS
    assert run["database_added"]["completed_tasks"] == CLIENTS * COMPLETIONS
    assert run["exactly_once"] is True
    assert len(run["memory"]["workers_mib"]) == 1 and run["memory"]["workers_mib"][0] > 0
    assert run["cold_start_s"] > 0

    assert mixed["failures"] == [] and mixed["errors"] == 0
    assert sum(k["n"] for k in mixed["by_kind"].values()) == MIXED
    assert set(mixed["by_kind"]) == {"inbox", "case", "complete", "refer"}
    assert mixed["database_added"]["completion_events"] == mixed["answered_ok"]["complete"] > 0
    assert mixed["database_added"]["cases"] == mixed["answered_ok"]["refer"] > 0
    assert mixed["exactly_once"] is True


def test_a_completion_answered_twice_would_be_caught() -> None:
    """The exactly-once judgement compares what the clients were told with what the database holds."""
    samples = [("complete", 200, 0.0, 1.0, 5.0), ("complete", 409, 1.0, 2.0, 5.0), ("inbox", 200, 0.5, 1.5, 3.0)]
    summary = throughput.summarise(samples)
    assert summary["errors"] == 1
    assert summary["by_kind"]["complete"] == {**summary["by_kind"]["complete"], "n": 2, "ok": 1, "errors": 1}
    assert throughput.judge({"complete": 1, "refer": 0},
                            {"completion_events": 2, "completed_tasks_in_events": 1, "completed_tasks": 1,
                             "cases": 0}) is False
    assert throughput.judge({"complete": 1, "refer": 0},
                            {"completion_events": 1, "completed_tasks_in_events": 1, "completed_tasks": 1,
                             "cases": 0}) is True


def test_the_shared_machine_warning_reads_the_load_before_the_run() -> None:
    """The run's own clients, gunicorn and PostgreSQL load the machine: only the load before it tells of others."""
    assert throughput.shared_machine({"cpus": 2, "load_average": [0.4, 0.3, 0.2]}) is False
    assert throughput.shared_machine({"cpus": 2, "load_average": [3.1, 2.0, 1.0]}) is True
