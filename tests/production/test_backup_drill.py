"""Backup and restore drill (issue 13): a backup taken while referrals keep arriving restores into a fresh database
that is whole (every case with its process, the schema at head); taken at rest, every table's count matches."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, make_url, text

from app import create_app
from services.backup import count_rows
from tests.api.conftest import Api, referral
from tests.conftest import PG_URL


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes databases that do not exist yet (SQLite) or exist and are empty (PostgreSQL); drops them after."""
    made: list[str] = []
    admin = create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT") if PG_URL else None

    def make() -> str:
        name = f"restore_{uuid.uuid4().hex[:10]}"
        if admin is None:
            return f"sqlite:///{tmp_path / name}.db"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    if admin is not None:
        with admin.connect() as connection:
            for name in made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _restore(backup: Path, url: str) -> str:
    result = _invoke_on(url, "restore", backup)
    assert result.exit_code == 0, result.output
    return str(result.output)


def _invoke_on(url: str, command: str, backup: Path) -> Any:
    """`flask mappa <command>` of an app on another database (its own app context: the CLI runner would otherwise
    use the test's app, whose context is already pushed)."""
    other = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url})
    with other.app_context():
        return other.test_cli_runner().invoke(args=["mappa", command, str(backup)])


def _whole(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            orphans = connection.scalar(text(
                "SELECT count(*) FROM mappa_case c WHERE NOT EXISTS "
                "(SELECT 1 FROM process_instance p WHERE p.case_id = c.id)"))
            version = connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()
    assert orphans == 0
    assert version == sorted(p.name for p in Path("migrations/versions").glob("0*.py"))[-1][:4]


def test_a_backup_taken_during_writes_restores_whole_and_one_at_rest_matches_exactly(
    app: Flask, api: Api, tmp_path: Path, fresh_database: Callable[[], str]
) -> None:
    fresh_url = fresh_database()
    for n in range(3):
        made = api.post("probation", "/api/v1/cases", json=referral(offender={"name": f"Before {n}"}))
        assert made.status_code == 201
    source = app.config["SQLALCHEMY_DATABASE_URI"]
    before = count_rows(source).rows["mappa_case"]
    headers = api.headers("probation")
    stop, written = threading.Event(), []

    def keep_referring() -> None:
        client = app.test_client()
        while not stop.is_set():
            response = client.post("/api/v1/cases", headers=headers,
                                   json=referral(offender={"name": f"During {len(written)}"}))
            written.append(response.status_code)

    writer = threading.Thread(target=keep_referring)
    writer.start()
    try:
        while len(written) < 2:  # the writer is under way before the backup starts
            threading.Event().wait(0.01)
        result = app.test_cli_runner().invoke(args=["mappa", "backup", str(tmp_path / "during.backup")])
    finally:
        stop.set()
        writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert set(written) == {201}

    output = _restore(tmp_path / "during.backup", fresh_url)
    assert "Restored" in output
    restored = count_rows(fresh_url).rows
    after = count_rows(source).rows
    assert before <= restored["mappa_case"] <= after["mappa_case"]
    _whole(fresh_url)

    # at rest, the copy is exact; and a restore over a database with data in it is refused
    second = tmp_path / "rest.backup"
    assert app.test_cli_runner().invoke(args=["mappa", "backup", str(second)]).exit_code == 0
    refused = _invoke_on(fresh_url, "restore", second)
    assert refused.exit_code != 0 and ("already exists" in refused.output or "has tables" in refused.output)
    exact_url = fresh_database()
    _restore(second, exact_url)
    assert count_rows(exact_url).rows == count_rows(source).rows
