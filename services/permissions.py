"""Roles and what they may do. Case data is further scoped to the user's MAPPA area (services.access)."""

from __future__ import annotations

from services.models import User

CASE_WORK = frozenset({
    "coordinator", "administrator", "chair", "offender_manager", "police", "prison", "housing", "health",
    "jobcentre", "referrer", "manager",
})

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "tasks:work": CASE_WORK,
    "cases:view": CASE_WORK,
    "cases:refer": CASE_WORK - {"manager", "administrator", "chair"},
    "incidents:view": frozenset({"process_owner", "coordinator"}),
    "audit:view": frozenset({"coordinator", "manager"}),
    "statistics:view": frozenset({"coordinator", "manager", "chair", "administrator"}),
    "account:tokens": CASE_WORK | {"process_owner"},
    "signed_in": CASE_WORK | {"process_owner"},
}

# Roles that see every case in their area; others see the cases they referred, lead or hold tasks on.
AREA_WIDE_ROLES = frozenset({"coordinator", "administrator", "chair", "manager", "police", "offender_manager",
                             "prison"})


def has_permission(user: User, permission: str) -> bool:
    allowed = PERMISSIONS.get(permission)
    if allowed is None:
        raise KeyError(f"unknown permission {permission!r}")
    return bool(user.roles & allowed)
