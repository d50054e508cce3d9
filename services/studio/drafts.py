"""Drafts of a process model: created from a version or an upload, saved with If-Match, published, retired.

A draft holds every file of the model version it will become: BPMN, DMN and ``forms/<key>.json``. Each save
counts up ``version`` (the ETag ``"d<id>v<version>"``); a save against an older ETag is refused with what is
saved now. Publishing runs the checks and goes through services.catalogue.publish: new instances start on the
new version, running ones stay on theirs.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from services import clock
from services.access import log_access
from services.catalogue import SHIPPED, publish
from services.db import db
from services.errors import Conflict, FieldError, NotFound, PreconditionFailed, ValidationFailed
from services.models import ModelDraft, ProcessInstance, ProcessModel, User
from services.studio.checks import errors_of
from workflows.registry import ModelError

DRAFT_STATUSES = ("draft", "published", "discarded")  # ModelDraft.status
VERSION_STATUSES = ("published", "retired")  # a published version, until it is retired (ProcessModel.retired_at)
STALE = "Someone saved this draft since you opened it: nothing was saved; reload it and make your change again"


NO_IF_MATCH = ("Send the If-Match header with the ETag of the draft you last read (GET this URL first), so that "
               "nobody's changes are overwritten")

def etag(draft: ModelDraft) -> str:
    return f'"d{draft.id}v{draft.version}"'


def draft_files(draft: ModelDraft) -> dict[str, bytes]:
    return {name: text.encode() for name, text in draft.files.items()}


def _texts(files: dict[str, bytes]) -> dict[str, str]:
    return {name: data.decode() for name, data in sorted(files.items())}


def version_row(process_id: str, version: int) -> ProcessModel:
    row = db.session.scalar(select(ProcessModel).where(ProcessModel.process_id == process_id,
                                                       ProcessModel.version == version))
    if row is None:
        raise NotFound(f"no version {version} of process model {process_id!r}")
    return row


def latest_version(process_id: str) -> ProcessModel | None:
    return db.session.scalars(select(ProcessModel).where(ProcessModel.process_id == process_id)
                              .order_by(ProcessModel.version.desc())).first()


def version_files(process_id: str, version: int) -> dict[str, bytes]:
    return {name: text.encode() for name, text in version_row(process_id, version).files.items()}


def model_name(process_id: str) -> str | None:
    """The name the model was last published under (or shipped with)."""
    name = db.session.scalar(select(ProcessModel.name).where(ProcessModel.process_id == process_id)
                             .order_by(ProcessModel.version.desc()))
    return name or (SHIPPED[process_id][0] if process_id in SHIPPED else None)


def create_draft(user: User, process_id: str, files: dict[str, bytes], base_version: int | None,
                 name: str | None = None) -> ModelDraft:
    now = clock.now()
    draft = ModelDraft(process_id=process_id, name=name or model_name(process_id) or process_id,
                       files=_texts(files), base_version=base_version, version=0, status="draft",
                       created_by=user.username, updated_by=user.username, created_at=now, updated_at=now)
    db.session.add(draft)
    db.session.flush()
    based = f" from version {base_version}" if base_version else ""
    log_access(user, "draft_created", None, f"{process_id} draft {draft.id}{based}: {', '.join(sorted(files))}")
    return draft


def load_draft(draft_id: int, process_id: str | None = None) -> ModelDraft:
    draft = db.session.get(ModelDraft, draft_id)
    if draft is None or (process_id is not None and draft.process_id != process_id):
        raise NotFound(f"no draft {draft_id}")
    return draft


def _open(draft_id: int, process_id: str | None) -> ModelDraft:
    draft = load_draft(draft_id, process_id)
    if draft.status != "draft":
        raise Conflict(f"draft {draft_id} is {draft.status}: start a new draft from a version")
    return draft


def save_draft(user: User, draft_id: int, files: dict[str, bytes], if_match: str,
               process_id: str | None = None) -> ModelDraft:
    """One conditional UPDATE: of two saves against the same ETag exactly one wins, the other gets 412. A save that
    names no ETag is refused as stale: it cannot say it has seen the draft's latest files."""
    draft = _open(draft_id, process_id)
    seen = draft.version
    if if_match.strip() != etag(draft):
        raise PreconditionFailed(STALE, draft)
    saved = db.session.execute(
        update(ModelDraft).where(ModelDraft.id == draft.id, ModelDraft.version == seen)
        .values(files=_texts(files), version=seen + 1, updated_by=user.username, updated_at=clock.now())
        .execution_options(synchronize_session=False))
    db.session.refresh(draft)
    if getattr(saved, "rowcount", 1) != 1:
        raise PreconditionFailed(STALE, draft)
    log_access(user, "draft_saved", None, f"{draft.process_id} draft {draft.id} save {draft.version}: "
               f"{', '.join(sorted(files))}")
    return draft


def publish_draft(user: User, draft_id: int, process_id: str | None = None) -> ProcessModel:
    """The draft becomes the process's next version, unless a version was published after the version it was
    started from: publishing it would silently undo that version's changes. The process's latest version is taken
    for writing first, so of two owners publishing drafts of one version at once, the second waits and is refused."""
    draft = _open(draft_id, process_id)
    # the versions' rows taken for writing, then the latest read afresh (on PostgreSQL a statement that waited for a
    # lock still sees the rows of its start: the version a concurrent publish added is seen by the next statement)
    db.session.execute(select(ProcessModel.id).where(ProcessModel.process_id == draft.process_id).with_for_update())
    latest = db.session.scalar(select(func.max(ProcessModel.version)).where(
        ProcessModel.process_id == draft.process_id))
    if draft.status == "draft" and draft.base_version and latest and latest > draft.base_version:
        raise Conflict(f"Version {latest} of {draft.process_id} was published after this draft was started from "
                       f"version {draft.base_version}: publishing it would undo version {latest}'s changes. Start "
                       f"a new draft from version {latest} and make your change there")
    files = draft_files(draft)
    errors = errors_of(files, draft.process_id)
    if errors:
        raise ValidationFailed([FieldError(f.element_id or f.file, f.message) for f in errors])
    try:
        row = publish(draft.process_id, draft.name, files, user.username)
    except ModelError as err:
        raise ValidationFailed([FieldError("file", str(err))]) from None
    if row is None:
        raise Conflict(f"draft {draft.id} is the same as the latest version of {draft.process_id}: nothing to publish")
    draft.status, draft.published_version = "published", row.version
    draft.updated_by, draft.updated_at = user.username, clock.now()
    log_access(user, "model_published", None, f"{row.process_id} version {row.version} from draft {draft.id}")
    return row


def retire_version(user: User, process_id: str, version: int) -> ProcessModel:
    """No new instance starts on a retired version; instances running on it carry on."""
    row = version_row(process_id, version)
    if row.retired_at is None:
        others = db.session.scalar(select(func.count(ProcessModel.id)).where(
            ProcessModel.process_id == process_id, ProcessModel.retired_at.is_(None), ProcessModel.id != row.id))
        if not others:
            raise Conflict(f"Version {version} is the only version new cases can start on: publish another "
                           f"version before retiring it")
        row.retired_at, row.retired_by = clock.now(), user.username
        log_access(user, "model_retired", None, f"{process_id} version {version}")
    return row


def running_counts() -> dict[tuple[str, int], int]:
    rows = db.session.execute(
        select(ProcessModel.process_id, ProcessModel.version, func.count(ProcessInstance.id))
        .join(ProcessInstance, ProcessInstance.model_id == ProcessModel.id)
        .where(ProcessInstance.status == "running")
        .group_by(ProcessModel.process_id, ProcessModel.version))
    return {(process_id, version): count for process_id, version, count in rows}


def versions() -> list[ProcessModel]:
    return list(db.session.scalars(select(ProcessModel).order_by(ProcessModel.process_id, ProcessModel.version)))


def open_drafts() -> list[ModelDraft]:
    return list(db.session.scalars(select(ModelDraft).where(ModelDraft.status == "draft").order_by(ModelDraft.id)))
