"""Trial runs of a draft or a published version (the studio's "test before publishing"): start, complete ready
tasks with sample data, move the trial's clock, see the path taken. Process owners only, each sees only their own
trials; a trial is not a case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue

from app.api import bp
from app.api.body import json_object
from app.api.errors import invalid
from app.security import api_requires, api_user
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


def _data(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise invalid("data", "Give the sample data as an object of field -> value")
    return data


def _body() -> dict[str, Any]:
    return json_object() if request.content_length else {}


@bp.post("/models/<key>/drafts/<int:draft_id>/trials")
@api_requires("studio:edit")
def start_draft_trial(key: str, draft_id: int) -> ResponseReturnValue:
    trial = trials.start_trial(api_user(), key, draft_id=draft_id, data=_data(_body()))
    return trial_json(trial), 201


@bp.post("/models/<key>/versions/<int:n>/trials")
@api_requires("studio:edit")
def start_version_trial(key: str, n: int) -> ResponseReturnValue:
    trial = trials.start_trial(api_user(), key, version=n, data=_data(_body()))
    return trial_json(trial), 201


@bp.get("/trials/<int:trial_id>")
@api_requires("studio:edit")
def get_trial(trial_id: int) -> ResponseReturnValue:
    trial, ready = trials.view_trial(api_user(), trial_id)
    return trial_json(trial, ready)


@bp.post("/trials/<int:trial_id>/tasks/<task_id>/complete")
@api_requires("studio:edit")
def complete_trial_task(trial_id: int, task_id: str) -> ResponseReturnValue:
    return trial_json(trials.complete_task(api_user(), trial_id, task_id, _data(_body())))


@bp.post("/trials/<int:trial_id>/timers")
@api_requires("studio:edit")
def move_trial_time(trial_id: int) -> ResponseReturnValue:
    to = _body().get("to")
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
