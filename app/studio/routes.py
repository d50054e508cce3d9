"""The model library, one version's page (diagram, files, download) and starting a draft from a version."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.security import requires, signed_in_user
from services.errors import Conflict, FieldError, ValidationFailed
from services.models import ModelDraft, ProcessModel
from services.studio import checks, drafts, imports

bp = Blueprint("studio", __name__, template_folder="templates")

MEDIA_TYPES = {".bpmn": "application/xml", ".dmn": "application/xml", ".json": "application/json"}


def version_status(row: ProcessModel, latest: int) -> str:
    if row.retired_at is not None:
        return "retired"
    return "published" if row.version == latest else "superseded"


def main_file(files: dict[str, Any]) -> str:
    """The diagram a draft or version opens on: its first BPMN file (else its first decision table)."""
    diagrams = sorted(name for name in files if name.endswith(".bpmn")) or sorted(
        name for name in files if name.endswith(".dmn"))
    return diagrams[0] if diagrams else ""


@bp.get("/studio")
@requires("studio:view")
def library() -> ResponseReturnValue:
    counts = drafts.running_counts()
    models: dict[str, dict[str, Any]] = {}
    for row in drafts.versions():
        entry = models.setdefault(row.process_id, {"key": row.process_id, "versions": [], "drafts": []})
        entry["name"] = row.name
        entry["versions"].append(row)
    by_model: dict[str, list[ModelDraft]] = defaultdict(list)
    for draft in drafts.open_drafts():
        by_model[draft.process_id].append(draft)
        models.setdefault(draft.process_id, {"key": draft.process_id, "name": draft.name, "versions": []})
    for key, entry in models.items():
        latest = max((v.version for v in entry["versions"] if v.retired_at is None), default=0)
        entry["rows"] = [{"row": v, "status": version_status(v, latest),
                          "running": counts.get((key, v.version), 0)} for v in reversed(entry["versions"])]
        entry["drafts"] = by_model.get(key, [])
    return render_template("studio/library.html", page_title="Process models", active_nav="studio",
                           models=sorted(models.values(), key=lambda m: m["name"]))


@bp.get("/studio/<key>/versions/<int:n>")
@requires("studio:view")
def version_page(key: str, n: int) -> ResponseReturnValue:
    row = drafts.version_row(key, n)
    shown = request.args.get("file") or main_file(row.files)
    if shown not in row.files:
        abort(404, f"version {n} of {key} has no file {shown}")
    findings = [f.as_json() for f in checks.check(drafts.version_files(key, n), key)]
    return render_template("studio/version.html", page_title=f"{row.name}: version {n}", active_nav="studio",
                           row=row, key=key, shown=shown, xml=row.files[shown], findings=findings)


@bp.get("/studio/<key>/versions/<int:n>/download")
@requires("studio:view")
def download(key: str, n: int) -> ResponseReturnValue:
    files = drafts.version_files(key, n)
    name = request.args.get("file") or main_file(files)
    if name not in files:
        abort(404, f"version {n} of {key} has no file {name}")
    suffix = "." + name.rsplit(".", 1)[-1]
    download_name = f"{key}-v{n}-{name.replace('/', '-')}"
    return Response(files[name], mimetype=MEDIA_TYPES.get(suffix, "application/octet-stream"),
                    headers={"Content-Disposition": f'attachment; filename="{download_name}"'})


@bp.post("/studio/<key>/versions/<int:n>/drafts")
@requires("studio:edit")
def start_draft(key: str, n: int) -> ResponseReturnValue:
    draft = drafts.create_draft(signed_in_user(), key, drafts.version_files(key, n), base_version=n)
    return redirect(url_for("studio.editor", key=key, draft_id=draft.id))


@bp.post("/studio/<key>/versions/<int:n>/retire")
@requires("studio:edit")
def retire(key: str, n: int) -> ResponseReturnValue:
    try:
        drafts.retire_version(signed_in_user(), key, n)
    except Conflict as refused:
        flash(refused.message, "error")
    else:
        flash(f"Version {n} retired: new cases start on the newest version not retired", "success")
    return redirect(url_for("studio.version_page", key=key, n=n))


@bp.route("/studio/import", methods=["GET", "POST"])
@requires("studio:view", write="studio:edit")
def import_model() -> ResponseReturnValue:
    """Upload a .bpmn or .dmn: a new draft (of the model chosen, or of the process the file holds)."""
    if request.method == "GET":
        return _import_page([])
    upload = request.files.get("file")
    key = request.form.get("key") or None
    if upload is None or not upload.filename:
        return _import_page([FieldError("file", "Choose a .bpmn or .dmn file")], key, 422)
    try:
        draft, _findings = imports.import_model(signed_in_user(), upload.read(), upload.filename, key)
    except ValidationFailed as refused:  # element ids named in the message; every error points at the file input
        return _import_page([e if e.field in ("file", "key") else FieldError("file", f"{e.field}: {e.message}")
                             for e in refused.errors], key, 422)
    flash(f"{upload.filename} imported as draft {draft.id}: its checks are listed beside the diagram", "success")
    return redirect(url_for("studio.editor", key=draft.process_id, draft_id=draft.id))


def _import_page(errors: list[FieldError], key: str | None = None, status: int = 200) -> ResponseReturnValue:
    keys = sorted({row.process_id for row in drafts.versions()})
    return render_template("studio/import.html", page_title="Import a process model", active_nav="studio",
                           errors=errors, keys=keys, key=key), status
