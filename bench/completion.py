"""Just the completion ratio of issue 13, quickly, on SQLite and PostgreSQL (for before/after a change):

    .venv/bin/python -m bench.completion [--cases 1000] [--samples 200] [--databases sqlite,postgresql] [--fresh]

HTTP completion p50 (``POST /api/v1/tasks/{id}/complete``, ``check_referral``) / (authenticated no-op
``GET /api/v1/settings`` p50 + raw SpiffWorkflow on the same step p50), measured as ``make bench`` measures them
(bench/scenarios.py: same server, client, warm-up and step), on a copy of a generated data set (bench/out/
completion-N.db, and PostgreSQL database ``bench_completion_N``), so the main benchmark's data sets are untouched.
Each run starts from a fresh copy of the generated data (``--fresh`` regenerates it). Prints one line per database.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Any

from bench.common import OUT, PG_SERVER, ROOT, Client, StatementCounter, log, make_app, remove_db, serve, token_for
from bench.scenarios import (
    NOOP,
    WARMUP,
    _complete_http,
    _floor,
    _ready_check_referrals,
    measure_step,
    referral_body,
)


def _source(cases: int, fresh: bool, need: int) -> Any:
    source = OUT / f"completion-{cases}-source.db"
    if fresh or not source.exists():
        remove_db(source)
        log(f"generating {cases} open cases into {source.relative_to(ROOT)}")
        command = [sys.executable, "-m", "bench.generate", "--cases", str(cases), "--db", str(source), "--quiet"]
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - our interpreter
    _top_up(source, need)
    return source


def _top_up(source: Any, need: int) -> None:
    """Enough ready ``check_referral`` tasks for every timed completion (fresh referrals, untimed)."""
    from services.auth import user_by_username
    from services.db import db

    app = make_app(source)
    with app.app_context():
        coordinator = user_by_username("coordinator")
        assert coordinator is not None
        have = len(_ready_check_referrals("northshire", coordinator.id, need))
        token = token_for("probation")
        db.session.remove()
    if have < need:
        with serve(app) as (host, port):
            referrer = Client(host, port, token)
            for _ in range(need - have):
                status, body, _size = referrer.request("POST", "/api/v1/cases", referral_body())
                assert status == 201, (status, body)
            referrer.close()
        log(f"topped up {need - have} referrals")
    with app.app_context():
        db.engine.dispose()


def _target(database: str, cases: int, source: Any) -> Any:
    copy = OUT / f"completion-{cases}.db"
    remove_db(copy)
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:  # a consistent copy (WAL included)
        src.backup(dst)
    if database == "sqlite":
        return copy
    from bench.pgcopy import copy_to_postgres

    return copy_to_postgres(copy, cases, url=f"{PG_SERVER}/bench_completion_{cases}")["url"]


def measure(database: str, cases: int, samples: int, source: Any) -> dict[str, Any]:
    from services.auth import user_by_username
    from services.db import db

    target = _target(database, cases, source)
    app = make_app(target)
    with app.app_context():
        counter = StatementCounter(db.engine)
        token = token_for("coordinator")
        coordinator = user_by_username("coordinator")
        assert coordinator is not None
        task_ids = _ready_check_referrals("northshire", coordinator.id, samples + WARMUP)
        db.session.remove()
    with serve(app) as (host, port):
        client = Client(host, port, token)
        noop = _floor(client, samples, NOOP)
        http = _complete_http(client, counter, task_ids)
        client.close()
    with app.app_context():
        db.engine.dispose()
    step = measure_step(cases, samples, service_samples=0, target=target)
    raw = step["raw_engine"]["total"]["p50_ms"]
    ratio = http["p50_ms"] / (noop["p50_ms"] + raw)
    return {"noop": noop["p50_ms"], "raw": raw, "http": http["p50_ms"], "http_p95": http["p95_ms"],
            "statements": http["statements"], "ratio": ratio}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--fresh", action="store_true", help="regenerate the data set")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    source = _source(args.cases, args.fresh, args.samples + WARMUP + 11)
    lines = []
    for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
        m = measure(database, args.cases, args.samples, source)
        lines.append(f"{database}: completion p50 {m['http']:.2f} ms (p95 {m['http_p95']:.2f}, {m['statements']} SQL) "
                     f"/ (no-op {m['noop']:.2f} + raw engine {m['raw']:.2f}) = ratio {m['ratio']:.2f}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
