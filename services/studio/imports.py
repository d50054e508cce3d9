"""Importing a .bpmn or .dmn: read it safely, judge it, and keep it as a draft (of an existing model with a key).

A file refused by the checks that refuse uploads (unsafe, unparseable, code the sandbox refuses) leaves nothing
behind; any other failing check is kept with the draft and stops only its publication.
"""

from __future__ import annotations

from services.access import log_access
from services.errors import FieldError, ValidationFailed
from services.models import ModelDraft, User
from services.studio.drafts import create_draft, latest_version, version_files
from services.studio.findings import Finding
from services.studio.uploads import judged, process_key, read_upload


def _replacing(name: str, base: dict[str, bytes]) -> str:
    """The base file the upload replaces: the same name, else the model's only file of the same kind."""
    kind = name.rsplit(".", 1)[1]
    same_kind = [f for f in base if f.endswith(f".{kind}")]
    return name if name in base or len(same_kind) != 1 else same_kind[0]


def import_model(user: User, data: bytes, filename: str | None,
                 key: str | None = None) -> tuple[ModelDraft, list[Finding]]:
    name, clean = read_upload(data, filename)
    found = process_key(name, clean)
    if key and name.endswith(".bpmn") and found and found != key:
        raise ValidationFailed([FieldError(found, f"{name} holds process '{found}', not '{key}': import it "
                                                  "without a key, or change the process id")])
    base = latest_version(key) if key else None
    files = version_files(base.process_id, base.version) if base else {}
    files[_replacing(name, files)] = clean
    findings = judged(files)
    process_id = key or found
    if not process_id:
        raise ValidationFailed([FieldError("file", f"{name} holds no process or decision: nothing to import")])
    draft = create_draft(user, process_id, files, base.version if base else None)
    log_access(user, "model_imported", None, f"{name} as {process_id} draft {draft.id}"
               + (f" (from version {base.version})" if base else ""))
    return draft, findings
