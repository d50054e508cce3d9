"""Trial runs in the studio: start one from a draft, complete its tasks with sample data through their forms, move
its clock, and see the path taken on the diagram. Process owners only; each trial is its starter's alone."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.formfields import check_submission, form_fields, raw_values
from app.security import requires, signed_in_user
from app.studio.routes import bp, main_file
from services.errors import FieldError, ValidationFailed
from services.models import ModelTrial
from services.studio import trials


@bp.post("/studio/<key>/drafts/<int:draft_id>/trial")
@requires("studio:edit")
def start_trial(key: str, draft_id: int) -> ResponseReturnValue:
    """Start data, as JSON, stands in for what a real start would carry (a referral's category, risk, ...)."""
    raw = request.form.get("start_data", "").strip() or "{}"
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        flash('Give the start data as a JSON object, for example {"category": 1}', "error")
        return redirect(url_for("studio.editor", key=key, draft_id=draft_id))
    trial = trials.start_trial(signed_in_user(), key, draft_id=draft_id, data=data)
    return redirect(url_for("studio.trial_page", trial_id=trial.id))


def _page(trial: ModelTrial, errors: dict[str, list[FieldError]] | None = None,
          values: dict[str, dict[str, Any]] | None = None, status: int = 200) -> ResponseReturnValue:
    errors, values = errors or {}, values or {}
    ready = [(task, form_fields(schema, values.get(task["id"], {}), errors.get(task["id"], [])))
             for task, schema in trials.ready_forms(trial)]
    files = trials.trial_files(trial)
    shown = main_file({name: text for name, text in files.items() if name.endswith(".bpmn")})
    diagram = {"xml": files.get(shown, ""), "active": [task["bpmn_id"] for task, _ in ready],
               "completed": list(trial.path)}
    every_error = [error for task_errors in errors.values() for error in task_errors]
    return render_template("studio/trial.html", page_title=f"Trial run {trial.id} of {trial.process_id}",
                           active_nav="studio", trial=trial, ready=ready, diagram=diagram, errors=every_error,
                           next_timer=trials.next_timer(trial)), status


@bp.get("/studio/trials/<int:trial_id>")
@requires("studio:edit")
def trial_page(trial_id: int) -> ResponseReturnValue:
    trial, _ready = trials.view_trial(signed_in_user(), trial_id)
    return _page(trial)


@bp.post("/studio/trials/<int:trial_id>/tasks/<task_id>")
@requires("studio:edit")
def complete_trial_task(trial_id: int, task_id: str) -> ResponseReturnValue:
    user = signed_in_user()
    trial = trials.load_trial(user, trial_id)
    schema = next((form for task, form in trials.ready_forms(trial) if task["id"] == task_id), None)
    if schema is None:
        flash("That step is no longer waiting in this trial", "error")
        return redirect(url_for("studio.trial_page", trial_id=trial_id))
    submitted = request.form.to_dict(flat=False)
    data, errors = check_submission(schema, submitted)
    if not errors:
        try:
            trials.complete_task(user, trial_id, task_id, data)
        except ValidationFailed as failed:
            errors = failed.errors
    if errors:
        return _page(trial, {task_id: errors}, {task_id: raw_values(schema, submitted)}, status=422)
    flash("Step completed with the sample data", "success")
    return redirect(url_for("studio.trial_page", trial_id=trial_id))


@bp.post("/studio/trials/<int:trial_id>/timers")
@requires("studio:edit")
def move_trial_time(trial_id: int) -> ResponseReturnValue:
    trials.move_time(signed_in_user(), trial_id, None)
    flash("The trial's clock moved past its next timer", "success")
    return redirect(url_for("studio.trial_page", trial_id=trial_id))
