"""Trial runs of a draft or a published version (the studio's "test before publishing"): start, complete ready
tasks with sample data, move the trial's clock, see the path taken. Process owners only, each sees only their own
trials; a trial is not a case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.contract import operation
from app.api.errors import invalid
from app.api.schemas import MODELS
from app.security import api_user
from services.models import ModelTrial
from services.studio import trials


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def trial_json(trial: ModelTrial, ready: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"trial": trial.id, "key": trial.process_id, "draft": trial.draft_id, "version": trial.version,
            "status": trial.status, "error": trial.error, "path": trial.path,
            "ready": trials.ready_tasks(trial) if ready is None else ready, "time": _iso(trial.trial_time),
            "next_timer": _iso(trials.next_timer(trial)), "started_by": trial.started_by,
            "started_at": _iso(trial.started_at)}


TRIAL = MODELS["Trial"]


def _trial_op(method: str, rule: str, summary: str, status: int, body: str | None, *errors: int) -> Any:
    return operation(bp, method, rule, summary=summary, tag="models", permission="studio:edit",
                     body=MODELS[body] if body else None, optional_body=True, errors=(404, *errors),
                     responses={status: (TRIAL, "The trial")})


@_trial_op("POST", "/models/<key>/drafts/<int:draft_id>/trials",
           "Start a trial run of a draft (not a case: no inbox, no history)", 201, "TrialData", 422)
def start_draft_trial(key: str, draft_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    trial = trials.start_trial(api_user(), key, draft_id=draft_id, data=body.get("data", {}))
    return trial_json(trial), 201


@_trial_op("POST", "/models/<key>/versions/<int:n>/trials", "Start a trial run of a published version", 201,
           "TrialData", 422)
def start_version_trial(key: str, n: int, body: dict[str, Any]) -> ResponseReturnValue:
    trial = trials.start_trial(api_user(), key, version=n, data=body.get("data", {}))
    return trial_json(trial), 201


@_trial_op("GET", "/trials/<int:trial_id>", "A trial you started: its path and ready tasks", 200, None)
def get_trial(trial_id: int) -> ResponseReturnValue:
    trial, ready = trials.view_trial(api_user(), trial_id)
    return trial_json(trial, ready)


@_trial_op("POST", "/trials/<int:trial_id>/tasks/<task_id>/complete",
           "Complete a ready task of a trial with sample data (validated against its form)", 200, "TrialData", 409,
           422)
def complete_trial_task(trial_id: int, task_id: str, body: dict[str, Any]) -> ResponseReturnValue:
    return trial_json(trials.complete_task(api_user(), trial_id, task_id, body.get("data", {})))


@_trial_op("POST", "/trials/<int:trial_id>/timers", "Move a trial's clock forward and fire the timers due by then",
           200, "TrialTime", 409, 422)
def move_trial_time(trial_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    to = body.get("to")
    when = None
    if to is not None:
        try:
            when = datetime.fromisoformat(str(to))
        except ValueError:
            raise invalid("to", "Give the time to move to as an ISO 8601 date and time, e.g. 2027-01-05T09:00:00Z")\
                from None
        if when.tzinfo is None:
            raise invalid("to", "Give the time with its offset from UTC, e.g. 2027-01-05T09:00:00Z")
    return trial_json(trials.move_time(api_user(), trial_id, when))
