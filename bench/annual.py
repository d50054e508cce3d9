"""Annual statistics and monthly trends at national scale, through the real services (no HTTP).

    .venv/bin/python -m bench.annual [--cases 100000] [--repeat 20]

Uses (or generates) bench/out/bench-<cases>.db (bench.generate), then times ``services.annual.annual`` for the
year ending 31 March 2026 and ``services.trends.trends`` over twelve months for the northshire coordinator, and
counts the SQL statements each runs. Prints p50/p95 and statements as JSON; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from typing import Any

from bench.common import OUT, StatementCounter, Timings, log, make_app


def measure(cases: int, repeat: int) -> dict[str, Any]:
    from services.annual import annual
    from services.auth import user_by_username
    from services.db import db
    from services.trends import trends

    db_path = OUT / f"bench-{cases}.db"
    if not db_path.exists():
        from bench.generate import main as generate

        generate(["--cases", str(cases), "--db", str(db_path), "--quiet"])
    app = make_app(db_path)
    out: dict[str, Any] = {"cases": cases}
    with app.app_context():
        counter = StatementCounter(db.engine)
        user = user_by_username("coordinator")
        assert user is not None
        for name, run in (("annual", lambda: annual(user, date(2026, 3, 31))),
                          ("trends", lambda: trends(user, date(2025, 12, 1), date(2026, 11, 1)))):
            timings = Timings()
            statements = []
            for _ in range(repeat):
                before = counter.count
                started = time.perf_counter()
                run()
                timings.add(time.perf_counter() - started)
                statements.append(counter.count - before)
                db.session.rollback()
            out[name] = timings.summary() | {"statements": max(statements)}
            log(f"{cases}: {name} p50 {out[name]['p50_ms']:.1f} ms, p95 {out[name]['p95_ms']:.1f} ms, "
                f"{out[name]['statements']} statements")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.cases, args.repeat), indent=2))


if __name__ == "__main__":
    main()
