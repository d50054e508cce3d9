"""MAPPA annual statistics for the caller's area: GET /api/v1/statistics/annual?year_ending=&format=."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.schemas import ANNUAL_ANSWER, ANNUAL_QUERY
from app.security import api_user
from app.statistics.exports import export_response, parse_format
from services.annual import annual, parse_year_ending


@operation(bp, "GET", "/statistics/annual", summary="MAPPA annual statistics and the SMB performance pack",
           tag="statistics", permission="statistics:export", query=ANNUAL_QUERY, errors=(422,),
           description="For the year ending 31 March (default: the last one passed), in the caller's area (needs "
                       "statistics:export). CSV, XLSX and PDF are attachments marked OFFICIAL-SENSITIVE.",
           responses={200: ANNUAL_ANSWER})
def get_annual_statistics(query: dict[str, Any]) -> ResponseReturnValue:
    fmt = parse_format(query.get("format"))
    report = annual(api_user(), parse_year_ending(query.get("year_ending")))
    return export_response(report, fmt)
