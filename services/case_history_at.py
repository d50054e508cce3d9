"""A case's category, level and status as they stood at a past instant, read from its recorded history.

Every change the case projection makes is written as a ``case_updated`` event with ``{"changes": {field: [old,
new]}}`` (services.instances), and every move to another area as a ``case_transferred`` event with ``{"from": code,
"to": code}`` (services.lifecycle). So the facts at an instant are today's facts with every later change undone,
newest first: only the events after the instant are read, which for the year just ended is a small part of the
history. An area's cases at an instant are the ones it managed then: a case transferred away since still counts
there, and one transferred in since does not. The same rule places an event of the past (an outcome, a change of
level) in the area that managed the case at its instant (``in_area_then``): the rule lives in ``area_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import CompoundSelect, Select, select, union

from services.db import db
from services.models import Area, CaseEvent, MappaCase

FACTS = ("category", "level", "status")
UPDATED, TRANSFERRED = "case_updated", "case_transferred"
T = TypeVar("T")
Moves = dict[int, list[tuple[datetime, int]]]  # case id -> (when it moved, the area it moved from), oldest first


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
    for case_id, detail in db.session.execute(changes_after_query(area_id, at)).all():
        _undo(facts[case_id], detail)
    moves = moves_since(at)
    return [f for f in facts.values() if area_at(areas[f.case_id], moves.get(f.case_id, []), at) == area_id]


def in_area_then(area_id: int, since: datetime, events: Iterable[tuple[int, int, datetime, T]]) -> list[T]:
    """The items of ``events`` (case id, the case's area today, an instant after ``since``, item) whose case the area
    managed at that instant: ``events`` are read from the cases ``managed_since`` gives."""
    moves = moves_since(since)
    return [item for case_id, today, at, item in events if area_at(today, moves.get(case_id, []), at) == area_id]


def area_at(today: int, moves: Sequence[tuple[datetime, int]], at: datetime) -> int:
    """The area that managed a case at ``at``: the one its first move after ``at`` took it from (every later move
    undone), or today's if it has not moved since."""
    return next((moved_from for moved_at, moved_from in moves if moved_at > at), today)


def moves_since(since: datetime) -> Moves:
    """Every case's moves to another area after ``since``, oldest first (a small part of the history)."""
    area_ids: dict[str, int] = {code: id_ for code, id_ in db.session.execute(select(Area.code, Area.id)).all()}
    moves: Moves = {}
    for case_id, moved_at, detail in db.session.execute(moves_since_query(since)).all():
        moved_from = area_ids.get(str((detail or {}).get("from")))
        if moved_from is not None:  # an area no longer known: the move cannot be undone
            moves.setdefault(case_id, []).append((moved_at, moved_from))
    return moves


def moves_since_query(since: datetime) -> Select[Any]:
    return (select(CaseEvent.case_id, CaseEvent.at, CaseEvent.detail)
            .where(CaseEvent.kind == TRANSFERRED, CaseEvent.at > since).order_by(CaseEvent.at, CaseEvent.id))


def managed_since(area_id: int, since: datetime) -> CompoundSelect:
    """The cases (id, area today) the area manages today or that have moved area since ``since``: every case the
    area managed at some instant after ``since``, and a few more, which ``in_area_then`` leaves out."""
    return _here_or_moved((MappaCase.id, MappaCase.area_id), area_id, since)


def cases_query(area_id: int, at: datetime) -> CompoundSelect:
    """The cases created by ``at`` that are the area's today or have moved area since, with today's category,
    level, status and area."""
    columns = (MappaCase.id, MappaCase.category, MappaCase.level, MappaCase.status, MappaCase.area_id)
    return _here_or_moved(columns, area_id, at, MappaCase.created_at <= at)


def _here_or_moved(columns: tuple[Any, ...], area_id: int, since: datetime, *where: Any) -> CompoundSelect:
    here = select(*columns).where(MappaCase.area_id == area_id, *where)
    moved = (select(*columns).join(CaseEvent, CaseEvent.case_id == MappaCase.id)
             .where(CaseEvent.kind == TRANSFERRED, CaseEvent.at > since, *where))
    return union(here, moved)


def changes_after_query(area_id: int, at: datetime) -> Select[Any]:
    """The changes of those cases recorded after ``at``, newest first."""
    cases = cases_query(area_id, at).subquery()
    return (select(CaseEvent.case_id, CaseEvent.detail).join(cases, cases.c.id == CaseEvent.case_id)
            .where(CaseEvent.kind == UPDATED, CaseEvent.at > at)
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
