"""gunicorn's settings for production mode (``make prod``), from the environment.

Measured by ``make bench-throughput`` (bench/RESULTS.md, "Sustained throughput"): the app is loaded once in the
master and forked (``MAPPA_PRELOAD``, on by default): workers start in a fraction of the time and share the code's
memory. The master's database pool is emptied before any worker is forked, so no worker inherits a connection.
"""

import os
from typing import Any

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("MAPPA_WORKERS", "4"))
# One thread a worker. A completion spends about half its wall time waiting for PostgreSQL, which a second thread
# could use, but on 2 busy cores `make bench-throughput` showed no clear gain from 2 threads (bench/RESULTS.md
# compares both; it is decided on a quiet re-run). More threads need no other change: the pool follows them.
threads = int(os.environ.get("MAPPA_THREADS", "1"))
timeout = int(os.environ.get("MAPPA_WORKER_TIMEOUT", "30"))  # a worker stuck longer than this is replaced
graceful_timeout = 10
keepalive = 5
accesslog = None  # the app logs each failure as JSON with its request id; access logs belong to the proxy
errorlog = "-"
preload_app = os.environ.get("MAPPA_PRELOAD", "1") == "1"
# gunicorn 25+ opens a runtime-control socket at one fixed path per user (~/.gunicorn/gunicorn.ctl): two gunicorns
# on one machine (make prod beside the tests or a benchmark) would take it from each other. Nothing here uses it.
control_socket_disable = True


def when_ready(server: Any) -> None:
    """In the master, before the first fork: close the connections the app opened while loading (the production
    checks read the database), so each worker opens its own."""
    if not preload_app:
        return
    from services.db import db

    with server.app.wsgi().app_context():
        db.session.remove()
        db.engine.dispose()
