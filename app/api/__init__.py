"""The JSON API (/api/v1): bearer tokens, no cookies, so no CSRF; errors are JSON in one shape."""

from __future__ import annotations

from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# The views attach themselves to ``bp``; importing the modules is what registers them.
from app.api import (  # noqa: E402
    agencies,
    area_tasks,
    csods,
    disclosures,
    errors,
    meetings,
    migration,
    models,
    notifications,
    routes,
    rso,
    sfo,
    smb,
    statistics,
    tokens,
    trials,
)

errors.register_error_handlers(bp)

__all__ = ["agencies", "area_tasks", "bp", "csods", "disclosures", "meetings", "migration", "models", "notifications",
           "routes", "rso", "sfo", "statistics", "tokens", "trials"]
__all__ = ["area_tasks", "bp", "meetings", "migration", "models", "notifications", "routes", "smb", "statistics",
           "tokens", "trials"]
