"""The form editor: a draft's ``forms/<form_key>.json`` edited as rows of fields, with a live GOV.UK preview.

The preview is rendered on the server with the task pages' own macro (components/schema_form.html), from the
same rows the editor posts: the script (static/js/studio/form_editor.mjs) sends the form as typed.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.formfields import form_fields
from app.security import can, requires, signed_in_user
from app.studio.forms import TYPES, build_schema, empty_schema, posted_rows, rows, with_vocabularies
from app.studio.routes import bp
from services.errors import Conflict, FieldError, PreconditionFailed
from services.forms import FORMS_DIR
from services.models import ModelDraft
from services.studio import drafts

KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def form_file(form_key: str) -> str:
    if not form_key or len(form_key) > 60 or not set(form_key) <= KEY_CHARS:
        abort(404, f"no form {form_key}")
    return f"forms/{form_key}.json"


def current_schema(draft: ModelDraft, form_key: str) -> dict[str, Any]:
    """The draft's own copy, else the shipped form, else a new empty one."""
    name = form_file(form_key)
    if name in draft.files:
        loaded: dict[str, Any] = json.loads(draft.files[name])
        return loaded
    shipped = FORMS_DIR / f"{form_key}.json"
    if shipped.is_file():
        loaded = json.loads(shipped.read_text())
        return loaded
    return empty_schema(form_key.replace("_", " ").capitalize())


def _page(key: str, draft: ModelDraft, form_key: str, schema: dict[str, Any], editing: list[dict[str, Any]],
          errors: list[FieldError], status: int = 200, conflict: bool = False) -> ResponseReturnValue:
    return render_template(
        "studio/form_editor.html", page_title=f"Form {form_key}", active_nav="studio", key=key, draft=draft,
        form_key=form_key, schema=schema, rows=editing, types=TYPES, errors=errors, conflict=conflict,
        preview=form_fields(with_vocabularies(schema), {}, []), etag=drafts.etag(draft),
        editable=draft.status == "draft" and can("studio:edit")), status


@bp.route("/studio/<key>/drafts/<int:draft_id>/forms/<form_key>", methods=["GET", "POST"])
@requires("studio:view", write="studio:edit")
def form_editor(key: str, draft_id: int, form_key: str) -> ResponseReturnValue:
    draft = drafts.load_draft(draft_id, key)
    old = current_schema(draft, form_key)
    if request.method == "GET":
        return _page(key, draft, form_key, old, rows(old), [])
    posted = posted_rows(request.form)
    schema, errors = build_schema(request.form.get("title", ""), posted, old)
    if errors:
        return _page(key, draft, form_key, old, posted, errors, 422)
    files = {name: text.encode() for name, text in draft.files.items()}
    files[form_file(form_key)] = (json.dumps(schema, indent=2, ensure_ascii=False) + "\n").encode()
    try:
        drafts.save_draft(signed_in_user(), draft_id, files, request.form.get("etag", ""), key)
    except PreconditionFailed as stale:
        message = FieldError("", f"{stale.message}. Your fields are below: reload the form to see the saved ones.")
        return _page(key, draft, form_key, schema, posted, [message], 409, conflict=True)
    except Conflict as refused:
        return _page(key, draft, form_key, schema, posted, [FieldError("", refused.message)], 409)
    flash(f"Form {form_key} saved in draft {draft.id}", "success")
    return redirect(url_for("studio.form_editor", key=key, draft_id=draft.id, form_key=form_key))


@bp.post("/studio/forms/preview")
@requires("studio:view")
def form_preview() -> ResponseReturnValue:
    """The preview of the rows as posted (nothing is saved): HTML for the editor's preview panel."""
    schema, errors = build_schema(request.form.get("title", "") or "Preview", posted_rows(request.form), {})
    fields = form_fields(with_vocabularies(schema), {}, [])
    return render_template("studio/form_preview.html", schema=schema, fields=fields, errors=errors)
