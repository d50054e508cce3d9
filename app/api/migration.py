"""JSON API of the studio's comparisons and migrations: compare two versions of a model; move running instances.

Models are national: a model key (its process id) is not area data. Instances of every area are moved together.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.body import json_object
from app.api.errors import invalid
from app.routing import parse_id
from app.security import api_requires, api_user
from services.errors import FieldError, ValidationFailed
from services.studio import migration
from services.studio.compare import compare_draft, compare_versions

MIGRATE_FIELDS = {"model", "from", "to", "dry_run", "instance"}


def _version(raw: Any, field: str, what: str = "a version number, like 2") -> int:
    value = parse_id(str(raw)) if isinstance(raw, int | str) and not isinstance(raw, bool) else None
    if value is None or value < 1:
        raise invalid(field, f"Give {what}")
    return value


@bp.get("/models/<key>/compare")
@api_requires("studio:view")
def compare_model_versions(key: str) -> ResponseReturnValue:
    """``?from=<n>&to=<m>`` (two versions) or ``?from=<n>&draft=<id>`` (a draft with a version)."""
    args = request.args
    missing = [FieldError("from", "Give a version number, like 2")] if "from" not in args else []
    if ("to" in args) == ("draft" in args):
        missing.append(FieldError("to", "Give either to (a version number) or draft (a draft id)"))
    if missing:
        raise ValidationFailed(missing)
    old = _version(args["from"], "from")
    if "draft" in args:
        return compare_draft(key, old, _version(args["draft"], "draft", "a draft id, like 3")).as_json()
    return compare_versions(key, old, _version(args["to"], "to")).as_json()


def _migrate_body(body: dict[str, Any]) -> tuple[str, int, int, bool, int | None]:
    errors = [FieldError(name, "Unknown field") for name in sorted(body.keys() - MIGRATE_FIELDS)]
    errors += [FieldError(name, "Required") for name in ("model", "from", "to", "dry_run") if name not in body]
    if errors:
        raise ValidationFailed(errors)
    if not isinstance(body["model"], str) or not body["model"].strip():
        raise invalid("model", "Give the model's key, like mappa_review")
    if not isinstance(body["dry_run"], bool):
        raise invalid("dry_run", "Give true (preview only) or false (migrate)")
    instance = body.get("instance")
    return (body["model"].strip(), _version(body["from"], "from"), _version(body["to"], "to"), body["dry_run"],
            None if instance is None else _version(instance, "instance", "an instance id, like 12"))


def _refused(err: migration.MigrationRefused) -> Response:
    response = jsonify(error={"status": 409, "message": err.message, "reasons": err.reasons},
                       plan=[p.as_json() for p in err.plans])
    response.status_code = 409
    return response


bp.register_error_handler(migration.MigrationRefused, _refused)


@bp.post("/instances/migrate")
@api_requires("studio:edit")
def migrate_instances() -> ResponseReturnValue:
    model, old, new, dry_run, instance = _migrate_body(json_object())
    if dry_run:
        plans = migration.preview(model, old, new, instance)
    else:
        plans = migration.migrate(api_user(), model, old, new, instance)
    return {"model": model, "from": old, "to": new, "dry_run": dry_run, "plan": [p.as_json() for p in plans]}
