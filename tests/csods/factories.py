"""Child Sex Offender Disclosure Scheme applications for tests (the access matrix builds them too)."""

from __future__ import annotations

from typing import Any

from services import csods
from services.db import db
from services.models import CsodsApplication, User

APPLICATION: dict[str, Any] = {
    "received_on": "2026-11-25", "applicant_name": "Mrs Jane Parent", "applicant_address": "1 High Street, Northtown",
    "applicant_contact": "07700 900123", "applicant_contact_preference": "Mobile only, after 6pm",
    "applicant_relationship": "parent", "subject_name": "Mr Sid Subject", "subject_date_of_birth": "1980-03-27",
    "subject_relationship": "New partner", "subject_contact": "Stays at the family home three nights a week.",
    "child_name": "Tilly Parent", "child_date_of_birth": "2019-06-01", "parents_know": "one",
}


def application(user: User, **overrides: Any) -> CsodsApplication:
    """An application recorded by ``user`` (a police officer), through the service."""
    row = csods.create(user, {**APPLICATION, **overrides})
    db.session.commit()
    return row
