"""Cases: the list, a case's page (summary, tasks, history, diagram) and new referrals."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.formfields import form_fields, raw_values
from app.security import requires, signed_in_user
from services import cases as case_service
from services import forms
from services.access import case_scope, log_case_list
from services.errors import ValidationFailed
from services.models import MappaCase
from services.tasks import due_status

bp = Blueprint("cases", __name__, template_folder="templates")


@bp.get("/cases")
@requires("cases:view")
def case_list() -> ResponseReturnValue:
    user = signed_in_user()
    status = request.args.get("status") or None
    query = case_scope(user)
    if status in case_service.STATUSES:
        query = query.where(MappaCase.status == status)
    cases = case_service.list_cases(user, query)
    log_case_list(user, "case_list_viewed", [c.id for c in cases], f"status={status or 'any'}")
    return render_template("cases/list.html", page_title="Cases", active_nav="cases", cases=cases, status=status,
                           statuses=case_service.STATUSES)


@bp.get("/cases/<int:case_id>")
@requires("cases:view")
def case_page(case_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    view = case_service.view_case(user, case_id)
    instance_id = request.args.get("instance", type=int)
    diagram = case_service.diagram(user, case_id, instance_id)
    return render_template("cases/case.html", page_title=f"{view.case.offender_name}", active_nav="cases",
                           view=view, diagram=diagram, due_status=due_status,
                           category_code=case_service.CATEGORY_CODES.get(view.case.category, "X9"))


@bp.route("/referrals/new", methods=["GET", "POST"])
@requires("cases:refer")
def new_referral() -> ResponseReturnValue:
    schema = forms.load_form("referral")
    errors: list = []
    values: dict = {}
    if request.method == "POST":
        submitted = request.form.to_dict(flat=False)
        data, errors = forms.parse_submission(schema, submitted)
        if not errors:
            try:
                case = case_service.create_referral(signed_in_user(), data)
            except ValidationFailed as failed:
                errors = failed.errors
            else:
                return redirect(url_for("cases.case_page", case_id=case.id))
        values = raw_values(schema, submitted)
    return render_template("cases/new_referral.html", page_title="New MAPPA referral", active_nav="referrals",
                           fields=form_fields(schema, values, errors), errors=errors)
