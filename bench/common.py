"""Shared helpers: the app on a benchmark database, the fixed clock, users, a real HTTP server in a thread."""

from __future__ import annotations

import http.client
import json
import re
import resource
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event, select
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
# The benchmark's "now": a Wednesday, as in the test suite. Everything is generated relative to it.
BENCH_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
# A fresh Flask secret per process: nobody signs in to the benchmark's throwaway databases (API tokens only).
BENCH_SECRET = secrets.token_urlsafe(32)


# A data set is a SQLite file (a Path) or a PostgreSQL database (a ``postgresql://`` URL, see bench/pgcopy.py).
Target = Path | str
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"  # the machine's own PostgreSQL; bench databases are bench_*


def database_url(target: Target) -> str:
    # Absolute: Flask-SQLAlchemy would resolve a relative SQLite path against instance/.
    if isinstance(target, str):
        return target
    return f"sqlite:///{Path(target).resolve()}"


def backend(target: Target) -> str:
    return "postgresql" if isinstance(target, str) else "sqlite"


def bench_config(target: Target) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(target),
        "SECRET_KEY": BENCH_SECRET,
        "MAPPA_SCHEDULER": False,
        "MAPPA_ALLOW_CLOCK_OVERRIDE": True,
        "TESTING": False,
    }


def make_app(target: Target, now: datetime = BENCH_NOW) -> Flask:
    from app import create_app

    app = create_app(bench_config(target))
    app.extensions["mappa.clock"].set(now)
    return app


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def remove_db(db_path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)


def db_size(db_path: Path) -> int:
    return sum(Path(str(db_path) + s).stat().st_size for s in ("", "-wal") if Path(str(db_path) + s).exists())


def token_for(username: str) -> str:
    """Create an API token for a user (inside an app context) and commit."""
    from services.auth import create_token, user_by_username
    from services.db import db

    user = user_by_username(username)
    assert user is not None, username
    _row, token = create_token(user, "bench")
    db.session.commit()
    return token


def user_id(username: str) -> int:
    from services.db import db
    from services.models import User

    uid = db.session.scalar(select(User.id).where(User.username == username))
    assert uid is not None, username
    return uid


# --- statistics ------------------------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p50 of 200 samples is the 100th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Timings:
    ms: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.ms.append(seconds * 1000)

    @property
    def n(self) -> int:
        return len(self.ms)

    @property
    def p50(self) -> float:
        return percentile(self.ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.ms, 95)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.ms) if self.ms else float("nan")

    def summary(self) -> dict[str, float]:
        return {
            "n": self.n,
            "p50_ms": round(self.p50, 3),
            "p95_ms": round(self.p95, 3),
            "mean_ms": round(self.mean, 3),
            "max_ms": round(max(self.ms), 3) if self.ms else float("nan"),
        }


def max_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


# --- counting SQL statements (N+1 detection) -------------------------------------------------------------------


class StatementCounter:
    """Counts (and on request records, with durations) the statements the app's engine executes."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.seconds = 0.0  # time inside cursor.execute (for SQLite: until the first row, so a sort is included)
        self.statements: list[str] = []
        self.durations: list[float] = []
        self.keep = False
        self._lock = threading.Lock()
        self._started = threading.local()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        with self._lock:
            self.count += 1
            if self.keep:
                self.statements.append(statement)
        self._started.at = time.perf_counter()

    def _after(self, *_args: Any) -> None:
        elapsed = time.perf_counter() - getattr(self._started, "at", time.perf_counter())
        with self._lock:
            self.seconds += elapsed
            if self.keep and len(self.durations) < len(self.statements):
                self.durations.append(elapsed)

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        """Record the statements run inside the block (in order; durations in ``self.durations``)."""
        with self._lock:
            self.statements = []
            self.durations = []
            self.keep = True
        try:
            yield self.statements
        finally:
            self.keep = False

    def slowest(self) -> dict[str, Any]:
        """The slowest statement of the last capture, shortened."""
        if not self.durations:
            return {}
        index = max(range(len(self.durations)), key=self.durations.__getitem__)
        sql = re.sub(
            r"^SELECT (?!max\()(?!count\().*? FROM ", "SELECT ... FROM ", " ".join(self.statements[index].split())
        )
        return {"sql": sql[:200], "ms": round(self.durations[index] * 1000, 3)}


# --- a real server on 127.0.0.1 and a keep-alive client --------------------------------------------------------


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one TCP connection per client, as a real API client would

    def log_request(self, *args: Any, **kwargs: Any) -> None:  # quiet
        pass


@contextmanager
def serve(app: Flask) -> Iterator[tuple[str, int]]:
    """werkzeug's WSGI server, single-threaded, in a background thread on an ephemeral loopback port."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=False, request_handler=_Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class Client:
    def __init__(self, host: str, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any, int]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None, len(raw)

    def close(self) -> None:
        self.conn.close()


# --- sections of bench/RESULTS.md written by other benchmarks (make simulate, the throughput run) ----------------

RESULTS_MD = ROOT / "bench" / "RESULTS.md"


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- section:{name} -->", f"<!-- /section:{name} -->"


def sections(text: str) -> dict[str, str]:
    """The named sections (markers included) in a RESULTS.md text, in order."""
    found: dict[str, str] = {}
    for match in re.finditer(r"<!-- section:([a-z0-9_-]+) -->.*?<!-- /section:\1 -->", text, flags=re.S):
        found[match.group(1)] = match.group(0)
    return found


def replace_section(name: str, body: str, path: Path = RESULTS_MD) -> None:
    """Write ``body`` as the section ``name`` of RESULTS.md: in place if it is there, else appended at the end."""
    start, end = _markers(name)
    block = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else ""
    old = sections(text).get(name)
    text = text.replace(old, block) if old else text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def keep_sections(new_text: str, path: Path = RESULTS_MD) -> str:
    """``new_text`` with the named sections of the current RESULTS.md that it lacks (a rewrite must not drop them):
    a section that stood before the old file's first ``## `` heading (a summary at the top) goes before the new
    text's first one, the others at the end."""
    old_text = path.read_text() if path.exists() else ""
    have = sections(new_text)
    head, tail = [], []
    first_heading = old_text.find("\n## ")
    for name, block in sections(old_text).items():
        if name not in have:
            at_top = first_heading != -1 and old_text.index(block) < first_heading
            (head if at_top else tail).append(block)
    text = new_text.rstrip("\n")
    split = text.find("\n## ")
    if head and split != -1:
        text = text[:split].rstrip("\n") + "".join(f"\n\n{block}" for block in head) + "\n" + text[split:]
    else:
        tail = head + tail
    return text + "".join(f"\n\n{block}" for block in tail) + "\n"
