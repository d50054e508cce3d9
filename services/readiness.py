"""What ``/readyz`` asks: database reachable, schema at the migrations' head, scheduler heartbeat recent."""

from __future__ import annotations

import logging
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from services import clock
from services.db import db
from services.models import SchedulerHeartbeat

log = logging.getLogger(__name__)
_heads: dict[str, set[str]] = {}


def migration_heads(directory: str) -> set[str]:
    if directory not in _heads:
        config = Config()
        config.set_main_option("script_location", directory)
        _heads[directory] = set(ScriptDirectory.from_config(config).get_heads())
    return _heads[directory]


def check(expect_scheduler: bool, heartbeat_seconds: float, migrations: str) -> dict[str, Any]:
    report: dict[str, Any] = {"status": "ok"}
    try:
        current = set(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
        report["database"] = "ok"
        heads = migration_heads(migrations)
        report["migrations"] = "at head" if current == heads else f"at {sorted(current)}, head is {sorted(heads)}"
        row = db.session.get(SchedulerHeartbeat, "sweep")
        beat_at = row.beat_at if row is not None else None
    except Exception as err:  # noqa: BLE001 - every failure here means "not ready", said in the answer
        log.warning("readyz: database check failed: %s", err)
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}
    finally:
        db.session.remove()
    if report["migrations"] != "at head":
        report["status"] = "unavailable"
    if beat_at is None:
        report["scheduler"] = "no heartbeat yet"
    else:
        age = (clock.now() - beat_at).total_seconds()
        report["scheduler"] = f"last sweep {age:.0f}s ago"
        report["scheduler_recent"] = age <= heartbeat_seconds
    if expect_scheduler and not report.get("scheduler_recent"):
        report["status"] = "unavailable"
    return report
