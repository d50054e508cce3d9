"""A case's category, level and status as they stood at a past instant, read from its recorded history.

Every change the case projection makes is written as a ``case_updated`` event with ``{"changes": {field: [old,
new]}}`` (services.instances), and every move to another area as a ``case_transferred`` event with ``{"from": code,
"to": code}`` (services.lifecycle). So the facts at an instant are today's facts with every later change undone,
newest first: only the events after the instant are read, which for the year just ended is a small part of the
history. An area's cases at an instant are the ones it managed then: a case transferred away since still counts
there, and one transferred in since does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, Select, select, union

from services.db import db
from services.models import Area, CaseEvent, MappaCase

FACTS = ("category", "level", "status")
UPDATED, TRANSFERRED = "case_updated", "case_transferred"


@dataclass
class FactsAt:
    case_id: int
    category: int
    level: int | None
    status: str


def facts_at(area_id: int, at: datetime) -> list[FactsAt]:
    """Every case the area managed at ``at``, with its category, level and status then."""
    facts, areas = {}, {}
    for case_id, category, level, status, now_in in db.session.execute(cases_query(area_id, at)).all():
        facts[case_id], areas[case_id] = FactsAt(case_id, category, level, status), now_in
    area_ids: dict[str, int] = {code: id_ for code, id_ in db.session.execute(select(Area.code, Area.id)).all()}
    for case_id, kind, detail in db.session.execute(changes_after_query(area_id, at)).all():
        if kind == TRANSFERRED:  # undone: the case was in the area it came from
            areas[case_id] = area_ids.get(str((detail or {}).get("from")), areas[case_id])
        else:
            _undo(facts[case_id], detail)
    return [f for f in facts.values() if areas[f.case_id] == area_id]


def cases_query(area_id: int, at: datetime) -> CompoundSelect:
    """The cases created by ``at`` that are the area's today or have moved area since, with today's category,
    level, status and area."""
    columns = (MappaCase.id, MappaCase.category, MappaCase.level, MappaCase.status, MappaCase.area_id)
    here = select(*columns).where(MappaCase.area_id == area_id, MappaCase.created_at <= at)
    moved = (select(*columns).join(CaseEvent, CaseEvent.case_id == MappaCase.id)
             .where(CaseEvent.kind == TRANSFERRED, CaseEvent.at > at, MappaCase.created_at <= at))
    return union(here, moved)


def changes_after_query(area_id: int, at: datetime) -> Select[Any]:
    """The changes and moves of those cases recorded after ``at``, newest first."""
    cases = cases_query(area_id, at).subquery()
    return (select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.detail).join(cases, cases.c.id == CaseEvent.case_id)
            .where(CaseEvent.kind.in_((UPDATED, TRANSFERRED)), CaseEvent.at > at)
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
