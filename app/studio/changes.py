"""Comparing versions (or a draft with a version) and migrating running instances between versions.

Both read the diff helper's services (services.studio.compare, services.studio.migration), as its API does.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.security import requires, signed_in_user
from app.studio.routes import bp, main_file
from services.errors import FieldError, NotFound, ValidationFailed
from services.studio import compare, drafts, migration


def _latest(key: str) -> int:
    row = drafts.latest_version(key)
    if row is None:
        raise NotFound(f"no process model {key!r}")
    return row.version


@bp.get("/studio/<key>/compare")
@requires("studio:view")
def compare_page(key: str) -> ResponseReturnValue:
    latest = _latest(key)
    old = request.args.get("from", type=int) or max(latest - 1, 1)
    draft_id = request.args.get("draft", type=int)
    new = request.args.get("to", type=int) or latest
    try:
        if draft_id:
            result = compare.compare_draft(key, old, draft_id)
            files = drafts.load_draft(draft_id, key).files
        else:
            result = compare.compare_versions(key, old, new)
            files = drafts.version_row(key, new).files
    except ValidationFailed as failed:
        return render_template("studio/compare.html", page_title="Compare versions", active_nav="studio", key=key,
                               errors=failed.errors, result=None, old=old, new=new, draft_id=draft_id), 422
    shown = main_file(files)
    marked = [c.id for c in result.elements if c.change in ("added", "changed")]
    return render_template("studio/compare.html", page_title="Compare versions", active_nav="studio", key=key,
                           errors=[], result=result, old=old, new=new, draft_id=draft_id,
                           diagram={"xml": files.get(shown, ""), "active": marked, "completed": []})


@bp.route("/studio/<key>/migrate", methods=["GET", "POST"])
@requires("studio:view", write="studio:edit")
def migrate_page(key: str) -> ResponseReturnValue:
    latest = _latest(key)
    values = request.form if request.method == "POST" else request.args
    old = values.get("from", type=int) or max(latest - 1, 1)
    new = values.get("to", type=int) or latest
    instance = values.get("instance", type=int)
    errors: list[FieldError] = []
    plans: list[migration.InstancePlan] = []
    status = 200
    try:
        if request.method == "POST":
            moved = migration.migrate(signed_in_user(), key, old, new, instance)
            flash(f"{len(moved)} running instance(s) moved from version {old} to version {new}", "success")
            return redirect(url_for("studio.library", _anchor=f"model-{key}"))
        if old != new:
            plans = migration.preview(key, old, new, instance)
    except migration.MigrationRefused as refused:
        errors, plans, status = [FieldError("", reason) for reason in refused.reasons], refused.plans, 409
    except ValidationFailed as failed:
        errors, status = failed.errors, 422
    return render_template("studio/migrate.html", page_title="Migrate running instances", active_nav="studio",
                           key=key, old=old, new=new, instance=instance, plans=plans, errors=errors,
                           versions=list(range(1, latest + 1))), status
