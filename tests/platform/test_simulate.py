"""`make simulate` run tiny through the same entry point: two areas, 60 cases, 40 days. The year must really have
happened: every step the simulated staff say they completed is in the case history, the timers the sweeps
report fired are history rows, and so are the overdue flags the sweeps set."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import psycopg
import pytest

from bench.common import replace_section, sections
from bench.simulate import main, markdown
from tests.conftest import PG_URL

MEETING_STEPS = {"Write minutes", "MAPP meeting review"}  # completed by services.meetings, not by a task form


def test_tiny_simulation_drives_real_work(tmp_path: Path) -> None:
    db_path, out = tmp_path / "simulate.db", tmp_path / "simulate.json"
    result = main(["--areas", "2", "--cases", "60", "--days", "40", "--driven", "northshire,southmoor",
                   "--db", str(db_path), "--out", str(out), "--no-results", "--quiet"])

    assert json.loads(out.read_text())["steps_run"] == result["steps_run"]
    assert result["errors"] == 0, result["first_errors"]
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT COUNT(*) FROM area").fetchone()[0] == 2
    assert con.execute("SELECT COUNT(*) FROM mappa_case").fetchone()[0] == result["cases"] >= 60
    assert {r[0] for r in con.execute("SELECT DISTINCT category FROM mappa_case")} == {1, 2, 3, 4}

    # steps: what the simulated staff completed is exactly what the history recorded, step by step; the only
    # other completions are the minutes and reviews a MAPP meeting completes
    staff, history = result["steps_by_simulated_staff_by_task"], result["steps_by_task"]
    assert result["steps_run"] > result["steps_by_simulated_staff"] > 0
    assert {name: history.get(name) for name in staff} == staff
    assert set(history) - set(staff) == MEETING_STEPS
    assert history["Write minutes"] == result["minutes_submitted"] > 0
    assert 0 < history["MAPP meeting review"] <= staff["Approve minutes"]
    # every case at the start was referred, checked, screened and linked to ViSOR (three completions each, made
    # once per template by the engine and cloned): the rest of the history's completions are the year's steps
    at_start = result["cases"] - result["referrals_created"]
    completed = con.execute("SELECT COUNT(*) FROM case_event WHERE kind = 'task_completed'").fetchone()[0]
    assert completed == 3 * at_start + result["steps_run"]
    assert result["steps_run"] == result["task_completed_events_written"]
    for step in ("Level 1 review", "Research agenda item (police)", "Approve minutes", "Distribute minutes",
                 "Update ViSOR"):
        assert staff.get(step, 0) > 0, step

    # timers and overdue work, as the sweeps reported them, against the rows they wrote
    assert result["timers_fired"] == result["timer_fired_events_written"] > 0
    assert result["timers_fired"] == con.execute("SELECT COUNT(*) FROM case_event WHERE kind = 'timer_fired'"
                                                 ).fetchone()[0]
    assert result["overdue_marked"] == result["task_overdue_events_written"] > 0
    assert result["overdue_marked"] == con.execute("SELECT COUNT(*) FROM case_event WHERE kind = 'task_overdue'"
                                                   ).fetchone()[0]
    assert con.execute("SELECT COUNT(*) FROM human_task WHERE overdue").fetchone()[0] > 0
    assert result["meetings_held"] > 0 and result["agenda_items"] > 0
    con.close()

    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n")
    replace_section("simulate", markdown(result), results)
    assert "National simulation" in sections(results.read_text())["simulate"]



@pytest.mark.skipif(not PG_URL, reason="the year on PostgreSQL needs the machine's server (MAPPA_TEST_DATABASE_URL)")
def test_tiny_simulation_on_postgresql(tmp_path: Path) -> None:
    """Built in SQLite, copied into PostgreSQL (bench/pgcopy.py), the year driven there through the same services."""
    assert PG_URL
    url = f"{PG_URL}_simulate"
    try:
        result = main(["--areas", "2", "--cases", "60", "--days", "30", "--driven", "southmoor",
                       "--db", str(tmp_path / "simulate.db"), "--database-url", url,
                       "--out", str(tmp_path / "simulate.json"), "--no-results", "--quiet"])
        assert result["database"] == "postgresql" and result["errors"] == 0, result["first_errors"]
        with psycopg.connect(url) as con:
            def count(kind: str) -> int:
                row = con.execute("SELECT COUNT(*) FROM case_event WHERE kind = %s", (kind,)).fetchone()
                assert row is not None
                return int(row[0])

            cases = con.execute("SELECT COUNT(*) FROM mappa_case").fetchone()
            assert cases is not None and cases[0] == result["cases"]
            assert count("task_completed") == 3 * (result["cases"] - result["referrals_created"]) + result["steps_run"]
            assert result["steps_run"] == result["task_completed_events_written"] > 0
            assert result["timers_fired"] == count("timer_fired") > 0
            assert result["overdue_marked"] == count("task_overdue")
        assert result["db_bytes"] > 0 and "National simulation on PostgreSQL" in markdown(result)
    finally:
        with psycopg.connect(f"{PG_URL.rsplit('/', 1)[0]}/postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
