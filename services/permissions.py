"""Roles and what they may do. Case data is further scoped to the user's MAPPA area (services.access).

Need to know has three parts, read together from here: the area (never another's), the role (PERMISSIONS) and,
for changes that decide who sees a case, the relationship to that case (CASE_RELATIONSHIPS).
"""

from __future__ import annotations

from collections.abc import Callable

from services.models import MappaCase, User
from workflows.lanes import AREA_WIDE_ROLES, ROLE_BY_KEY

__all__ = ["AREA_WIDE_ROLES", "CASE_RELATIONSHIPS", "CASE_WORK", "PERMISSIONS", "REFUSAL_EVENTS", "has_permission",
           "may_on_case"]

CASE_WORK = frozenset(ROLE_BY_KEY)  # every agency role, duty-to-co-operate agencies included (workflows.lanes)
RESPONSIBLE_AUTHORITY = frozenset({"offender_manager", "police", "prison"})

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "tasks:work": CASE_WORK,
    "cases:view": CASE_WORK,
    "cases:refer": CASE_WORK - {"manager", "administrator", "chair"},
    # who sees a case changes with its area and its lead: the coordinator, or the lead agency's manager
    "cases:transfer": frozenset({"coordinator", "manager"}),
    "cases:change_lead": frozenset({"coordinator", "manager"}),
    # the custody date is the Responsible Authority's fact (prison, probation, police) or the coordinator's
    "cases:change_release_date": RESPONSIBLE_AUTHORITY | {"coordinator"},
    "incidents:view": frozenset({"process_owner", "coordinator"}),
    "audit:view": frozenset({"coordinator", "manager"}),
    "statistics:view": frozenset({"coordinator", "manager", "chair", "administrator"}),
    "account:tokens": CASE_WORK | {"process_owner"},
    "signed_in": CASE_WORK | {"process_owner"},
}

Relationship = Callable[[User, MappaCase], bool]


def manages_lead_agency(user: User, case: MappaCase) -> bool:
    """The user works for the case's lead agency (a manager is their own agency's manager, User.agency)."""
    return bool(case.lead_agency) and user.agency.casefold() == case.lead_agency.casefold()


# permission on one case -> role -> the relationship to the case that role also needs. A role not named here needs
# none beyond the case's area: the coordinator decides for the whole area.
CASE_RELATIONSHIPS: dict[str, dict[str, Relationship]] = {
    "cases:transfer": {"manager": manages_lead_agency},
    "cases:change_lead": {"manager": manages_lead_agency},
}

# permission on one case -> the access-log event written when it is refused
REFUSAL_EVENTS: dict[str, str] = {
    "cases:transfer": "case_transfer_refused",
    "cases:change_lead": "case_lead_change_refused",
    "cases:change_release_date": "case_release_date_change_refused",
}


def has_permission(user: User, permission: str) -> bool:
    allowed = PERMISSIONS.get(permission)
    if allowed is None:
        raise KeyError(f"unknown permission {permission!r}")
    return bool(user.roles & allowed)


def may_on_case(user: User, permission: str, case: MappaCase) -> bool:
    """The user holds ``permission`` on this case: in its area, by a role with the relationship that role needs."""
    if case.area_id != user.area_id or not has_permission(user, permission):
        return False
    needs = CASE_RELATIONSHIPS.get(permission, {})
    return any(role not in needs or needs[role](user, case) for role in user.roles & PERMISSIONS[permission])
