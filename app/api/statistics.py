"""MAPPA annual statistics for the caller's area: GET /api/v1/statistics/annual?year_ending=&format=."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue

from app.api import bp
from app.security import api_requires, api_user
from app.statistics.exports import export_response, parse_format
from services.annual import annual, parse_year_ending
from services.errors import FieldError, ValidationFailed

PARAMETERS = {"year_ending", "format"}


@bp.get("/statistics/annual")
@api_requires("statistics:export")
def get_annual_statistics() -> ResponseReturnValue:
    unknown = sorted(set(request.args) - PARAMETERS)
    if unknown:
        raise ValidationFailed([FieldError(name, "Unknown query parameter") for name in unknown])
    fmt = parse_format(request.args.get("format"))
    report = annual(api_user(), parse_year_ending(request.args.get("year_ending")))
    return export_response(report, fmt)
