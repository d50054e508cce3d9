"""A case's category, level and status as they stood at a past instant, read from its recorded history.

Every change the case projection makes is written as a ``case_updated`` event with ``{"changes": {field: [old,
new]}}`` (services.instances). So the facts at an instant are today's facts with every later change undone, newest
first: only the events after the instant are read, which for the year just ended is a small part of the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from services.db import db
from services.models import CaseEvent, MappaCase

FACTS = ("category", "level", "status")


@dataclass
class FactsAt:
    case_id: int
    category: int
    level: int | None
    status: str


def facts_at(area_id: int, at: datetime) -> list[FactsAt]:
    """Every case of the area that existed at ``at``, with its category, level and status then."""
    rows = db.session.execute(cases_query(area_id, at)).all()
    facts = {case_id: FactsAt(case_id, category, level, status) for case_id, category, level, status in rows}
    for case_id, detail in db.session.execute(changes_after_query(area_id, at)).all():
        _undo(facts[case_id], detail)
    return list(facts.values())


def cases_query(area_id: int, at: datetime) -> Select[int, int, int | None, str]:
    """The area's cases created by ``at``, with today's category, level and status."""
    return select(MappaCase.id, MappaCase.category, MappaCase.level, MappaCase.status).where(
        MappaCase.area_id == area_id, MappaCase.created_at <= at)


def changes_after_query(area_id: int, at: datetime) -> Select[Any]:
    """The changes to those cases recorded after ``at``, newest first."""
    return (select(CaseEvent.case_id, CaseEvent.detail).join(MappaCase, MappaCase.id == CaseEvent.case_id)
            .where(CaseEvent.kind == "case_updated", CaseEvent.at > at, MappaCase.area_id == area_id,
                   MappaCase.created_at <= at)
            .order_by(CaseEvent.at.desc(), CaseEvent.id.desc()))


def case_facts_at(case: MappaCase, at: datetime) -> FactsAt:
    """One case's category, level and status at ``at`` (its facts at creation for an earlier instant)."""
    facts = FactsAt(case.id, case.category, case.level, case.status)
    for (detail,) in db.session.execute(select(CaseEvent.detail).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == "case_updated", CaseEvent.at > at)
            .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())):
        _undo(facts, detail)
    return facts


def _undo(facts: FactsAt, detail: dict[str, Any]) -> None:
    changes = (detail or {}).get("changes") or {}
    for key in FACTS:
        if key in changes:
            setattr(facts, key, changes[key][0])
