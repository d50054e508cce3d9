"""The managers' views at scale: the area work list (GET /api/v1/area-tasks, over HTTP to a real server, as the
``manager``) and the overdue dashboard (services.overdue.dashboard in-process, as the statistics page calls it),
against a data set from bench.generate. Reports p50/p95 and SQL statements per request; asserts nothing on time.

    .venv/bin/python -m bench.generate --cases 100000
    .venv/bin/python -m bench.worklist --cases 100000 [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from bench.common import OUT, Client, StatementCounter, Timings, log, make_app, serve, token_for

WARMUP = 10
QUERIES = {  # what a manager asks the work list
    "all open, most overdue first": "",
    "overdue": "?overdue=true",
    "overdue, one step": "?overdue=true&step=Check%20referral%20is%20complete",
    "unclaimed, due soon": "?unclaimed=true&due_soon=true",
    "page 20 of all open": "?page=20",
}


def _http(client: Client, counter: StatementCounter, path: str, requests: int) -> dict[str, Any]:
    for _ in range(WARMUP):
        status, body, _size = client.request("GET", path)
        assert status == 200, (status, body)
    timings, sql, statements = Timings(), Timings(), []
    for _ in range(requests):
        before, sql_before = counter.count, counter.seconds
        started = time.perf_counter()
        status, body, _size = client.request("GET", path)
        timings.add(time.perf_counter() - started)
        sql.add(counter.seconds - sql_before)
        statements.append(counter.count - before)
        assert status == 200, (status, body)
    with counter.capture():
        client.request("GET", path)
    return timings.summary() | {"sql_p50_ms": round(sql.p50, 3), "statements": max(statements),
                                "rows": len(body["tasks"]), "counts": body["counts"], "slowest": counter.slowest()}


def _dashboard(counter: StatementCounter, requests: int) -> dict[str, Any]:
    from services.auth import user_by_username
    from services.db import db
    from services.overdue import dashboard

    manager = user_by_username("manager")
    assert manager is not None
    timings, statements = Timings(), []
    for number in range(requests + WARMUP):
        before = counter.count
        started = time.perf_counter()
        board = dashboard(manager)
        elapsed = time.perf_counter() - started
        db.session.rollback()  # the access-log row of each run
        if number >= WARMUP:
            timings.add(elapsed)
            statements.append(counter.count - before)
    return timings.summary() | {"statements": max(statements), "overdue": board.overdue, "due_soon": board.due_soon,
                                "steps": len(board.by_step), "review_overdue": len(board.review_overdue),
                                "no_meeting_booked": board.no_meeting_booked}


def measure(cases: int, requests: int) -> dict[str, Any]:
    from services.db import db

    app = make_app(OUT / f"bench-{cases}.db")
    out: dict[str, Any] = {"cases": cases, "requests": requests}
    with app.app_context():
        counter = StatementCounter(db.engine)
        token = token_for("manager")
        out["open_tasks_northshire"] = db.session.execute(db.text(
            "SELECT count(*) FROM human_task t JOIN area a ON a.id = t.area_id "
            "WHERE a.code = 'northshire' AND t.state = 'ready'")).scalar()
        out["dashboard"] = _dashboard(counter, requests)
        log(f"{cases}: dashboard p50 {out['dashboard']['p50_ms']:.1f} ms ({out['dashboard']['statements']} SQL)")
        db.session.remove()
    with serve(app) as (host, port):
        client = Client(host, port, token)
        out["work_list"] = {}
        for label, query in QUERIES.items():
            result = _http(client, counter, f"/api/v1/area-tasks{query}", requests)
            out["work_list"][label] = result
            log(f"{cases}: work list {label}: p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
                f"{result['statements']} SQL, {result['counts']['open']} matching")
        client.close()
    with app.app_context():
        db.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    result = measure(args.cases, args.requests)
    path = OUT / f"worklist-{args.cases}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
