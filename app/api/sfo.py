"""Serious further offences: notifying a charge on a case starts its review (services.sfo)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.routes import task_json
from app.api.schemas import SFO, SFO_FIELDS, SFO_REQUEST
from app.security import api_user
from services import clock, sfo
from services.errors import FieldError, ValidationFailed

_API_NAMES = {form: api for api, form in SFO_FIELDS.items()}


@operation(bp, "POST", "/cases/<int:case_id>/sfo", summary="Notify a serious further offence charge", tag="cases",
           permission="sfo:notify", body=SFO_REQUEST,
           description="Records the charge on the case (counted in the annual statistics) and starts its review: the "
                       "MAPPA N is then a task for the case's lead agency, due within the area's setting.",
           responses={201: (SFO, "The serious further offence, its review started")}, errors=(404, 409, 422))
def notify_sfo(case_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    data = {form: body[api] for api, form in SFO_FIELDS.items() if api in body}
    try:
        row = sfo.notify(api_user(), case_id, data)
    except ValidationFailed as failed:
        raise ValidationFailed([FieldError(_API_NAMES.get(e.field, e.field), e.message) for e in failed.errors]) \
            from None
    today = clock.today()
    return ({"id": row.id, "case_id": row.case_id, "offence": row.offence, "charged_on": row.charged_on.isoformat(),
             "details": row.details, "status": row.status, "scr_decision": row.scr_decision,
             "publication": row.publication, "process_instance_id": row.process_instance_id,
             "steps": [task_json(step, today) for step in sfo.reviews_steps(row)]}, 201,
            {"Location": url_for("cases.sfo_record", case_id=case_id)})
