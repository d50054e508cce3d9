"""Child Sex Offender Disclosure Scheme applications: the area's list, a new application, and an application's
page (its stages with due dates and the open stage's form). The police run them (services.csods)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.formfields import check_submission, form_fields, raw_values
from app.security import requires, signed_in_user
from services import clock, csods, dates, disclosures, forms
from services.errors import Conflict, FieldError, ValidationFailed
from services.models import CsodsStage
from services.permissions import has_permission

bp = Blueprint("csods", __name__, template_folder="templates")


@bp.get("/csods/applications")
@requires("csods:view")
def application_list() -> ResponseReturnValue:
    user = signed_in_user()
    return render_template("csods/list.html", page_title="Child Sex Offender Disclosure Scheme applications",
                           active_nav="csods", applications=csods.applications(user), statuses=csods.STATUSES,
                           may_apply=has_permission(user, "csods:apply"), today=clock.today())


@bp.route("/csods/applications/new", methods=["GET", "POST"])
@requires("csods:apply")
def new_application() -> ResponseReturnValue:
    schema = csods.application_schema()
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        submitted = request.form.to_dict(flat=False)
        data, errors = check_submission(schema, submitted)
        if not errors:
            try:
                application = csods.create(signed_in_user(), data)
            except ValidationFailed as failed:
                errors = failed.errors
            else:
                flash(f"Application {application.reference} recorded: initial contact and triage due by "
                      f"{_long(csods.open_stage(application))}", "success")
                return redirect(url_for("csods.application_page", application_id=application.id))
        values = raw_values(schema, submitted)
    return render_template("csods/new.html", page_title="New CSODS application", active_nav="csods",
                           fields=form_fields(schema, values, errors), errors=errors), status


def _long(stage: CsodsStage | None) -> str:
    return dates.long_date(stage.due_date) if stage else ""


@bp.route("/csods/applications/<int:application_id>", methods=["GET", "POST"])
@requires("csods:view", write="csods:work")
def application_page(application_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        application = csods.load(user, application_id, "csods:work")
        stage = csods.open_stage(application)
        if stage is None:
            errors, status = [FieldError("", "This application has no stage open")], 409
        else:
            schema = csods.stage_schema(application, stage)
            submitted = request.form.to_dict(flat=False)
            data, errors = check_submission(schema, submitted)
            if not errors:
                try:
                    done = csods.complete_stage(user, application_id, data)
                except ValidationFailed as failed:
                    errors = failed.errors
                except Conflict as conflict:
                    errors, status = [FieldError("", conflict.message)], 409
                else:
                    flash(f"{done.name} recorded", "success")
                    return redirect(url_for("csods.application_page", application_id=application_id))
            values = raw_values(schema, submitted)
    application = csods.view(user, application_id)
    stage = csods.open_stage(application)
    may_work = has_permission(user, "csods:work")
    fields = (form_fields(csods.stage_schema(application, stage), values, errors)
              if stage is not None and may_work else [])
    answers = [(forms.label(name, prop), forms.answer_text(prop, application.answers.get(name)))
               for name, prop in forms.fields(csods.application_schema()) if application.answers.get(name)]
    return render_template("csods/application.html", page_title=f"Application {application.reference}",
                           active_nav="csods", application=application, stages=csods.stages(application),
                           targets=csods.targets(application), stage=stage, fields=fields, errors=errors,
                           answers=answers, statuses=csods.STATUSES, decisions=disclosures.DECISIONS,
                           powers=disclosures.POWERS, today=clock.today(), is_late=csods.is_late), status
