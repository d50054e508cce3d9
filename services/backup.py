"""Backups that can be taken while the service runs, and restores into a fresh database.

- SQLite: the online backup API copies a consistent snapshot page by page while writers go on.
- PostgreSQL: ``pg_dump --format=custom`` (one repeatable-read snapshot), restored with ``pg_restore``.

A restore goes into an empty database only (a fresh file, or a PostgreSQL database with no tables): restoring
over live data is refused, so that a mistyped target never destroys a service's data.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData, Table, create_engine, func, inspect, make_url, select

from services.db import sqlalchemy_url

PG_TOOLS = ("pg_dump", "pg_restore")


class BackupError(RuntimeError):
    """A backup or restore that could not be done, with the reason in words."""


@dataclass(frozen=True)
class Counts:
    rows: dict[str, int]

    def total(self) -> int:
        return sum(self.rows.values())


def backup(database_url: str, target: Path) -> None:
    url = make_url(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(database_url))
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
        return
    _pg_tool("pg_dump", "--format=custom", "--no-owner", f"--file={target}", f"--dbname={_libpq(database_url)}")


def restore(backup_file: Path, database_url: str) -> None:
    if not backup_file.is_file():
        raise BackupError(f"no backup at {backup_file}")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(_sqlite_path(database_url))
        if path.exists() and path.stat().st_size > 0:
            raise BackupError(f"{path} already exists: restore into a new file")
        shutil.copyfile(backup_file, path)
        return
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        if inspect(engine).get_table_names():
            raise BackupError(f"database {url.database} has tables: restore into an empty database")
    finally:
        engine.dispose()
    _pg_tool("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(database_url)}", str(backup_file))


def count_rows(database_url: str) -> Counts:
    """Rows per table (the drill compares a restored database with its source)."""
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return Counts({name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
                           for name, table in sorted(metadata.tables.items()) if isinstance(table, Table)})
    finally:
        engine.dispose()


def _sqlite_path(database_url: str) -> str:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return database


def _libpq(database_url: str) -> str:
    """The URL as libpq reads it (no SQLAlchemy driver suffix)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str, *args: str) -> None:
    if shutil.which(name) is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client)")
    done = subprocess.run([name, *args], capture_output=True, text=True, check=False)  # noqa: S603 - our arguments
    if done.returncode != 0:
        raise BackupError(f"{name} failed: {done.stderr.strip() or done.returncode}")
