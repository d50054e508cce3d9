"""ViSOR as work, not a field: each MAPP meeting of a case (its minutes approved), each change of its level, lead
or release date, and its exit from MAPPA is something the case's ViSOR user (workflows.lanes.visor_role) must
record on ViSOR.

A case's unrecorded changes wait on one open "Update ViSOR" task (bpmn/visor_update.bpmn, started through
services.instances.tell_visor like every other phase): the ViSOR user opens the nominal record once and records
everything listed, and the task is due when its oldest change is. Completing the task records every change it
carries; the case page lists those not yet recorded, and the history keeps them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select

from services import clock, dates, vocabulary
from services.db import db
from services.errors import FieldError
from services.models import HumanTask, MappaCase, ProcessInstance, User, VisorChange

KINDS: dict[str, str] = {
    "meeting": "MAPP meeting",
    "level": "Level",
    "lead": "Lead agency or officer",
    "release_date": "Release date",
    "address": "Address",  # a change of address (services.lifecycle), or one an RSO notified (services.rso)
    "exit": "Exit from MAPPA",
}
PHASE = "visor"


@dataclass(frozen=True)
class Pending:
    """A change ViSOR has not been told yet, with the due date of the task that carries it."""

    kind: str  # in words (KINDS)
    summary: str
    happened_at: datetime
    due: date | None
    overdue: bool
    code: str = ""  # the KINDS key




def case_news(changes: dict[str, list[Any]]) -> list[tuple[str, str]]:
    """The changes the projection made that ViSOR must be told: a change of level (the first level a screening sets
    is not one: creating or linking the ViSOR record, referral.bpmn and identification.bpmn, records the case as it
    then is) and the case's exit from MAPPA (its ViSOR record then shows it is no longer MAPPA managed)."""
    news = []
    old, new = changes.get("level", (None, None))
    if old is not None and new is not None:
        news.append(("level", f"Level changed from {old} to {new}"))
    if changes.get("status", (None, None))[1] == "exited":
        _old_reason, reason = changes.get("exit_reason", (None, None))
        _old_date, on = changes.get("exit_date", (None, None))
        when = f" on {dates.long_date(dates.parse_day(on))}" if dates.parse_day(on) else ""
        why = f": {vocabulary.label_for('exit_reason', reason)}" if reason else ""
        news.append(("exit", f"Exited MAPPA{when}{why}"))
    return news


def note(case: MappaCase, instance: ProcessInstance, news: list[tuple[str, str]]) -> list[VisorChange]:
    """The changes join the open 'Update ViSOR' process ``instance`` of the case."""
    now = clock.now()
    rows = [VisorChange(case_id=case.id, instance_id=instance.id, kind=kind, summary=summary[:400], happened_at=now)
            for kind, summary in news]
    db.session.add_all(rows)
    return rows


def waiting_on(task: HumanTask) -> list[VisorChange]:
    """The changes an 'Update ViSOR' task carries that are not recorded yet, oldest first."""
    return list(db.session.scalars(select(VisorChange).where(
        VisorChange.instance_id == task.instance_id, VisorChange.recorded_at.is_(None))
        .order_by(VisorChange.happened_at, VisorChange.id)))


def recorded_on_errors(task: HumanTask, data: dict[str, Any]) -> list[FieldError]:
    """Nothing goes on ViSOR before it happened: the date recorded is not before the task's oldest change."""
    on = dates.parse_day(data.get("visor_recorded_on"))
    changes = waiting_on(task)
    if on is None or not changes or on >= dates.to_london(changes[0].happened_at).date():
        return []
    return [FieldError("visor_recorded_on", "Date recorded on ViSOR must be on or after "
                                            f"{dates.long_date(changes[0].happened_at)}, when the oldest change "
                                            "happened")]


def recorded(user: User, task: HumanTask, data: dict[str, Any]) -> list[VisorChange]:
    """The completed task's changes are on ViSOR now: they leave the case's list (the history keeps them)."""
    rows = waiting_on(task)
    on = dates.parse_day(data.get("visor_recorded_on"))
    now = clock.now()
    for row in rows:
        row.recorded_at, row.recorded_by_id, row.recorded_on = now, user.id, on
    return rows


def pending(case_id: int) -> list[Pending]:
    """What ViSOR has not been told yet about the case, oldest first (read with the case, already logged)."""
    today = clock.today()
    rows = db.session.execute(
        select(VisorChange, HumanTask.due_date).outerjoin(HumanTask, and_(
            HumanTask.instance_id == VisorChange.instance_id, HumanTask.state == "ready"))
        .where(VisorChange.case_id == case_id, VisorChange.recorded_at.is_(None))
        .order_by(VisorChange.happened_at, VisorChange.id)).all()
    return [Pending(KINDS.get(change.kind, change.kind), change.summary, change.happened_at, due,
                    bool(due and due < today), change.kind) for change, due in rows]
