"""The MAPPA Flow benchmark (``make bench``): generates the data, measures, writes bench/RESULTS.md, prints the table.

    .venv/bin/python -m bench.run [--sizes 1000,100000] [--requests 300] [--completions 200] [--periods 300]

Measures, in one run:
  (a) inbox API latency, GET /api/v1/tasks as ``coordinator``, at each size of open cases;
  (b) HTTP task completion (POST /api/v1/tasks/{id}/complete, ``check_referral``) at the largest size, against
      the same step in the service layer without HTTP and against raw SpiffWorkflow in memory
      (deserialise -> complete -> engine steps -> serialise with ``workflows.Engine``);
  (c) one case driven through many review periods with an injected clock: completion time, timer-sweep time and
      stored state size of review period 10 against the last one.
Requests go over loopback to a real werkzeug server (single-threaded) running the app in a background thread.
Nothing here asserts on time; the numbers are reported, not judged.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from bench.common import OUT, RESULTS_MD, ROOT, keep_sections, log, max_rss_mib
from bench.report import render
from bench.review import measure_review_periods
from bench.scenarios import inbox_page_size, measure_dataset, measure_step
from bench.sweep import measure_sweep

RESULTS_JSON = OUT / "results.json"


# --- the machine -----------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    versions = {}
    for dist in ("SpiffWorkflow", "Flask", "Werkzeug", "SQLAlchemy", "Flask-SQLAlchemy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "?"
    commit = _git("rev-parse", "--short", "HEAD") or "?"
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += " + uncommitted changes"
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 2**20, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        **versions,
        "commit": commit,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg_start": _loadavg(),
        "postgresql": _postgres_version(),
    }


def _postgres_version() -> str:
    try:
        import psycopg

        from bench.common import PG_SERVER

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3) as con:
            row = con.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except Exception as err:  # noqa: BLE001 - reported in the machine table only
        return f"not reachable ({err.__class__.__name__})"


def _loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _git(*args: str) -> str:
    git = shutil.which("git")
    if git is None:
        return ""
    done = subprocess.run([git, *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip()


# --- data ------------------------------------------------------------------------------------------------------


def generate(cases: int, reuse: bool) -> dict[str, Any]:
    """Run the generator in its own process (its peak memory is then its own)."""
    db_path = OUT / f"bench-{cases}.db"
    stats_path = OUT / f"bench-{cases}.json"
    if reuse and db_path.exists() and stats_path.exists():
        log(f"reusing {db_path.name} (--reuse)")
        return json.loads(stats_path.read_text())
    log(f"generating {cases} open cases into {db_path.relative_to(ROOT)}")
    command = [sys.executable, "-m", "bench.generate", "--cases", str(cases), "--db", str(db_path)]
    command += ["--stats", str(stats_path), "--quiet"]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - our interpreter, module
    return json.loads(stats_path.read_text())


def _sweep_again(rounds: int) -> None:
    """(d) again, on the data sets of the last run (their timers moved on: the earliest waiting ones fall due)."""
    results = json.loads(RESULTS_JSON.read_text())
    for database, by_size in results["sweep"].items():
        for size in by_size:
            target: Any = OUT / f"bench-{size}.db"
            if database == "postgresql":
                target = results["postgresql"]["data"][size]["url"]
            by_size[size] = measure_sweep(target, rounds=rounds)
    results["sweep_measured_again"] = f"{machine()['date']} at {machine()['commit']}"
    RESULTS_JSON.write_text(json.dumps(results, indent=1, default=str))


# --- driver ----------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="MAPPA Flow benchmark")
    parser.add_argument("--sizes", default="1000,100000", help="open-case counts (default 1000,100000)")
    parser.add_argument("--requests", type=int, default=300, help="timed inbox requests per size (default 300)")
    parser.add_argument("--completions", type=int, default=200, help="timed HTTP completions (default 200)")
    parser.add_argument("--periods", type=int, default=300, help="review periods for (c) (default 300)")
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="sqlite and/or postgresql (the machine's server on 127.0.0.1:5432, databases bench_N); default both",
    )
    parser.add_argument("--sweep-rounds", type=int, default=2, help="timed sweeps (and timer steps) per data set")
    parser.add_argument("--reuse", action="store_true", help="reuse generated databases (development only)")
    parser.add_argument("--what-if", action="store_true", help="also measure the data with the extra index in "
                        "bench/scenarios.py (WHAT_IF_INDEX)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not rewrite bench/RESULTS.md")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite bench/RESULTS.md from the last run's bench/out/results.json, measure nothing",
    )
    parser.add_argument("--sweep-only", action="store_true", help="measure the sweep (d) again on the last run's data "
                        "sets and rewrite bench/RESULTS.md from bench/out/results.json with it")
    args = parser.parse_args(argv)
    if args.sweep_only:
        _sweep_again(args.sweep_rounds)
        args.render_only = True
    if args.render_only:
        printed, md = render(json.loads(RESULTS_JSON.read_text()))
        if not args.no_write:
            RESULTS_MD.write_text(keep_sections(md))
        print(printed)
        return
    sizes = sorted(int(s) for s in args.sizes.split(","))
    started = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "machine": machine(),
        "sizes": sizes,
        "data": {},
        "measured": {},
        "args": " ".join(argv if argv is not None else sys.argv[1:]).strip(),
    }
    big = max(sizes)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if "postgresql" in databases and results["machine"]["postgresql"].startswith("not reachable"):
        log(f"PostgreSQL on 127.0.0.1:5432 is {results['machine']['postgresql']}: measuring SQLite only")
        databases.remove("postgresql")
    pg: dict[str, Any] = {"data": {}, "measured": {}}
    results["sweep"] = {"sqlite": {}, "postgresql": {}}
    for size in sizes:
        results["data"][str(size)] = generate(size, args.reuse)
        if "postgresql" in databases:  # copied before any measurement changes the SQLite file
            from bench.pgcopy import copy_to_postgres

            log(f"copying {size} open cases into PostgreSQL bench_{size}")
            pg["data"][str(size)] = copy_to_postgres(OUT / f"bench-{size}.db", size)
            log(f"copied in {pg['data'][str(size)]['copy_seconds']} s")
    results["inbox_page"] = page = inbox_page_size(OUT / f"bench-{sizes[0]}.db")
    log(f"equal inbox page: {page} tasks (the coordinator's open tasks at {sizes[0]}, at most 25)")
    for database in databases:
        for size in sizes:
            target: Any = OUT / f"bench-{size}.db"
            if database == "postgresql":
                target = pg["data"][str(size)]["url"]
            gc.collect()
            measured = measure_dataset(
                size,
                args.requests,
                args.completions if size == big else 0,
                what_if=args.what_if and size == big and database == "sqlite",
                target=target,
                page=page,
            )
            (results["measured"] if database == "sqlite" else pg["measured"])[str(size)] = measured
        target = OUT / f"bench-{big}.db" if database == "sqlite" else pg["data"][str(big)]["url"]
        step = measure_step(big, args.completions, target=target)
        if database == "sqlite":
            results["step"] = step
        else:
            pg["step"] = step
        for size in sizes:  # last: the sweep changes the data set
            target = OUT / f"bench-{size}.db" if database == "sqlite" else pg["data"][str(size)]["url"]
            results["sweep"][database][str(size)] = measure_sweep(target, rounds=args.sweep_rounds)
    if "postgresql" in databases:
        results["postgresql"] = pg
    log(f"review periods: {args.periods}")
    results["review"] = measure_review_periods(args.periods)
    results["max_rss_mib"] = max_rss_mib()
    results["generator_max_rss_mib"] = max_rss_mib(resource.RUSAGE_CHILDREN)
    results["total_s"] = time.perf_counter() - started
    results["machine"]["loadavg_end"] = _loadavg()
    RESULTS_JSON.write_text(json.dumps(results, indent=1, default=str))  # first: --render-only can redo the rest
    printed, md = render(results)
    if not args.no_write:
        RESULTS_MD.write_text(keep_sections(md))
        log(f"wrote {RESULTS_MD.relative_to(ROOT)} and {RESULTS_JSON.relative_to(ROOT)}")
    print(printed)


if __name__ == "__main__":
    main()
