"""A case's disclosure decisions (issue 14 item 1, MAPPA guidance ch.10): read them, or record one."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.schemas import DISCLOSURE, DISCLOSURE_LIST, DISCLOSURE_REQUEST
from app.security import api_user
from services import disclosures
from services.models import DisclosureDecision, User


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _username(user: User | None) -> str | None:
    return user.username if user else None


def decision_json(row: DisclosureDecision) -> dict[str, Any]:
    return {
        "id": row.id, "case_id": row.case_id, "minutes_id": row.minutes_id, "decision": row.decision,
        "rationale": row.rationale, "recipient": row.recipient, "recipient_organisation": row.recipient_organisation,
        "information": row.information, "power": row.power, "deliverer_role": row.deliverer_role,
        "deliverer": _username(row.deliverer), "deliver_by": _iso(row.deliver_by),
        "offender_told_first": row.offender_told_first, "offender_not_told_reason": row.offender_not_told_reason,
        "undertaking": row.undertaking, "status": row.status, "decided_by": _username(row.decided_by),
        "decided_at": row.decided_at.isoformat(), "delivered_on": _iso(row.delivered_on),
        "delivery_method": row.delivery_method, "undertaking_given": row.undertaking_given,
        "delivered_by": _username(row.delivered_by),
    }


@operation(bp, "GET", "/cases/<int:case_id>/disclosures", summary="A case's disclosure decisions", tag="cases",
           permission="disclosures:view", responses={200: (DISCLOSURE_LIST, "Decisions, newest first")},
           errors=(404,))
def list_disclosures(case_id: int) -> ResponseReturnValue:
    rows = disclosures.decisions_for(api_user(), case_id)
    return {"case_id": case_id, "decisions": [decision_json(row) for row in rows]}


@operation(bp, "POST", "/cases/<int:case_id>/disclosures", summary="Record a disclosure decision", tag="cases",
           permission="disclosures:record", body=DISCLOSURE_REQUEST,
           description="Disclose or not (with the reason). A decision to disclose names the recipient, what is "
                       "disclosed, the power used, who delivers it and by when, whether the offender is told first "
                       "and the recipient's undertaking, and starts its delivery task. ``minutes_id``: the minutes "
                       "of the MAPP meeting review that made it.",
           responses={201: (DISCLOSURE, "The decision recorded")}, errors=(404, 409, 422))
def record_disclosure(case_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    minutes_id = body.pop("minutes_id", None)
    row = disclosures.record_decision(api_user(), case_id, body, minutes_id)
    return decision_json(row), 201, {"Location": url_for("api.list_disclosures", case_id=case_id)}
