"""The SMB business plan (MAPPA.md section 14): actions the board agrees, each owned by an agency role, due by a
date, with its progress; an action not done by its due date is overdue. The plan holds no case data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from services import clock, forms
from services.access import log_access
from services.db import db
from services.errors import FieldError, NotFound, ValidationFailed
from services.models import SmbPlanAction, User
from workflows.lanes import ROLES

PLAN_STATUSES: dict[str, str] = {"not started": "Not started", "in progress": "In progress", "done": "Done"}
# who can own a business plan action: any agency role of the board's partners (not a person, not the referrer)
PLAN_OWNERS: dict[str, str] = {r.key: r.name for r in ROLES if not r.personal}
TITLE_MAX = 400


@dataclass(frozen=True)
class PlanRow:
    action: SmbPlanAction

    @property
    def overdue(self) -> bool:
        return self.action.status != "done" and self.action.due_on < clock.today()


def plan(user: User) -> list[PlanRow]:
    """The area's business plan, soonest due first (the consultation is logged)."""
    log_access(user, "smb_plan_viewed", None, f"area {user.area_id}")
    rows = db.session.scalars(select(SmbPlanAction).where(SmbPlanAction.area_id == user.area_id)
                              .order_by(SmbPlanAction.due_on, SmbPlanAction.id))
    return [PlanRow(row) for row in rows]


def plan_schema() -> dict[str, Any]:
    """A business plan action as a form (JSON Schema): the page renders it, ``add`` validates with it."""
    properties: dict[str, Any] = {
        "title": {"type": "string", "title": "Action", "minLength": 1, "maxLength": TITLE_MAX, "x-widget": "textarea",
                  "description": "What the board has agreed will be done",
                  "x-required-message": "Enter what the action is"},
        "owner_role": {"type": "string", "title": "Owned by", "enum": list(PLAN_OWNERS), "x-labels": PLAN_OWNERS,
                       "x-widget": "select", "x-required-message": "Select the agency that owns the action"},
        "due_on": {"type": "string", "format": "date", "title": "Due by", "description": "For example, 31 3 2027",
                   "x-required-message": "Enter the date the action is due"},
        "status": {"type": "string", "title": "Progress", "enum": list(PLAN_STATUSES), "x-labels": PLAN_STATUSES,
                   "x-widget": "radios", "x-required-message": "Select how far the action has got"},
    }
    return {"type": "object", "additionalProperties": False, "x-order": list(properties),
            "required": list(properties), "properties": properties}


def add(user: User, data: dict[str, Any]) -> SmbPlanAction:
    """Add an action (checked whole first): ``data`` as ``plan_schema`` says."""
    schema = plan_schema()
    errors = forms.validate(schema, data) or forms.date_errors(schema, data)
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    row = SmbPlanAction(area_id=user.area_id, title=str(data["title"]).strip(), owner_role=data["owner_role"],
                        due_on=date.fromisoformat(data["due_on"]), status=data["status"], created_by_id=user.id,
                        created_at=now, updated_at=now)
    db.session.add(row)
    db.session.flush()
    log_access(user, "smb_plan_action_added", None, f"action {row.id} due {row.due_on}")
    return row


def set_status(user: User, action_id: int, status: str | None) -> SmbPlanAction:
    """Record an action's progress (an action of another area is not found)."""
    row = db.session.get(SmbPlanAction, action_id)
    if row is None or row.area_id != user.area_id:
        log_access(user, "smb_plan_action_access_refused", None, f"action {action_id}")
        raise NotFound("business plan action not found")
    if status not in PLAN_STATUSES:
        raise ValidationFailed([FieldError(f"status-{action_id}", "Select how far the action has got")])
    row.status, row.updated_at = status, clock.now()
    log_access(user, "smb_plan_action_updated", None, f"action {row.id}: {status}")
    return row
