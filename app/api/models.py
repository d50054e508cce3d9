"""The process model API (the studio's pages and tools use it): list, read and download versions, import
.bpmn/.dmn files as drafts, edit drafts with ETag/If-Match, publish and retire. Models are national: the
guards name studio:view / studio:edit and no area scoping applies."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.errors import api_error, invalid, register_current
from app.api.schemas import DRAFT_ETAG, IF_MATCH_DRAFT, IMPORT_QUERY, MODEL_FILE, MODEL_UPLOAD, MODELS
from app.security import api_user
from services.access import log_access
from services.errors import NotFound
from services.models import ModelDraft, ProcessModel
from services.studio import drafts
from services.studio.checks import check
from services.studio.imports import import_model
from services.studio.uploads import refuse_size

NO_IF_MATCH = drafts.NO_IF_MATCH


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def draft_json(draft: ModelDraft) -> dict[str, Any]:
    return {"id": draft.id, "key": draft.process_id, "name": draft.name, "files": draft.files,
            "base_version": draft.base_version, "version": draft.version, "etag": drafts.etag(draft),
            "status": draft.status, "published_version": draft.published_version, "created_by": draft.created_by,
            "updated_by": draft.updated_by, "created_at": _iso(draft.created_at), "updated_at": _iso(draft.updated_at)}


def version_json(row: ProcessModel, running: int) -> dict[str, Any]:
    return {"version": row.version, "name": row.name, "published_at": _iso(row.published_at),
            "published_by": row.published_by, "retired_at": _iso(row.retired_at), "retired_by": row.retired_by,
            "status": "retired" if row.retired_at else "published", "running_instances": running,
            "files": sorted(row.files)}


def _checked(draft: ModelDraft, status: int = 200) -> ResponseReturnValue:
    findings = check(drafts.draft_files(draft), draft.process_id)
    return ({"draft": draft_json(draft), "checks": [f.as_json() for f in findings]}, status,
            {"ETag": drafts.etag(draft), "Cache-Control": "no-store"})


def _draft_current(draft: ModelDraft) -> tuple[dict[str, Any], dict[str, str]]:
    return draft_json(draft), {"ETag": drafts.etag(draft)}


register_current(ModelDraft, _draft_current)


CHECKED_DRAFT = MODELS["CheckedDraft"]


def _studio(method: str, rule: str, summary: str, permission: str, **more: Any) -> Any:
    return operation(bp, method, rule, summary=summary, tag="models", permission=permission, **more)


@_studio("GET", "/models", "Process models, their versions (running instances) and drafts", "studio:view",
         responses={200: (MODELS["ModelList"], "Models")})
def list_models() -> ResponseReturnValue:
    running = drafts.running_counts()
    models: dict[str, dict[str, Any]] = {}
    for row in drafts.versions():
        entry = models.setdefault(row.process_id, {"key": row.process_id, "versions": [], "drafts": []})
        entry["name"] = row.name
        entry["versions"].append(version_json(row, running.get((row.process_id, row.version), 0)))
    for draft in drafts.open_drafts():
        entry = models.setdefault(draft.process_id, {"key": draft.process_id, "name": draft.name, "versions": [],
                                                     "drafts": []})
        entry["drafts"].append({k: v for k, v in draft_json(draft).items() if k != "files"})
    return {"models": [models[key] for key in sorted(models)]}


@_studio("GET", "/models/<key>/versions/<int:n>", "One version: its files and checks", "studio:view", errors=(404,),
         responses={200: (MODELS["Version"], "The version")})
def get_version(key: str, n: int) -> ResponseReturnValue:
    row = drafts.version_row(key, n)
    findings = check(drafts.version_files(key, n), key)
    running = drafts.running_counts().get((key, n), 0)
    return {"key": key, **version_json(row, running), "files": row.files,
            "checks": [f.as_json() for f in findings]}


@_studio("GET", "/models/<key>/versions/<int:n>/files/<path:name>", "Download a file of a version", "studio:view",
         errors=(404,), responses={200: MODEL_FILE})
def download_file(key: str, n: int, name: str) -> ResponseReturnValue:
    files = drafts.version_row(key, n).files
    if name not in files:
        raise NotFound(f"version {n} of {key} has no file {name!r}")
    log_access(api_user(), "model_exported", None, f"{key} version {n}: {name}")
    mimetype = "application/json" if name.endswith(".json") else "application/xml"
    filename = f"{key}-v{n}-{name.rsplit('/', 1)[-1]}"
    return Response(files[name], mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _upload() -> tuple[bytes, str | None]:
    refuse_size(request.content_length)  # before a byte is read
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise invalid("file", "Upload a .bpmn or .dmn file in the form field 'file'")
        return upload.read(), upload.filename
    return request.get_data(cache=False), request.args.get("filename")


@_studio("POST", "/models/import", "Import a .bpmn or .dmn file as a draft", "studio:edit", query=IMPORT_QUERY,
         request_body=MODEL_UPLOAD, errors=(413, 422),
         description="The file as the raw body (Content-Type: application/xml) or the multipart field `file`, at most "
                     "5 MB. Refused (422 on `file`, or on the element id) when unsafe (DTDs, entities), not BPMN/DMN, "
                     "not parseable, or holding code the sandbox refuses; nothing is stored then.",
         responses={201: (CHECKED_DRAFT, "The draft and its checks (failing checks stop only publishing)",
                          {"headers": DRAFT_ETAG})})
def import_file(query: dict[str, Any]) -> ResponseReturnValue:
    data, filename = _upload()
    draft, findings = import_model(api_user(), data, filename, query.get("key"))
    return {"draft": draft_json(draft), "checks": [f.as_json() for f in findings]}, 201, {"ETag": drafts.etag(draft)}


@_studio("POST", "/models/<key>/drafts", "Start a draft from a version", "studio:edit",
         body=MODELS["NewDraftRequest"], optional_body=True, errors=(404, 422),
         responses={201: (CHECKED_DRAFT, "The draft and its checks", {"headers": DRAFT_ETAG})})
def new_draft(key: str, body: dict[str, Any]) -> ResponseReturnValue:
    latest = drafts.latest_version(key)
    if latest is None:
        raise NotFound(f"no process model {key!r}")
    version = body.get("from_version", latest.version)
    draft = drafts.create_draft(api_user(), key, drafts.version_files(key, version), version)
    return _checked(draft, 201)


@_studio("GET", "/models/<key>/drafts/<int:draft_id>", "A draft and its checks", "studio:view", errors=(404,),
         responses={200: (CHECKED_DRAFT, "The draft", {"headers": DRAFT_ETAG})})
def get_draft(key: str, draft_id: int) -> ResponseReturnValue:
    return _checked(drafts.load_draft(draft_id, key))


@_studio("PUT", "/models/<key>/drafts/<int:draft_id>", "Save a draft (failing checks are allowed; they are returned)",
         "studio:edit", body=MODELS["DraftRequest"], parameters=(IF_MATCH_DRAFT,), errors=(404, 409, 422, 428),
         responses={200: (CHECKED_DRAFT, "The draft as saved, and its checks", {"headers": DRAFT_ETAG}),
                    412: (MODELS["StaleDraft"], "Saved by someone else since your If-Match: nothing was saved; "
                                                "current holds the draft as saved now", {"headers": DRAFT_ETAG})})
def save_draft(key: str, draft_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    if_match = request.headers.get("If-Match", "").strip()
    if not if_match:
        return api_error(428, NO_IF_MATCH)
    files = body["files"]
    saved = drafts.save_draft(api_user(), draft_id, {k: v.encode() for k, v in files.items()}, if_match, key)
    return _checked(saved)


@_studio("POST", "/models/<key>/drafts/<int:draft_id>/publish",
         "Publish a draft as the next version: new instances start on it", "studio:edit", errors=(404, 409, 422),
         description="Refused (422, each error on its element id) while a check fails; 409 when the draft is already "
                     "published, the same as the latest version, or started from a version older than the "
                     "latest (publishing it would undo the versions published since).",
         responses={201: (MODELS["Published"], "The new version")})
def publish(key: str, draft_id: int) -> ResponseReturnValue:
    row = drafts.publish_draft(api_user(), draft_id, key)
    return {"key": key, "version": row.version}, 201


@_studio("POST", "/models/<key>/versions/<int:n>/retire",
         "Retire a version: no new instance starts on it; running ones carry on", "studio:edit", errors=(404,),
         responses={200: (MODELS["RetiredVersion"], "The version")})
def retire(key: str, n: int) -> ResponseReturnValue:
    row = drafts.retire_version(api_user(), key, n)
    return {"key": key, **version_json(row, drafts.running_counts().get((key, n), 0))}
