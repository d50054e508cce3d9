"""Every migration has a working downgrade: head -> base -> head on a fresh database."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from services.db import db
from tests.api.conftest import Api, referral
from tests.conftest import PG_URL, TEST_NOW, IsolatedClient, _config
from tests.factories import seeded


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


def test_upgrade_of_a_database_with_cases_backfills_the_reference_counters(tmp_path: Path) -> None:
    """Cases made before 0005 keep their numbers: the next referral draws the number after the highest."""
    if PG_URL:
        pytest.skip("the PostgreSQL run shares one database with the session's schema; the SQLite run checks this")
    app = create_app(_config(f"sqlite:///{tmp_path / 'm.db'}"))
    app.extensions["mappa.clock"].set(TEST_NOW)
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade(revision="0004")
        _insert_cases_as_of_0004()
        upgrade()
        counters = dict(db.session.execute(text("SELECT prefix, last FROM reference_counter")).all())
        assert counters == {"NO-2026-": 7, "NO-2025-": 120, "SO-2026-": 3}

        api = Api(app.test_client(), seeded())
        response = api.post("probation", "/api/v1/cases", json=referral())
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.get_json()["reference"] == "NO-2026-00008"
        db.session.remove()
        db.engine.dispose()


def _insert_cases_as_of_0004() -> None:
    db.session.execute(
        text("INSERT INTO area (id, code, name) VALUES (1, 'northshire', 'Northshire'), (2, 'southmoor', 'Southmoor')")
    )
    for n, (reference, area_id) in enumerate(
        [("NO-2026-00001", 1), ("NO-2026-00007", 1), ("NO-2026-00003", 1), ("NO-2025-00120", 1), ("SO-2026-00003", 2)]
    ):
        db.session.execute(
            text(
                "INSERT INTO mappa_case (id, reference, area_id, offender_name, category, status, lead_agency, "
                "custody, created_at, updated_at) "
                "VALUES (:id, :reference, :area_id, 'Old Case', 1, 'referred', 'Probation', false, :at, :at)"
            ),
            {"id": n + 1, "reference": reference, "area_id": area_id, "at": TEST_NOW},
        )
    db.session.commit()
