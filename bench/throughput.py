"""Sustained throughput of the production shape: gunicorn (app/gunicorn_conf.py, MAPPA_ENV=production) on
PostgreSQL, driven over HTTP by load-generator processes (issue 13, "Speed").

    .venv/bin/python -m bench.throughput                 # make bench-throughput
    .venv/bin/python -m bench.throughput --completions 300 --workers 1 2 --no-results   # a quick look

Method (also written into bench/RESULTS.md):

1. A *seed* database (``bench_throughput_seed``) is built once: ``flask db upgrade``, every table emptied, the
   shipped models published (``sync_shipped_models``), one area per load client with a coordinator and a probation
   referrer, an API token for each, and enough open referrals with a ready ``check_referral`` task, created through
   the real service (``services.cases.create_referral``: engine, projections, history).
2. Each run gets a fresh copy (``CREATE DATABASE bench_throughput TEMPLATE bench_throughput_seed``), so 1, 2 and 4
   workers meet the same data. gunicorn starts with the repo's ``app/gunicorn_conf.py`` in production mode (a
   generated ``SECRET_KEY``, a free loopback port); the cold start is from spawning gunicorn to the first 200 from
   ``/readyz``.
3. Load clients are separate processes (``spawn``), each with keep-alive ``http.client`` connections on threads.
   Each client completes only the tasks of its own area with its own coordinator's token, each task once
   (``POST /api/v1/tasks/{id}/complete`` with an ``Idempotency-Key``); nothing is retried. The mixed load is the
   same clients reading the inbox, opening a case (``GET /api/v1/cases/{id}``), completing and referring
   (``POST /api/v1/cases``, as the area's probation referrer).
4. Afterwards, exactly-once is checked in the database: ``task_completed`` history rows and completed
   ``human_task`` rows added by the run equal the completions answered 200, no task has two history rows, and
   the cases added equal the referrals answered 201. RSS of each worker is read from ``/proc`` after the run.

The load clients' CPU competes with gunicorn and PostgreSQL for the same cores; both are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.common import OUT, ROOT, log, percentile, replace_section

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_throughput"
STEP_DATA = {"referral_complete": "yes"}
# the mixed load's request kinds in this order, over and over: 40 % inbox, 30 % case page, 20 % completion,
# 10 % referral
MIX = ("inbox", "case", "complete", "inbox", "case", "refer", "inbox", "case", "complete", "inbox")
READY_DEADLINE = 60.0
TARGET_PER_SECOND = 200


# --- the database ------------------------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _admin(url: str, *statements: str) -> None:
    """Run statements (CREATE/DROP DATABASE) on the server's ``postgres`` database, outside a transaction."""
    import psycopg

    with psycopg.connect(_with_database(url, "postgres"), autocommit=True, connect_timeout=5) as connection:
        for statement in statements:
            connection.execute(statement.encode())  # our own statements (database names we chose)


def _exists(url: str) -> bool:
    import psycopg

    with psycopg.connect(_with_database(url, "postgres"), connect_timeout=5) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (_database_name(url),)).fetchone()
    return found is not None


def _flask_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAPPA_", "FLASK_"))}
    return env | {"FLASK_APP": "app:create_app", "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(48),
                  "PYTHONUNBUFFERED": "1"}


@dataclass
class Client:
    """One load client: an area, its coordinator's and referrer's tokens, the tasks it owns, cases it may open."""

    area: str
    coordinator_token: str
    referrer_token: str
    task_ids: list[int] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)


def prepare(url: str, clients: int, tasks_per_client: int) -> list[Client]:
    """Migrate ``url``'s database, empty it, then create areas, users, tokens and open referrals (in-process)."""
    started = time.perf_counter()
    name = _database_name(url)
    if not _exists(url):
        _admin(url, f'CREATE DATABASE "{name}"')
    upgrade = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=_flask_env(url),
                             capture_output=True, text=True, check=False)
    if upgrade.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{upgrade.stderr[-2000:]}")
    made = _fill(url, clients, tasks_per_client)
    log(f"prepared {clients} areas, {clients * tasks_per_client} referrals in {time.perf_counter() - started:.1f} s")
    return made


def _bench_app(url: str) -> Any:
    from app import create_app

    # the harness's own app, which prepares and counts; only gunicorn runs in production mode
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_urlsafe(32),
                       "MAPPA_SCHEDULER": False, "TESTING": False, "MAPPA_ENV": "development"})


def _fill(url: str, clients: int, tasks_per_client: int) -> list[Client]:
    from sqlalchemy import text

    from services.auth import create_token, hash_password
    from services.catalogue import sync_shipped_models
    from services.db import db
    from services.models import Area, User

    app = _bench_app(url)
    made: list[Client] = []
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        sync_shipped_models()
        password = hash_password(secrets.token_urlsafe(16))  # nobody signs in: the load uses API tokens
        for number in range(clients):
            code = f"bench_area_{number + 1}"
            area = Area(code=code, name=f"Bench area {number + 1}")
            db.session.add(area)
            db.session.flush()
            people = {}
            for role, roles, agency in (("coordinator", {"coordinator"}, "MAPPA Unit"),
                                        ("referrer", {"offender_manager", "referrer"}, "Probation")):
                user = User(username=f"bench_{role}_{number + 1}", display_name=f"Bench {role.title()} {number + 1}",
                            agency=agency, area_id=area.id, password_hash=password, active=True)
                user.roles = roles
                db.session.add(user)
                db.session.flush()
                people[role] = user
            made.append(Client(code, create_token(people["coordinator"], "throughput")[1],
                               create_token(people["referrer"], "throughput")[1]))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    # the referrals of each area in a process of its own (the service path is CPU-bound Python)
    context = multiprocessing.get_context("spawn")
    with context.Pool(min(clients, os.cpu_count() or 1)) as pool:
        filled = pool.starmap(_refer, [(url, number + 1, tasks_per_client) for number in range(clients)])
    for client, (case_ids, task_ids) in zip(made, filled, strict=True):
        client.case_ids, client.task_ids = case_ids, task_ids
        assert len(task_ids) == tasks_per_client, (client.area, len(task_ids))
    return made


def _refer(url: str, number: int, count: int) -> tuple[list[int], list[int]]:
    """In a preparing process: ``count`` referrals by area ``number``'s referrer, through the service."""
    from sqlalchemy import select

    from services.auth import user_by_username
    from services.cases import create_referral
    from services.db import db
    from services.models import HumanTask

    app = _bench_app(url)
    case_ids = []
    with app.app_context():
        referrer = user_by_username(f"bench_referrer_{number}")
        assert referrer is not None
        for _ in range(count):
            case = create_referral(referrer, referral_data())
            db.session.commit()
            case_ids.append(case.id)
        task_ids = list(db.session.scalars(
            select(HumanTask.id).where(HumanTask.case_id.in_(case_ids), HumanTask.state == "ready",
                                       HumanTask.bpmn_id == "check_referral").order_by(HumanTask.id)))
        db.session.remove()
        db.engine.dispose()
    return case_ids, task_ids


def referral_data() -> dict[str, Any]:
    """A referral as the service takes it (the form's fields)."""
    return {"offender_name": "John Smith", "date_of_birth": "1980-04-01", "category": 1, "lead_agency": "Probation",
            "level_requested": 2, "custody": False, "rosh": "high",
            "referral_reason": "Escalating behaviour towards ex-partner."}


def referral_body(area: str) -> dict[str, Any]:
    """The same referral as a ``POST /api/v1/cases`` body."""
    return {"offender": {"name": "John Smith", "date_of_birth": "1980-04-01", "pnc_id": "2001/0012345A"},
            "category": 1, "area": area, "lead_agency": "Probation", "custody": False, "rosh": "high",
            "referral_reason": "Escalating behaviour towards ex-partner."}


def counts(url: str) -> dict[str, int]:
    """What exactly-once is judged on: history rows of completions, distinct tasks in them, completed tasks, cases."""
    from sqlalchemy import text

    from services.db import db

    app = _bench_app(url)
    with app.app_context():
        row = db.session.execute(text(
            "SELECT (SELECT count(*) FROM case_event WHERE kind = 'task_completed'),"
            " (SELECT count(DISTINCT (detail ->> 'task')) FROM case_event WHERE kind = 'task_completed'),"
            " (SELECT count(*) FROM human_task WHERE state = 'completed'),"
            " (SELECT count(*) FROM mappa_case)")).one()
        db.session.remove()
        db.engine.dispose()
    return {"completion_events": row[0], "completed_tasks_in_events": row[1], "completed_tasks": row[2],
            "cases": row[3]}


# --- gunicorn ----------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str, timeout: float = 2.0) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    cold_start_s: float
    log_path: Path


def start_gunicorn(url: str, workers: int, threads: int, log_path: Path, extra_env: dict[str, str] | None = None
                   ) -> Server:
    """gunicorn with app/gunicorn_conf.py in production mode; returns once /readyz answers 200."""
    port = _free_port()
    env = _flask_env(url) | {"MAPPA_ENV": "production", "PORT": str(port), "MAPPA_WORKERS": str(workers),
                             "MAPPA_THREADS": str(threads)} | (extra_env or {})
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as output:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "app/gunicorn_conf.py", "app:create_app()"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    while time.monotonic() - started < READY_DEADLINE:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log_path}")
        try:
            if _get(port, "/readyz") == 200:
                return Server(process, port, time.monotonic() - started, log_path)
        except OSError:  # not listening yet
            pass
        time.sleep(0.02)
    stop(Server(process, port, 0.0, log_path))
    raise RuntimeError(f"gunicorn not ready within {READY_DEADLINE} s; see {log_path}")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _pss_mib(pid: int) -> float:
    """Proportional set size: shared pages (the code a preloading master shares with its workers) split between
    the processes that share them."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(server: Server) -> float:
    """CPU seconds used so far by the gunicorn master and its workers."""
    total = 0.0
    for pid in [server.process.pid, *_children(server.process.pid)]:
        with contextlib.suppress(OSError):  # a worker that has just exited
            total += _cpu_seconds(pid)
    return total


def database_cpu(url: str) -> float:
    """CPU seconds used by the PostgreSQL backends now connected to this database (the server is on this machine):
    gunicorn's pooled connections live as long as its workers, so read before stopping it."""
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as connection:
        pids = [row[0] for row in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid != pg_backend_pid()")]
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):  # a backend that has just gone
            total += _cpu_seconds(pid)
    return total


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=20)


# --- the load clients (separate processes) -----------------------------------------------------------------------

Job = tuple[str, str, str, str, Any]  # kind, method, path, token, body


def _drive(port: int, jobs: list[Job], connections: int) -> dict[str, Any]:
    """Run in a load-client process: ``connections`` threads, each a keep-alive connection taking jobs in turn."""
    lock = threading.Lock()
    queue = list(reversed(jobs))
    samples: list[tuple[str, int, float, float, float]] = []  # kind, status, start, end, ms
    failures: list[str] = []

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                kind, method, path, token, body = queue.pop()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers |= {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
            started = time.monotonic()
            try:
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                raw = response.read()
                status = response.status
                if response.will_close:
                    connection.close()  # reopened by the next request
            except (OSError, http.client.HTTPException) as err:
                status, raw = 0, f"{err.__class__.__name__}: {err}".encode()
                connection.close()
            ended = time.monotonic()
            with lock:
                samples.append((kind, status, started, ended, (ended - started) * 1000))
                if status >= 300 or status == 0:
                    failures.append(f"{kind} {path}: {status} {raw[:200]!r}")
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    usage = os.times()
    return {"samples": samples, "failures": failures[:20], "cpu_s": usage.user + usage.system}


def _jobs_complete(client: Client, task_ids: list[int]) -> list[Job]:
    return [("complete", "POST", f"/api/v1/tasks/{t}/complete", client.coordinator_token, {"data": STEP_DATA})
            for t in task_ids]


def _jobs_mixed(client: Client, task_ids: list[int], total: int, rng: random.Random) -> list[Job]:
    tasks = iter(task_ids)
    jobs: list[Job] = []
    for number in range(total):
        kind = MIX[number % len(MIX)]
        if kind == "complete":
            task = next(tasks, None)
            if task is None:
                kind = "inbox"
            else:
                jobs.append(("complete", "POST", f"/api/v1/tasks/{task}/complete", client.coordinator_token,
                             {"data": STEP_DATA}))
                continue
        if kind == "inbox":
            jobs.append(("inbox", "GET", "/api/v1/tasks", client.coordinator_token, None))
        elif kind == "case":
            jobs.append(("case", "GET", f"/api/v1/cases/{rng.choice(client.case_ids)}", client.coordinator_token,
                         None))
        else:
            jobs.append(("refer", "POST", "/api/v1/cases", client.referrer_token, referral_body(client.area)))
    return jobs


def load(port: int, plans: list[list[Job]], connections: int) -> dict[str, Any]:
    """One load-client process per plan, started together; returns every sample and the clients' CPU time."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(plans)) as pool:
        results = pool.starmap(_drive, [(port, jobs, connections) for jobs in plans])
    samples = [s for r in results for s in r["samples"]]
    return {"samples": samples, "failures": [f for r in results for f in r["failures"]],
            "client_cpu_s": round(sum(r["cpu_s"] for r in results), 2)}


def summarise(samples: list[tuple[str, int, float, float, float]]) -> dict[str, Any]:
    if not samples:
        return {"n": 0}
    start = min(s[2] for s in samples)
    end = max(s[3] for s in samples)
    out: dict[str, Any] = {"requests": len(samples), "wall_s": round(end - start, 3),
                           "per_second": round(len(samples) / (end - start), 1), "by_kind": {}}
    for kind in sorted({s[0] for s in samples}):
        mine = [s for s in samples if s[0] == kind]
        ms = [s[4] for s in mine]
        out["by_kind"][kind] = {
            "n": len(mine), "ok": sum(1 for s in mine if 200 <= s[1] < 300),
            "errors": sum(1 for s in mine if not 200 <= s[1] < 300),
            "per_second": round(len(mine) / (end - start), 1),
            "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(max(ms), 1)}
    out["errors"] = sum(k["errors"] for k in out["by_kind"].values())
    return out


# --- one run -----------------------------------------------------------------------------------------------------


def measure(url: str, server: Server, made: list[Client], workers: int, threads: int, connections: int,
            mixed: int = 0, label: str = "") -> dict[str, Any]:
    """One load against a running server, then the exactly-once check and the workers' memory."""
    before = counts(url)
    rng = random.Random(13)
    if mixed:
        plans = [_jobs_mixed(c, c.task_ids, mixed // len(made), rng) for c in made]
    else:
        plans = [_jobs_complete(c, c.task_ids) for c in made]
    cpu_before = server_cpu(server)
    load_avg_before = os.getloadavg()
    result = load(server.port, plans, connections)
    cpu_after = server_cpu(server)
    database_cpu_s = database_cpu(url)
    workers_now = _children(server.process.pid)
    rss = {"master_mib": _rss_mib(server.process.pid), "workers_mib": [_rss_mib(pid) for pid in workers_now],
           "master_pss_mib": _pss_mib(server.process.pid), "workers_pss_mib": [_pss_mib(pid) for pid in workers_now]}
    after = counts(url)
    summary = summarise(result["samples"])
    sent = {kind: sum(1 for s in result["samples"] if s[0] == kind and 200 <= s[1] < 300)
            for kind in ("complete", "refer")}
    added = {k: after[k] - before[k] for k in after}
    exactly_once = judge(sent, added)
    out = summary | {
        "workers": workers, "threads": threads, "connections": len(made) * connections,
        "client_processes": len(made), "cold_start_s": round(server.cold_start_s, 3), "memory": rss,
        "server_cpu_s": round(cpu_after - cpu_before, 2), "client_cpu_s": result["client_cpu_s"],
        "server_cpu_ms_per_request": round((cpu_after - cpu_before) * 1000 / max(1, len(result["samples"])), 1),
        "database_cpu_s": round(database_cpu_s, 2),
        "load_average_before": [round(x, 2) for x in load_avg_before], "answered_ok": sent, "database_added": added,
        "exactly_once": exactly_once, "failures": result["failures"]}
    completes = summary.get("by_kind", {}).get("complete", {})
    log(f"{label or workers}: {workers} worker(s) x {threads} thread(s): {summary.get('per_second')} req/s, "
        f"completions {completes.get('per_second')}/s p50 {completes.get('p50_ms')} ms p99 {completes.get('p99_ms')}"
        f" ms, errors {summary.get('errors')}, exactly once {exactly_once}, cold start {server.cold_start_s:.2f} s, "
        f"worker RSS {rss['workers_mib']} MiB (PSS {rss['workers_pss_mib']}), "
        f"CPU s server {out['server_cpu_s']} ({out['server_cpu_ms_per_request']} ms a request) database "
        f"{out['database_cpu_s']} clients {out['client_cpu_s']}")
    return out


def run_once(url: str, made: list[Client], workers: int, threads: int, connections: int, mixed: int = 0,
             extra_env: dict[str, str] | None = None, label: str = "") -> dict[str, Any]:
    """gunicorn on ``url`` (already prepared), one load, then stopped."""
    label = label or f"{workers}x{threads}"
    server = start_gunicorn(url, workers, threads, OUT / f"throughput-gunicorn-{label}.log", extra_env)
    try:
        return measure(url, server, made, workers, threads, connections, mixed, label)
    finally:
        stop(server)


def judge(sent: dict[str, int], added: dict[str, int]) -> bool:
    """Exactly once: one history row and one completed task per completion answered 200, one history row per task,
    one case per referral answered 201."""
    return (added["completion_events"] == added["completed_tasks"] == sent["complete"]
            and added["completed_tasks_in_events"] == added["completion_events"]
            and added["cases"] == sent["refer"])


def fresh_copy(url: str, seed: str) -> None:
    name = _database_name(url)
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}" TEMPLATE "{seed}"')


def split(made: list[Client], start: int, count: int) -> list[Client]:
    """The same clients with ``count`` of their tasks from ``start`` on."""
    return [Client(c.area, c.coordinator_token, c.referrer_token, c.task_ids[start:start + count], c.case_ids)
            for c in made]


# --- the whole benchmark -----------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
            "python": platform.python_version(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def shared_machine(started_at: dict[str, Any]) -> bool:
    """Whether other work was using the machine: the 1-minute load average *before* the run above its CPU count (at
    the end the load average is mostly the run's own clients, gunicorn and PostgreSQL, and says nothing of others)."""
    return bool(started_at["load_average"][0] > (started_at["cpus"] or 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_THROUGHPUT_URL", DEFAULT_URL))
    parser.add_argument("--completions", type=int, default=1200, help="task completions per worker count")
    parser.add_argument("--mixed", type=int, default=1200, help="requests of the mixed load (0: none)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="threads per worker, each with every worker count (default: gunicorn_conf.py's, 1 and 2)")
    parser.add_argument("--clients", type=int, default=4, help="load-client processes (one area each)")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections per client process")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the RESULTS.md section from bench/out/throughput.json, run nothing")
    args = parser.parse_args(argv)
    if args.report_only:
        replace_section("throughput", markdown(json.loads((OUT / "throughput.json").read_text())))
        return 0
    configured = _configured_threads()
    thread_counts = args.threads or sorted({configured, 1, 2}, key=lambda n: (n != configured, n))
    seed = _database_name(args.url) + "_seed"
    seed_url = _with_database(args.url, seed)
    started_at = machine()
    per_client = -(-(args.completions) // args.clients)
    mixed_tasks = -(-(args.mixed * 3 // 10) // args.clients) if args.mixed else 0  # ~20 % of the mix completes
    log(f"preparing {seed}: {args.clients} areas x {per_client + mixed_tasks} open referrals")
    made = prepare(seed_url, args.clients, per_client + mixed_tasks)
    runs = []
    for threads in thread_counts:
        for workers in args.workers:
            fresh_copy(args.url, seed)
            runs.append(run_once(args.url, split(made, 0, per_client), workers, threads, args.connections))
    mixed_run = None
    if args.mixed:
        fresh_copy(args.url, seed)
        workers = max(args.workers)
        mixed_run = run_once(args.url, split(made, per_client, mixed_tasks), workers, thread_counts[0],
                             args.connections, mixed=args.mixed, label=f"{workers}-mixed")
    report = {"machine": started_at, "load_average_end": [round(x, 2) for x in os.getloadavg()],
              "database": args.url.rsplit("@", 1)[-1], "completions_per_run": per_client * args.clients,
              "runs": runs, "mixed": mixed_run}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    if not args.no_results:
        replace_section("throughput", markdown(report))
        log("wrote the throughput section of bench/RESULTS.md and bench/out/throughput.json")
    ok = all(r["errors"] == 0 and r["exactly_once"] for r in [*runs, *([mixed_run] if mixed_run else [])])
    return 0 if ok else 1


def _configured_threads() -> int:
    namespace: dict[str, Any] = {}
    exec((ROOT / "app" / "gunicorn_conf.py").read_text(), namespace)  # noqa: S102 - our own settings file
    return int(namespace["threads"])


def _memory(memory: dict[str, Any]) -> str:
    return ", ".join(f"{rss} ({pss})" for rss, pss in zip(memory["workers_mib"], memory["workers_pss_mib"],
                                                          strict=True))


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        "## Sustained throughput: gunicorn on PostgreSQL (`make bench-throughput`)",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}; load average "
        f"{'/'.join(map(str, m['load_average']))} at the start, {'/'.join(map(str, report['load_average_end']))} "
        "at the end (1/5/15 min). The load clients run on the same cores as gunicorn and PostgreSQL."
        + (" **The machine was shared with other work when this run started (load average above its CPU count):"
           " these figures are low and noisy; re-run `make bench-throughput` on a quiet machine.**"
           if shared_machine(m) else ""),
        "",
        "| workers x threads | connections | completions/s | p50 ms | p95 ms | p99 ms | errors | exactly once |"
        " cold start s | RSS (PSS) per worker MiB | CPU s gunicorn / PostgreSQL / clients |"
        " gunicorn CPU ms a completion |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- | ---: |",
    ]
    for run in report["runs"]:
        k = run["by_kind"]["complete"]
        lines.append(
            f"| {run['workers']} x {run['threads']} | {run['connections']} | {k['per_second']} | {k['p50_ms']} | "
            f"{k['p95_ms']} | {k['p99_ms']} | {run['errors']} | {'yes' if run['exactly_once'] else '**no**'} | "
            f"{run['cold_start_s']} | {_memory(run['memory'])} | "
            f"{run['server_cpu_s']} / {run['database_cpu_s']} / {run['client_cpu_s']} | "
            f"{run['server_cpu_ms_per_request']} |")
    best = max(report["runs"], key=lambda run: run["by_kind"]["complete"]["per_second"])
    per_completion = best["server_cpu_ms_per_request"] + 1000 * best["database_cpu_s"] / max(1, best["requests"])
    lines += ["", f"Target (issue 13): >= {TARGET_PER_SECOND} completions/s with 0 errors. Best here: "
                  f"{best['by_kind']['complete']['per_second']}/s ({best['workers']} x {best['threads']}), "
                  f"{'met' if best['by_kind']['complete']['per_second'] >= TARGET_PER_SECOND else '**not met**'}. "
                  f"A completion cost {best['server_cpu_ms_per_request']} ms of gunicorn CPU and about "
                  f"{per_completion - best['server_cpu_ms_per_request']:.1f} ms of PostgreSQL CPU in that run: at "
                  f"{per_completion:.0f} ms of CPU each, {m['cpus']} idle cores could complete at most about "
                  f"{1000 * (m['cpus'] or 1) / per_completion:.0f} a second before the load clients take their share."]
    mixed = report.get("mixed")
    if mixed:
        lines += ["", f"Mixed load on {mixed['workers']} workers x {mixed['threads']} threads, "
                      f"{mixed['connections']} connections: {mixed['per_second']} requests/s, errors "
                      f"{mixed['errors']}, exactly once {'yes' if mixed['exactly_once'] else '**no**'}.", "",
                  "| request | n | per second | p50 ms | p95 ms | p99 ms | errors |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        names = {"inbox": "inbox `GET /api/v1/tasks`", "case": "case page `GET /api/v1/cases/{id}`",
                 "complete": "complete `POST /api/v1/tasks/{id}/complete`", "refer": "referral `POST /api/v1/cases`"}
        for kind, k in mixed["by_kind"].items():
            lines.append(f"| {names.get(kind, kind)} | {k['n']} | {k['per_second']} | {k['p50_ms']} | "
                         f"{k['p95_ms']} | {k['p99_ms']} | {k['errors']} |")
    lines += ["", f"{report['completions_per_run']} completions per run, each task completed once by its area's "
                  "coordinator; exactly once = history rows (`case_event` `task_completed`) and completed `human_task`"
                  " rows added equal the 200 answers, one history row per task, cases added equal the 201 answers. "
                  "Raw numbers: `bench/out/throughput.json`. Method: `bench/throughput.py`."]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
