"""POST /api/v1/notifications/rso: a registered sex offender's notification event (services.rso)."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.schemas import LOCATION, RSO_EVENT, RSO_REQUEST
from app.security import api_user
from services import rso
from services.models import RsoEvent


def rso_event_json(row: RsoEvent, view: rso.RsoView) -> dict[str, Any]:
    return {"id": row.id, "case_id": row.case_id, "kind": row.kind, "change": row.change,
            "occurred_on": row.occurred_on.isoformat() if row.occurred_on else None,
            "notified_on": row.notified_on.isoformat(), "due": row.due.isoformat() if row.due else None,
            "late": row.late, "details": row.details,
            "due_next": [{"what": d.what, "due": d.due.isoformat() if d.due else None, "overdue": d.overdue}
                         for d in view.due]}


@operation(bp, "POST", "/notifications/rso", summary="Record a registered sex offender's notification event",
           tag="cases", permission="rso:record", body=RSO_REQUEST,
           description="Sexual Offences Act 2003 Part 2, recorded by the police public protection unit on a case of "
                       "its area (another area's case: 404).",
           responses={201: (RSO_EVENT, "The event recorded, with what is due next", {"headers": LOCATION})},
           errors=(404, 409, 422))
def record_rso_notification(body: dict[str, Any]) -> ResponseReturnValue:
    data = {key: value for key, value in body.items() if key != "case_id"}
    row = rso.record_event(api_user(), int(body["case_id"]), data)
    return rso_event_json(row, rso.view(row.case)), 201, {"Location": f"/cases/{row.case_id}#rso"}
