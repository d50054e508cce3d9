"""Roles and what they may do. Case data is further scoped to the user's MAPPA area (services.access)."""

from __future__ import annotations

from services.models import User
from workflows.lanes import AREA_WIDE_ROLES, ROLE_BY_KEY

__all__ = ["AREA_WIDE_ROLES", "CASE_WORK", "PERMISSIONS", "has_permission"]

CASE_WORK = frozenset(ROLE_BY_KEY)  # every agency role, duty-to-co-operate agencies included (workflows.lanes)

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "tasks:work": CASE_WORK,
    "cases:view": CASE_WORK,
    "cases:refer": CASE_WORK - {"manager", "administrator", "chair"},
    # transfer, lead, release date: the Responsible Authority and the MAPPA unit, not duty-to-co-operate agencies
    "cases:manage": AREA_WIDE_ROLES,
    "incidents:view": frozenset({"process_owner", "coordinator"}),
    "audit:view": frozenset({"coordinator", "manager"}),
    # unlock locked accounts and revoke API tokens of users in their own area
    "accounts:manage": frozenset({"coordinator", "manager"}),
    "statistics:view": frozenset({"coordinator", "manager", "chair", "administrator"}),
    "account:tokens": CASE_WORK | {"process_owner"},
    "signed_in": CASE_WORK | {"process_owner"},
}


def has_permission(user: User, permission: str) -> bool:
    allowed = PERMISSIONS.get(permission)
    if allowed is None:
        raise KeyError(f"unknown permission {permission!r}")
    return bool(user.roles & allowed)
