"""The SMB pack for the caller's area: GET /api/v1/smb/pack?year_ending= (aggregated figures only)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.schemas import SMB_PACK, SMB_PACK_QUERY
from app.security import api_user
from services.annual import parse_year_ending
from services.smb_pack import MARKING, Pack, pack


@operation(bp, "GET", "/smb/pack", summary="The SMB pack: statistics, audit summary and business plan", tag="smb",
           permission="smb:view", query=SMB_PACK_QUERY, errors=(422,),
           description="For the year ending 31 March (default: the last one passed), in the caller's area (needs "
                       "smb:view: the MAPPA unit's coordinator, managers and chairs, the SMB chair and lay advisers).",
           responses={200: (SMB_PACK, "The pack", {})})
def get_smb_pack(query: dict[str, Any]) -> ResponseReturnValue:
    return jsonify(pack_json(pack(api_user(), parse_year_ending(query.get("year_ending")))))


def pack_json(report: Pack) -> dict[str, Any]:
    return {
        "area": report.statistics.area, "year_ending": report.year_ending.isoformat(), "marking": MARKING,
        "tables": [{"key": t.key, "title": t.title, "columns": t.columns, "rows": t.rows}
                   for t in report.statistics.tables],
        "audit": None if report.audit is None else [
            {"kind": tool.kind, "title": tool.title, "sampled": tool.sampled, "audited": tool.audited,
             "questions": [{"key": q.key, "title": q.title, "counts": q.counts} for q in tool.questions]}
            for tool in report.audit],
        "plan": [{"title": row.action.title, "owner_role": row.action.owner_role,
                  "due_on": row.action.due_on.isoformat(), "status": row.action.status, "overdue": row.overdue}
                 for row in report.plan],
    }
