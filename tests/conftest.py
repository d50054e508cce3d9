"""App, client and database fixtures. The schema is built by running the Alembic migrations.

Set MAPPA_TEST_DATABASE_URL to a PostgreSQL URL to run the suite against PostgreSQL (CI does both).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from services.catalogue import BPMN_DIR, SHIPPED
from services.db import db
from workflows.coverage import COVERAGE, CoverageReport
from workflows.registry import checksum_of

TEST_NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PG_URL = os.environ.get("MAPPA_TEST_DATABASE_URL")


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (fresh ``g`` and database session), as in production.

    The test body holds an app context for factories; without this, requests would share its ``g``.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if has_app_context():
            db.session.commit()  # end the test body's transaction: SQLite write transactions lock the file
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _config(uri: str) -> dict[str, object]:
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "test-secret", "MAPPA_SCHEDULER": False,
            "MAPPA_ALLOW_CLOCK_OVERRIDE": True, "WTF_CSRF_ENABLED": True}


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run the migrations once: into a template SQLite file, or into the PostgreSQL test database."""
    if PG_URL:
        app = create_app(_config(PG_URL))
        with app.app_context():
            db.session.execute(text("DROP SCHEMA public CASCADE"))
            db.session.execute(text("CREATE SCHEMA public"))
            db.session.commit()
            upgrade()
            db.engine.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = create_app(_config(f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return str(path)


def _fresh_database(template: str, tmp_path: Path) -> str:
    if PG_URL:
        return PG_URL
    target = tmp_path / "test.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app(database_template: str, tmp_path: Path) -> Iterator[Flask]:
    uri = _fresh_database(database_template, tmp_path)
    application = create_app(_config(uri) | {"MAPPA_RECORDINGS_DIR": str(tmp_path / "recordings")})
    application.extensions["mappa.clock"].set(TEST_NOW)
    application.test_client_class = IsolatedClient
    with application.app_context():
        if PG_URL:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def clock(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["mappa.clock"]


BPMN_MODELS = sorted(BPMN_DIR.glob("*.bpmn"))
# MAPPA_BPMN_COVERAGE=strict (make test): the run fails unless every node and gateway flow of the shipped models ran
STRICT_COVERAGE = os.environ.get("MAPPA_BPMN_COVERAGE", "") == "strict"
_COVERAGE_REPORT = pytest.StashKey[CoverageReport]()


def pytest_sessionstart(session: pytest.Session) -> None:
    COVERAGE.enabled = True
    COVERAGE.count_only(checksum_of({name: (BPMN_DIR / name).read_bytes() for name in files})
                        for _title, files in SHIPPED.values())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    report = COVERAGE.report(BPMN_MODELS)
    session.config.stash[_COVERAGE_REPORT] = report
    if STRICT_COVERAGE and exitstatus == pytest.ExitCode.OK and not report.complete:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    report = config.stash.get(_COVERAGE_REPORT, None)
    if report is None or not (report.nodes_reached or STRICT_COVERAGE):
        return
    terminalreporter.write_sep("-", "BPMN coverage of the shipped models (nodes, and every flow out of a gateway)")
    for line in report.lines():
        terminalreporter.write_line(line)
    if STRICT_COVERAGE and not report.complete:
        terminalreporter.write_line("MAPPA_BPMN_COVERAGE=strict: below 100% of the shipped nodes and gateway flows; "
                                    "the run fails", red=True)
