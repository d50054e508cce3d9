"""BPMN lanes name agency roles. A lane resolves to a role inside the case's MAPPA area."""

from __future__ import annotations

# Lane label (as drawn in the diagram) -> role key held by users.
LANE_ROLES: dict[str, str] = {
    "MAPPA Coordinator": "coordinator",
    "MAPPA Administrator": "administrator",
    "MAPP Meeting Chair": "chair",
    "Offender Manager": "offender_manager",
    "Police Public Protection": "police",
    "Prison": "prison",
    "Referrer": "referrer",
    "Manager": "manager",
    "Housing": "housing",
    "Health": "health",
    "Jobcentre Plus": "jobcentre",
}


class UnknownLane(ValueError):
    pass


def role_for_lane(lane: str | None) -> str:
    if lane is None:
        raise UnknownLane("a user task must sit in a lane that names an agency role")
    try:
        return LANE_ROLES[lane]
    except KeyError:
        known = ", ".join(sorted(LANE_ROLES))
        raise UnknownLane(f"lane '{lane}' names no known role (known lanes: {known})") from None
