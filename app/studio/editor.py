"""The draft editor page, its save-as-you-go endpoint (session, X-CSRFToken, If-Match) and publishing.

The editor's script (static/js/studio/editor.mjs) saves every few seconds through ``PUT …/files``: the same
service the model API calls (services.studio.drafts.save_draft), with the session cookie instead of a bearer token.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import generate_csrf

from app.security import can, requires, signed_in_user
from app.studio.routes import bp, main_file
from app.studio.vocabulary import form_keys, panel_vocabulary
from app.templating import to_london
from services.errors import Conflict, FieldError, PreconditionFailed, ValidationFailed
from services.models import ModelDraft
from services.studio import checks, drafts

MAX_FILES = 50


def findings_of(draft: ModelDraft) -> list[dict[str, Any]]:
    return [f.as_json() for f in checks.check(drafts.draft_files(draft), draft.process_id)]


def saved_json(draft: ModelDraft) -> dict[str, Any]:
    return {"etag": drafts.etag(draft), "version": draft.version, "files": draft.files,
            "saved_at": to_london(draft.updated_at).strftime("%H:%M:%S"),
            "checks": findings_of(draft)}


def _editor(key: str, draft: ModelDraft, errors: list[FieldError], status: int = 200) -> ResponseReturnValue:
    shown = request.args.get("file") or main_file(draft.files)
    if shown not in draft.files or not shown.endswith((".bpmn", ".dmn")):
        abort(404, f"draft {draft.id} has no diagram {shown}")
    editable = draft.status == "draft" and can("studio:edit")
    findings = findings_of(draft)
    data = {"kind": "dmn" if shown.endswith(".dmn") else "bpmn", "file": shown, "files": draft.files,
            "etag": drafts.etag(draft), "editable": editable, "checks": findings, "csrf": generate_csrf(),
            "save_url": url_for("studio.save_files", key=key, draft_id=draft.id),
            "storage_key": f"mappa-studio:draft:{draft.id}:{shown}", "vocab": panel_vocabulary(draft.files)}
    return render_template("studio/editor.html", page_title=f"{draft.name}: draft {draft.id}", active_nav="studio",
                           key=key, draft=draft, shown=shown, data=data, findings=findings, errors=errors,
                           editable=editable, forms=form_keys(draft.files),
                           has_errors=any(f["severity"] == "error" for f in findings)), status


@bp.get("/studio/<key>/drafts/<int:draft_id>")
@requires("studio:view")
def editor(key: str, draft_id: int) -> ResponseReturnValue:
    return _editor(key, drafts.load_draft(draft_id, key), [])


def _posted_files() -> dict[str, bytes] | None:
    body = request.get_json(silent=True)
    files = body.get("files") if isinstance(body, dict) else None
    if not isinstance(files, dict) or not files or len(files) > MAX_FILES or not all(
            isinstance(name, str) and isinstance(text, str) for name, text in files.items()):
        return None
    return {name: text.encode() for name, text in files.items()}


@bp.put("/studio/<key>/drafts/<int:draft_id>/files")
@requires("studio:edit")
def save_files(key: str, draft_id: int) -> ResponseReturnValue:
    """Save the draft's files (all of them) with If-Match; 412 with who saved since; the checks come back."""
    files = _posted_files()
    if files is None:
        return jsonify({"error": "Send {\"files\": {name: text}}", "errors": [
            {"field": "files", "message": "Send the draft's files, each a name and its text"}]}), 422
    if_match = request.headers.get("If-Match", "").strip()
    if not if_match:  # as the API: a save must say which version it read, or it could overwrite a colleague's
        return jsonify({"error": drafts.NO_IF_MATCH}), 428
    try:
        draft = drafts.save_draft(signed_in_user(), draft_id, files, if_match, key)
    except PreconditionFailed as stale:
        current: ModelDraft = stale.current  # type: ignore[assignment]
        return jsonify({"error": stale.message, "current": {"etag": drafts.etag(current), "version": current.version,
                                                              "updated_by": current.updated_by}}), 412
    except Conflict as conflict:
        return jsonify({"error": conflict.message}), 409
    response = jsonify(saved_json(draft))
    response.headers["ETag"] = drafts.etag(draft)
    return response


@bp.post("/studio/<key>/drafts/<int:draft_id>/publish")
@requires("studio:edit")
def publish(key: str, draft_id: int) -> ResponseReturnValue:
    try:
        row = drafts.publish_draft(signed_in_user(), draft_id, key)
    except ValidationFailed as failed:
        return _editor(key, drafts.load_draft(draft_id, key), failed.errors, 422)
    except Conflict as conflict:
        return _editor(key, drafts.load_draft(draft_id, key), [FieldError("", conflict.message)], 409)
    flash(f"Version {row.version} of {row.name} published: new cases start on it, running ones stay on theirs",
          "success")
    return redirect(url_for("studio.version_page", key=key, n=row.version))
