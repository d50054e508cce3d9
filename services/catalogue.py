"""Published process models: the shipped defaults in bpmn/ become version 1, 2, ... as they change."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from services import clock
from services.db import db
from services.hooks import LEGACY_STEP_HOOKS, unknown_hooks
from services.models import ProcessModel
from workflows import ModelRegistry, ParsedModel
from workflows.registry import ModelError, checksum_of

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"

# lifecycle phase -> process id of the model that runs it
PHASES: dict[str, str] = {
    "identification": "mappa_identification",
    "custody": "mappa_custody",
    "referral": "mappa_referral",
    "review": "mappa_review",
    "exit": "mappa_exit",
    "transfer": "mappa_transfer",
    "action": "mappa_action",
    "minutes": "mappa_minutes",
    "research": "mappa_research",
    "visor": "mappa_visor_update",
    "disclosure": "mappa_disclosure",
    "rso": "mappa_rso_notification",
    "sfo": "mappa_sfo_review",
    "critical": "mappa_critical_case",
    "smb_audit": "mappa_smb_audit",
}
# process id -> (name, files of the model version)
SHIPPED: dict[str, tuple[str, tuple[str, ...]]] = {
    "mappa_identification": ("Identification and notification", ("identification.bpmn",)),
    "mappa_custody": ("Custody and release planning", ("custody.bpmn",)),
    "mappa_referral": ("Referral and screening", ("referral.bpmn", "level_suggestion.dmn")),
    "mappa_review": ("Review period", ("review.bpmn",)),
    "mappa_exit": ("Exit from MAPPA", ("exit.bpmn",)),
    "mappa_transfer": ("Transfer in", ("transfer.bpmn",)),
    "mappa_action": ("Agreed action", ("action.bpmn",)),
    "mappa_minutes": ("Minutes approval and distribution", ("minutes.bpmn",)),
    "mappa_research": ("Agenda research", ("research.bpmn",)),
    "mappa_visor_update": ("ViSOR update", ("visor_update.bpmn",)),
    "mappa_disclosure": ("Disclosure", ("disclosure.bpmn",)),
    "mappa_rso_notification": ("Sex offender notification", ("rso_notification.bpmn",)),
    "mappa_sfo_review": ("Serious further offence review", ("sfo_review.bpmn",)),
    "mappa_critical_case": ("Critical public protection case", ("critical_case.bpmn",)),
    "csods_application": ("Child Sex Offender Disclosure Scheme application", ("csods_application.bpmn",)),
    "mappa_smb_audit": ("SMB annual audit", ("smb_audit.bpmn",)),
}

REGISTRY = ModelRegistry()


def latest_model(process_id: str) -> ProcessModel:
    """The version new instances start on: the newest one not retired."""
    row = db.session.scalars(
        select(ProcessModel).where(ProcessModel.process_id == process_id, ProcessModel.retired_at.is_(None))
        .order_by(ProcessModel.version.desc())
    ).first()
    if row is None:
        raise LookupError(f"process model {process_id!r} is not published; run `flask mappa sync-models`")
    return row


def parsed(row: ProcessModel) -> ParsedModel:
    cached = REGISTRY.cached(row.process_id, row.checksum)
    if cached is not None:
        return cached
    files = {name: text.encode() for name, text in row.files.items()}
    return _with_legacy_hooks(REGISTRY.get(row.process_id, files, row.checksum))


def _with_legacy_hooks(model: ParsedModel) -> ParsedModel:
    """A version published before steps declared hooks gets the hooks its steps stood for (nothing else does)."""
    if any(step.hook for step in model.steps.values()):
        return model
    for bpmn_id, step in list(model.steps.items()):
        hook = LEGACY_STEP_HOOKS.get((model.process_id, bpmn_id))
        if hook is not None:
            model.steps[bpmn_id] = replace(step, hook=hook)
    return model


def publish(process_id: str, name: str, files: dict[str, bytes], actor: str) -> ProcessModel | None:
    """Publish a new version if the files differ from the latest one; the model must parse first."""
    checksum = checksum_of(files)
    current = db.session.scalar(
        select(ProcessModel.checksum).where(ProcessModel.process_id == process_id).order_by(ProcessModel.version.desc())
    )
    if current == checksum:
        return None
    model = REGISTRY.get(process_id, files, checksum)  # raises ModelError when it does not parse
    problems = unknown_hooks([(step.name, step.hook) for step in model.steps.values()])
    if problems:
        raise ModelError("; ".join(problems))
    version = (db.session.scalar(select(func.max(ProcessModel.version)).where(ProcessModel.process_id == process_id))
               or 0) + 1
    row = ProcessModel(process_id=process_id, version=version, name=name, checksum=checksum,
                       files={k: v.decode() for k, v in files.items()}, published_at=clock.now(), published_by=actor)
    db.session.add(row)
    db.session.flush()
    return row


def sync_shipped_models(actor: str = "system") -> list[ProcessModel]:
    published = []
    for process_id, (name, filenames) in SHIPPED.items():
        row = publish(process_id, name, {f: (BPMN_DIR / f).read_bytes() for f in filenames}, actor)
        if row is not None:
            published.append(row)
    return published
