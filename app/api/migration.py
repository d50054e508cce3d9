"""JSON API of the studio's comparisons and migrations: compare two versions of a model; move running instances.

Models are national: a model key (its process id) is not area data. Instances of every area are moved together.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.schemas import COMPARE_QUERY, MODELS
from app.security import api_user
from services.errors import FieldError, ValidationFailed
from services.studio import migration
from services.studio.compare import compare_draft, compare_versions


def _refused(err: migration.MigrationRefused) -> Response:
    response = jsonify(error={"status": 409, "message": err.message, "reasons": err.reasons},
                       plan=[p.as_json() for p in err.plans])
    response.status_code = 409
    return response


bp.register_error_handler(migration.MigrationRefused, _refused)


@operation(bp, "GET", "/models/<key>/compare", tag="models", permission="studio:view", query=COMPARE_QUERY,
           summary="What changed between two versions of a model, or between a version and a draft",
           errors=(404, 422), responses={200: (MODELS["Comparison"], "Added, removed and changed elements and form "
                                                                   "fields")})
def compare_model_versions(key: str, query: dict[str, Any]) -> ResponseReturnValue:
    """``?from=<n>&to=<m>`` (two versions) or ``?from=<n>&draft=<id>`` (a draft with a version)."""
    missing = [FieldError("from", "Give a version number, like 2")] if "from" not in query else []
    if ("to" in query) == ("draft" in query):
        missing.append(FieldError("to", "Give either to (a version number) or draft (a draft id)"))
    if missing:
        raise ValidationFailed(missing)
    if "draft" in query:
        return compare_draft(key, query["from"], query["draft"]).as_json()
    return compare_versions(key, query["from"], query["to"]).as_json()


@operation(bp, "POST", "/instances/migrate", summary="Preview or migrate running instances to another version",
           tag="models", permission="studio:edit", body=MODELS["MigrationRequest"], errors=(422,),
           responses={200: (MODELS["Migration"], "The plan per instance (carried out unless dry_run)"),
                      409: (MODELS["MigrationRefused"], "Some instance cannot move: nothing was moved; the reasons "
                                                        "name the instance and the task")})
def migrate_instances(body: dict[str, Any]) -> ResponseReturnValue:
    model, old, new, dry_run = body["model"].strip(), body["from"], body["to"], body["dry_run"]
    instance = body.get("instance")
    if dry_run:
        plans = migration.preview(model, old, new, instance)
    else:
        plans = migration.migrate(api_user(), model, old, new, instance)
    return {"model": model, "from": old, "to": new, "dry_run": dry_run, "plan": [p.as_json() for p in plans]}
