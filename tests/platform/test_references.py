"""A prefix's reference counter starts from the highest number already given, wherever its cases came from."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import delete, select

from services.db import db
from services.models import MappaCase, ReferenceCounter
from tests.api.conftest import Api, referral


def test_counter_created_for_a_prefix_with_cases_continues_after_the_highest(app: Flask, api: Api) -> None:
    first = api.post("probation", "/api/v1/cases", json=referral())
    assert first.get_json()["reference"] == "NO-2026-00001"
    # an imported case numbered ahead, and no counter row for the prefix (as after a restore or an import)
    imported = db.session.get(MappaCase, first.get_json()["id"])
    assert imported is not None
    imported.reference = "NO-2026-00041"
    db.session.execute(delete(ReferenceCounter))
    db.session.commit()

    response = api.post("probation", "/api/v1/cases", json=referral())

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["reference"] == "NO-2026-00042"
    assert db.session.scalar(select(ReferenceCounter.last).where(ReferenceCounter.prefix == "NO-2026-")) == 42
