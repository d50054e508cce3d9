"""The area's duty-to-co-operate agencies through the API (CJA 2003 s.325(6)): which work with the area, their
contacts and the area's memorandum of understanding with each. Set up on the agencies page (services.agencies)."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.schemas import MODELS
from app.security import api_user
from services import agencies


def agency_json(set_up: agencies.AgencySetUp) -> dict[str, Any]:
    row = set_up.row
    signed, review = (row.mou_signed_on, row.mou_review_on) if row else (None, None)
    return {"agency": set_up.agency.key, "name": set_up.agency.name, "statute": set_up.agency.statute,
            "roles": list(set_up.roles), "works_with_area": set_up.enabled,
            "contact_name": row.contact_name if row else None, "contact_email": row.contact_email if row else None,
            "memorandum": set_up.memorandum, "mou_signed_on": signed.isoformat() if signed else None,
            "mou_review_on": review.isoformat() if review else None,
            "mou_reference": row.mou_reference if row else None}


@operation(bp, "GET", "/area/agencies", summary="The caller's area's duty-to-co-operate agencies", tag="settings",
           permission="agencies:view",
           description="Every agency CJA 2003 s.325(6) names, as the caller's area has set it up: whether it works "
                       "with the area, its contact, and the area's memorandum of understanding with it. An agency "
                       "not set up yet works with the area with no memorandum recorded.",
           responses={200: (MODELS["AreaAgencyList"], "The agencies")})
def list_area_agencies() -> ResponseReturnValue:
    user = api_user()
    return {"area": user.area.code, "agencies": [agency_json(a) for a in agencies.area_agencies(user.area_id)]}
