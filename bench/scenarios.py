"""(a) the inbox and (b) task completion against one generated data set, over HTTP to a real server; and the
same completion step in-process and in raw SpiffWorkflow."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy import text

from bench.common import (
    BENCH_NOW,
    OUT,
    Client,
    StatementCounter,
    Target,
    Timings,
    backend,
    log,
    make_app,
    serve,
    token_for,
)

WARMUP = 20
# the equal page compared across sizes, at most this: the coordinator's open tasks at the smallest size, if fewer
INBOX_PAGE = 25


def inbox_page_size(target: Target) -> int:
    """A page the coordinator fills at this (the smallest) size: their open tasks, at most INBOX_PAGE."""
    from services.auth import user_by_username
    from services.db import db
    from services.tasks import task_counts

    app = make_app(target)
    with app.app_context():
        coordinator = user_by_username("coordinator")
        assert coordinator is not None
        size = min(INBOX_PAGE, task_counts(coordinator).open)
        db.session.remove()
        db.engine.dispose()
    return max(size, 1)
SERVICE_SAMPLES = 100
STEP_DATA = {"referral_complete": "yes"}


# --- (a) inbox and (b) completion against one data set -----------------------------------------------------------


def _ready_check_referrals(area_code: str, coordinator_id: int, limit: int) -> list[int]:
    from services.db import db

    rows = (
        db.session.execute(
            text(
                "SELECT t.id FROM human_task t JOIN area a ON a.id = t.area_id WHERE a.code = :area "
                "AND t.state = 'ready' AND t.bpmn_id = 'check_referral' "
                "AND (t.assignee_id IS NULL OR t.assignee_id = :uid) ORDER BY t.id LIMIT :n"
            ),
            {"area": area_code, "uid": coordinator_id, "n": limit},
        )
        .scalars()
        .all()
    )
    return list(rows)


def _colliding_area() -> str | None:
    """The smallest other area whose reference prefix (first two letters of the code) is northshire's."""
    from services.db import db

    row = db.session.execute(
        text(
            "SELECT a.code FROM area a LEFT JOIN mappa_case c ON c.area_id = a.id "
            "WHERE substr(a.code, 1, 2) = 'no' AND a.code != 'northshire' GROUP BY a.id ORDER BY COUNT(c.id), a.code "
            "LIMIT 1"
        )
    ).first()
    return row[0] if row else None


def _inbox_plan(user: Any, limit: int = INBOX_PAGE) -> list[str]:
    """The database's plan for the coordinator's inbox query (one page of ``limit``), as the app builds it."""
    from services.db import db
    from services.tasks import InboxFilter, inbox_query

    try:
        compiled = inbox_query(user, InboxFilter(limit=limit)).compile(
            db.engine, compile_kwargs={"literal_binds": True}
        )
        if db.engine.dialect.name == "postgresql":
            return [row[0] for row in db.session.execute(text(f"EXPLAIN (COSTS OFF) {compiled}"))]
        return [row[3] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    except Exception as err:  # noqa: BLE001 - the plan is informative only
        return [f"n/a ({err.__class__.__name__})"]


def measure_dataset(
    cases: int,
    requests: int,
    completions: int,
    what_if: bool,
    target: Target | None = None,
    page: int = INBOX_PAGE,
) -> dict[str, Any]:
    from services.auth import user_by_username
    from services.db import db

    target = OUT / f"bench-{cases}.db" if target is None else target
    app = make_app(target)
    out: dict[str, Any] = {"backend": backend(target)}
    with app.app_context():
        counter = StatementCounter(db.engine)
        collide = _colliding_area()
        users = ["coordinator", "probation"] + ([f"{collide}_probation"] if collide else [])
        tokens = {name: token_for(name) for name in users}
        coordinator = user_by_username("coordinator")
        assert coordinator is not None
        coordinator_id = coordinator.id
        out["inbox_plan"] = _inbox_plan(coordinator, page)
        db.session.remove()
    with serve(app) as (host, port):
        client = Client(host, port, tokens["coordinator"])
        out["floor"] = _floor(client, requests)
        out["noop"] = _floor(client, requests, NOOP)
        out["inbox"] = _inbox(client, counter, requests)
        out["inbox_page"] = _inbox(client, counter, requests, f"/api/v1/tasks?limit={page}")
        log(
            f"{backend(target)} {cases}: no-op {NOOP} p50 {out['noop']['p50_ms']:.2f} ms; inbox page of "
            f"{out['inbox_page']['tasks_returned']} p50 {out['inbox_page']['p50_ms']:.2f} ms"
        )
        log(
            f"{cases}: inbox p50 {out['inbox']['p50_ms']:.1f} ms, p95 {out['inbox']['p95_ms']:.1f} ms, SQL p50 "
            f"{out['inbox']['sql_p50_ms']:.1f} ms ({out['inbox']['tasks_returned']} tasks, "
            f"{out['inbox']['statements']} SQL statements)"
        )
        if completions:
            need = completions + WARMUP + SERVICE_SAMPLES + 10 + 1  # HTTP, then the in-process runs of measure_step
            with app.app_context():
                have = len(_ready_check_referrals("northshire", coordinator_id, need))
                db.session.remove()
            if have < need:  # top up with fresh referrals (untimed) so that every completion has its own task
                referrer = Client(host, port, tokens["probation"])
                for _ in range(need - have):
                    status, body, _size = referrer.request("POST", "/api/v1/cases", referral_body())
                    assert status == 201, (status, body)
                referrer.close()
                out["topped_up_referrals"] = need - have
                log(f"{cases}: topped up {need - have} referrals for the completion runs")
            with app.app_context():
                task_ids = _ready_check_referrals("northshire", coordinator_id, completions + WARMUP)
                db.session.remove()
            out["complete_http"] = _complete_http(client, counter, task_ids)
            log(
                f"{cases}: HTTP completion p50 {out['complete_http']['p50_ms']:.1f} ms, "
                f"p95 {out['complete_http']['p95_ms']:.1f} ms"
            )
        client.close()
        for key, user, area in (
            ("create_referral", "probation", "northshire"),
            ("create_referral_collide", f"{collide}_probation", collide),
        ):
            if area is None:
                continue
            referrer = Client(host, port, tokens[user])
            out[key] = _create_referrals(referrer, counter, 20, area) | {"area": area}
            referrer.close()
            log(
                f"{cases}: create referral in {area} p50 {out[key]['p50_ms']:.1f} ms "
                f"({out[key]['statements']} SQL statements)"
            )
        if what_if:
            out["what_if"] = _what_if(
                app,
                client_factory=lambda: Client(host, port, tokens["coordinator"]),
                counter=counter,
                requests=requests,
            )
    with app.app_context():
        db.engine.dispose()
    return out


# an authenticated no-op API request: the token check, the guard and one small read of the area's settings
NOOP = "/api/v1/settings"


def _floor(client: Client, requests: int, path: str = "/healthz") -> dict[str, Any]:
    """GET /healthz (one SELECT 1, no auth, no write) on the same server: the floor under every request; or another
    read-only path (``NOOP``)."""
    timings = Timings()
    for number in range(requests + WARMUP):
        started = time.perf_counter()
        status, body, _size = client.request("GET", path)
        elapsed = time.perf_counter() - started
        assert status == 200, (status, body)
        if number >= WARMUP:
            timings.add(elapsed)
    return timings.summary()


def _inbox(client: Client, counter: StatementCounter, requests: int, path: str = "/api/v1/tasks") -> dict[str, Any]:
    for _ in range(WARMUP):
        status, body, _size = client.request("GET", path)
        assert status == 200, (status, body)
    timings, sql = Timings(), Timings()
    statements = []
    sizes = []
    tasks_returned = 0
    for _ in range(requests):
        before, sql_before = counter.count, counter.seconds
        started = time.perf_counter()
        status, body, size = client.request("GET", path)
        timings.add(time.perf_counter() - started)
        sql.add(counter.seconds - sql_before)
        statements.append(counter.count - before)
        assert status == 200, (status, body)
        tasks_returned = len(body["tasks"])
        sizes.append(size)
    with counter.capture():  # one more, untimed, to see its slowest statement
        status, body, _size = client.request("GET", path)
    return timings.summary() | {
        "slowest": counter.slowest(),
        "tasks_returned": tasks_returned,
        "statements": max(statements),
        "response_bytes": max(sizes),
        "sql_p50_ms": round(sql.p50, 3),
        "sql_p95_ms": round(sql.p95, 3),
    }


def _complete_http(client: Client, counter: StatementCounter, task_ids: list[int]) -> dict[str, Any]:
    timings, sql = Timings(), Timings()
    statements = []
    captured: list[str] = []
    slowest: dict[str, Any] = {}
    for number, task_id in enumerate(task_ids):
        before, sql_before = counter.count, counter.seconds
        # keep the statements of one completion: what does it run?
        watch: AbstractContextManager[list[str]] = counter.capture() if number == WARMUP else nullcontext([])
        with watch as seen:
            started = time.perf_counter()
            status, body, _size = client.request("POST", f"/api/v1/tasks/{task_id}/complete", {"data": STEP_DATA})
            elapsed = time.perf_counter() - started
        if number == WARMUP:
            captured, slowest = list(seen), counter.slowest()
        assert status == 200, (status, body)
        if number >= WARMUP:
            timings.add(elapsed)
            sql.add(counter.seconds - sql_before)
            statements.append(counter.count - before)
    kinds = Counter(
        " ".join(t.split()[:2]) if not t.lstrip().upper().startswith("SELECT") else "SELECT" for t in captured
    )
    state_writes = sum(
        1
        for t in captured
        if t.lstrip().upper().startswith("UPDATE PROCESS_INSTANCE") and "state=" in t.replace(" ", "")
    )
    return timings.summary() | {
        "statements": round(statistics.median(statements)),
        "sql_p50_ms": round(sql.p50, 3),
        "statement_kinds": dict(sorted(kinds.items())),
        "state_writes": state_writes,
        "slowest": slowest,
    }


def referral_body(area: str = "northshire") -> dict[str, Any]:
    """A valid POST /api/v1/cases body: the API tests' own helper, so it follows the API as it changes."""
    from tests.api.conftest import referral

    return referral(area=area)


def _create_referrals(client: Client, counter: StatementCounter, count: int, area: str) -> dict[str, Any]:
    body = referral_body(area)
    timings = Timings()
    statements = []
    for number in range(count + 3):
        before = counter.count
        started = time.perf_counter()
        status, response, _size = client.request("POST", "/api/v1/cases", body)
        elapsed = time.perf_counter() - started
        assert status == 201, (status, response)
        if number >= 3:
            timings.add(elapsed)
            statements.append(counter.count - before)
    with counter.capture():  # one more, untimed, to see its slowest statement
        status, response, _size = client.request("POST", "/api/v1/cases", body)
    assert status == 201, (status, response)
    return timings.summary() | {"statements": round(statistics.median(statements)), "slowest": counter.slowest()}


# Every column of the inbox filter, only over ready rows: completed history never enters it.
WHAT_IF_COLUMNS = "human_task (area_id, role, assignee_id, due_date) WHERE state = 'ready'"
WHAT_IF_INDEX = f"CREATE INDEX bench_what_if_inbox ON {WHAT_IF_COLUMNS}"


def _what_if(app: Any, client_factory: Any, counter: StatementCounter, requests: int) -> dict[str, Any]:
    """Re-measure the inbox with a partial index of ready tasks: not part of the app's schema, dropped after."""
    from services.db import db

    client = client_factory()
    baseline = _inbox(client, counter, requests)  # the same data, just before: a like-for-like comparison
    client.close()
    with app.app_context():
        db.session.execute(text(WHAT_IF_INDEX))
        db.session.execute(text("ANALYZE human_task"))
        db.session.commit()
        db.session.remove()
    client = client_factory()
    try:
        result = _inbox(client, counter, requests)
    finally:
        client.close()
        with app.app_context():
            db.session.execute(text("DROP INDEX bench_what_if_inbox"))
            db.session.execute(text("ANALYZE human_task"))
            db.session.commit()
            db.session.remove()
    log(
        f"what-if index: inbox p50 {baseline['p50_ms']:.1f} -> {result['p50_ms']:.1f} ms, SQL p50 "
        f"{baseline['sql_p50_ms']:.1f} -> {result['sql_p50_ms']:.1f} ms"
    )
    return {"baseline": baseline, "with_index": result, "index": WHAT_IF_COLUMNS}


# --- (b) the same step without HTTP, and in raw SpiffWorkflow ---------------------------------------------------


def measure_step(
    cases: int, samples: int, service_samples: int = SERVICE_SAMPLES, target: Target | None = None
) -> dict[str, Any]:
    """``check_referral`` completed by the service layer in-process, and by the bare engine in memory."""
    from services.auth import user_by_username
    from services.catalogue import latest_model, parsed
    from services.db import db
    from services.models import HumanTask, ProcessInstance
    from services.tasks import complete
    from workflows import Engine

    app = make_app(OUT / f"bench-{cases}.db" if target is None else target)
    out: dict[str, Any] = {}
    with app.app_context():
        coordinator = user_by_username("coordinator")
        assert coordinator is not None
        task_ids = _ready_check_referrals("northshire", coordinator.id, service_samples + 10 + 1)
        # one instance waiting at check_referral: its stored state is the raw engine's input
        first = db.session.get(HumanTask, task_ids[-1])
        assert first is not None
        instance = db.session.get(ProcessInstance, first.instance_id)
        assert instance is not None
        state, task_uuid = instance.state, first.task_uuid
        model = parsed(latest_model("mappa_referral"))
        assert instance.model_id == latest_model("mappa_referral").id
        if len(task_ids) >= service_samples + 10 + 1:
            timings = Timings()
            for number, task_id in enumerate(task_ids[:-1]):
                started = time.perf_counter()
                complete(coordinator, task_id, dict(STEP_DATA))
                db.session.commit()
                if number >= 10:
                    timings.add(time.perf_counter() - started)
            out["complete_service"] = timings.summary()
        db.session.remove()
        db.engine.dispose()

    engine = Engine()  # workflows.Engine directly: same model, same restricted scripts, same serialiser
    now = BENCH_NOW
    parts = {"load": Timings(), "complete": Timings(), "dump": Timings(), "total": Timings()}
    size = 0
    for number in range(samples + WARMUP):
        t0 = time.perf_counter()
        wf = engine.load(model, state)
        t1 = time.perf_counter()
        result = engine.complete(wf, task_uuid, dict(STEP_DATA), now)
        t2 = time.perf_counter()
        dumped = engine.dump(wf)
        t3 = time.perf_counter()
        assert result.error is None and result.completed, result.error
        if number >= WARMUP:
            parts["load"].add(t1 - t0)
            parts["complete"].add(t2 - t1)
            parts["dump"].add(t3 - t2)
            parts["total"].add(t3 - t0)
        size = len(dumped)
    out["raw_engine"] = {k: v.summary() for k, v in parts.items()} | {
        "state_bytes_in": len(state),
        "state_bytes_out": size,
    }
    log(
        f"raw engine p50 {parts['total'].p50:.2f} ms (load {parts['load'].p50:.2f}, complete+steps "
        f"{parts['complete'].p50:.2f}, dump {parts['dump'].p50:.2f})"
    )
    return out
