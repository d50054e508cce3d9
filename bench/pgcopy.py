"""A generated SQLite data set copied into a PostgreSQL database ``bench_N`` on the machine's own server.

The schema comes from the app's own migrations (Flask-Migrate ``upgrade()`` against the new database); the rows
are streamed table by table with ``COPY ... FROM STDIN`` (psycopg), in foreign-key order, with the secondary
indexes dropped during the load and rebuilt after; then the id sequences are moved past the copied ids and the
tables are analysed (as an operator would after a bulk load). The time it took is reported in RESULTS.md.
"""

from __future__ import annotations

import contextlib
import io
import sqlite3
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.common import PG_SERVER, make_app


def url_for_size(cases: int) -> str:
    return f"{PG_SERVER}/bench_{cases}"


def _recreate(name: str) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')


def _schema(url: str) -> None:
    from flask_migrate import upgrade

    from services.db import db

    app = make_app(url)
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):  # alembic logs every migration to stderr
        upgrade()
        db.engine.dispose()


def _boolean_columns(con: psycopg.Connection[Any], table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND data_type = 'boolean'",
        (table,),
    ).fetchall()
    return {r[0] for r in rows}


def copy_to_postgres(sqlite_path: Path, cases: int, url: str | None = None) -> dict[str, Any]:
    """(Re)create ``bench_<cases>`` (or the database of ``url``) from the SQLite file; returns what was copied and
    how long it took."""
    from services.db import db

    started = time.perf_counter()
    url = url or url_for_size(cases)
    _recreate(url.rsplit("/", 1)[1])
    _schema(url)
    schema_s = time.perf_counter() - started
    tables = [t.name for t in db.metadata.sorted_tables]
    source = sqlite3.connect(sqlite_path)
    copied: dict[str, int] = {}
    with psycopg.connect(url) as con:
        con.execute("SET TimeZone = 'UTC'")
        quoted = ", ".join(f'"{t}"' for t in tables)
        con.execute(f"TRUNCATE {quoted} CASCADE")
        indexes = con.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE 'pk_%' "
            "AND indexdef NOT LIKE 'CREATE UNIQUE%'"
        ).fetchall()
        for name, _sql in indexes:
            con.execute(f'DROP INDEX "{name}"')
        con.execute("SET session_replication_role = replica")  # foreign keys: the source is already consistent
        for table in tables:
            columns = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")')]
            booleans = _boolean_columns(con, table)
            flags = [c in booleans for c in columns]
            names = ", ".join(f'"{c}"' for c in columns)
            count = 0
            with con.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in source.execute(f'SELECT {names} FROM "{table}"'):  # noqa: S608
                    values = zip(row, flags, strict=True)
                    copy.write_row([bool(v) if flag and v is not None else v for v, flag in values])
                    count += 1
            copied[table] = count
        con.execute("SET session_replication_role = DEFAULT")
        for _name, sql in indexes:
            con.execute(sql)
        sequences = con.execute(
            "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), 'id') FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'id'"
        ).fetchall()
        for table, sequence in sequences:
            if sequence and copied.get(table):
                con.execute(f'SELECT setval(%s, (SELECT MAX(id) FROM "{table}"))', (sequence,))  # noqa: S608
        con.commit()
    source.close()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("VACUUM ANALYZE")
    return {"url": url, "rows": copied, "schema_seconds": round(schema_s, 1),
            "copy_seconds": round(time.perf_counter() - started, 1)}
