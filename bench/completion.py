"""Just the completion ratio of issue 13, quickly, on SQLite and PostgreSQL (for before/after a change):

    .venv/bin/python -m bench.completion [--cases 1000] [--samples 200] [--databases sqlite,postgresql] [--fresh]

HTTP completion p50 (``POST /api/v1/tasks/{id}/complete``, ``check_referral``) / (authenticated no-op
``GET /api/v1/settings`` p50 + raw SpiffWorkflow on the same step p50), measured as ``make bench`` measures them
(bench/scenarios.py: same server, client, warm-up, step and raw engine), and the same ratio in CPU time (this
process's, client and server thread; steadier than wall-clock when other work shares the cores), on a copy of a
generated data set (bench/out/completion-N.db, and PostgreSQL database ``bench_completion_N``), so the main
benchmark's data sets are untouched.
Each run starts from a fresh copy of the generated data (``--fresh`` regenerates it). Prints one line per database.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from typing import Any

from bench.common import (
    BENCH_NOW,
    OUT,
    PG_SERVER,
    ROOT,
    Client,
    Timings,
    log,
    make_app,
    remove_db,
    serve,
    token_for,
)
from bench.scenarios import (
    NOOP,
    STEP_DATA,
    WARMUP,
    _ready_check_referrals,
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
    from bench.pgcopy import copy_into

    return copy_into(copy, f"{PG_SERVER}/bench_completion_{cases}")["url"]


def _timed(run: Any, count: int) -> tuple[float, float]:
    """p50 wall-clock and p50 CPU time (this process: client and server thread) of ``run(i)``, in ms, after
    WARMUP untimed runs. CPU time moves less than wall-clock when other work shares the machine's cores."""
    wall, cpu = Timings(), Timings()
    for number in range(count + WARMUP):
        started, cpu_started = time.perf_counter(), time.process_time()
        run(number)
        if number >= WARMUP:
            wall.add(time.perf_counter() - started)
            cpu.add(time.process_time() - cpu_started)
    return wall.p50, cpu.p50


def measure(database: str, cases: int, samples: int, source: Any) -> dict[str, Any]:
    from services.auth import user_by_username
    from services.catalogue import latest_model, parsed
    from services.db import db
    from services.models import HumanTask, ProcessInstance
    from workflows import Engine

    target = _target(database, cases, source)
    app = make_app(target)
    with app.app_context():
        token = token_for("coordinator")
        coordinator = user_by_username("coordinator")
        assert coordinator is not None
        task_ids = _ready_check_referrals("northshire", coordinator.id, samples + WARMUP + 1)
        last = db.session.get(HumanTask, task_ids[-1])
        assert last is not None
        instance = db.session.get(ProcessInstance, last.instance_id)
        assert instance is not None
        state, task_uuid, model = instance.state, last.task_uuid, parsed(latest_model("mappa_referral"))
        db.session.remove()
    out: dict[str, Any] = {}
    with serve(app) as (host, port):
        client = Client(host, port, token)

        def noop(_number: int) -> None:
            status, body, _size = client.request("GET", NOOP)
            assert status == 200, (status, body)

        def complete(number: int) -> None:
            path = f"/api/v1/tasks/{task_ids[number]}/complete"
            status, body, _size = client.request("POST", path, {"data": STEP_DATA})
            assert status == 200, (status, body)

        out["noop"], out["noop_cpu"] = _timed(noop, samples)
        out["http"], out["http_cpu"] = _timed(complete, samples)
        client.close()
    with app.app_context():
        db.engine.dispose()
    engine = Engine()  # as bench.scenarios.measure_step: the same model, state and step, in memory

    def raw(_number: int) -> None:
        wf = engine.load(model, state)
        assert engine.complete(wf, task_uuid, dict(STEP_DATA), BENCH_NOW).error is None
        engine.dump(wf)

    out["raw"], out["raw_cpu"] = _timed(raw, samples)
    out["ratio"] = out["http"] / (out["noop"] + out["raw"])
    out["ratio_cpu"] = out["http_cpu"] / (out["noop_cpu"] + out["raw_cpu"])
    return out


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
        lines.append(f"{database}: wall p50 completion {m['http']:.2f} ms / (no-op {m['noop']:.2f} + raw engine "
                     f"{m['raw']:.2f}) = ratio {m['ratio']:.2f}; CPU p50 {m['http_cpu']:.2f} / ({m['noop_cpu']:.2f} + "
                     f"{m['raw_cpu']:.2f}) = {m['ratio_cpu']:.2f}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
