"""Every migration has a working downgrade: head -> base -> head on a fresh database."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app import create_app
from services.db import db
from tests.conftest import PG_URL, _config


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    if PG_URL:
        pytest.skip("the PostgreSQL run shares one database with the session's schema; the SQLite run checks this")
    app = create_app(_config(f"sqlite:///{tmp_path / 'm.db'}"))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"mappa_case", "human_task", "minutes", "mapp_meeting"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(inspect(db.engine).get_table_names()) == tables
        db.engine.dispose()
