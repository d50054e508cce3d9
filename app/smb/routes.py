"""The SMB pack (page and PDF), the business plan, and the annual audit sample with its summary.

Lay advisers and the SMB chair read the pack and the plan (aggregated figures only); the coordinator and managers
draw and see the audit sample, which names cases."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.formfields import check_submission, form_fields, raw_values
from app.security import requires, signed_in_user
from services import clock, smb, smb_plan
from services.annual import parse_year_ending
from services.dates import long_date
from services.errors import Conflict, FieldError, ValidationFailed
from services.smb_pack import pack, pack_pdf

bp = Blueprint("smb", __name__, template_folder="templates")


@bp.get("/smb")
@requires("smb:view")
def pack_page() -> ResponseReturnValue:
    raw = request.args.get("year_ending")
    try:
        year_ending = parse_year_ending(raw)
    except ValidationFailed as failed:
        return _bad_year(failed, raw)
    return render_template("smb/pack.html", page_title="SMB pack", active_nav="smb",
                           pack=pack(signed_in_user(), year_ending), errors=[], year=year_ending.isoformat(),
                           owners=smb_plan.PLAN_OWNERS, statuses=smb_plan.PLAN_STATUSES)


def _bad_year(failed: ValidationFailed, raw: str | None) -> ResponseReturnValue:
    """The pack page with the error summary, for the page and its PDF download alike."""
    return render_template("smb/pack.html", page_title="SMB pack", active_nav="smb", pack=None,
                           errors=failed.errors, year=raw or ""), 422


@bp.get("/smb/pack.pdf")
@requires("smb:view")
def pack_download() -> ResponseReturnValue:
    raw = request.args.get("year_ending")
    try:
        year_ending = parse_year_ending(raw)
    except ValidationFailed as failed:
        return _bad_year(failed, raw)
    report = pack(signed_in_user(), year_ending)
    return Response(pack_pdf(report), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="smb-pack-{year_ending}.pdf"'})


@bp.route("/smb/plan", methods=["GET", "POST"])
@requires("smb:view", write="smb:plan")
def plan_page() -> ResponseReturnValue:
    user = signed_in_user()
    schema = smb_plan.plan_schema()
    errors: list[FieldError] = []
    values: dict[str, Any] = {"status": "not started"}
    status = 200
    if request.method == "POST":
        submitted = request.form.to_dict(flat=False)
        data, errors = check_submission(schema, submitted)
        if not errors:
            try:
                row = smb_plan.add(user, data)
            except ValidationFailed as failed:
                errors = failed.errors
            else:
                flash(f"Action added to the business plan, due by {long_date(row.due_on)}", "success")
                return redirect(url_for("smb.plan_page"))
        values, status = raw_values(schema, submitted), 422
    return render_template("smb/plan.html", page_title="SMB business plan", active_nav="smb",
                           rows=smb_plan.plan(user), fields=form_fields(schema, values, errors), errors=errors,
                           owners=smb_plan.PLAN_OWNERS, statuses=smb_plan.PLAN_STATUSES), status


@bp.post("/smb/plan/<int:plan_action_id>/status")
@requires("smb:plan")
def plan_status(plan_action_id: int) -> ResponseReturnValue:
    try:
        row = smb_plan.set_status(signed_in_user(), plan_action_id, request.form.get("status"))
    except ValidationFailed as failed:
        flash(failed.errors[0].message, "error")
    else:
        flash(f"Progress recorded: {smb_plan.PLAN_STATUSES[row.status]}", "success")
    return redirect(url_for("smb.plan_page"))


@bp.route("/smb/audits", methods=["GET", "POST"])
@requires("smb:audit")
def audits_page() -> ResponseReturnValue:
    user = signed_in_user()
    errors: list[FieldError] = []
    status = 200
    if request.method == "POST":
        try:
            audit = smb.draw(user, request.form.get("year_ending"), request.form.get("seed"))
        except ValidationFailed as failed:
            errors, status = failed.errors, 422
        except Conflict as conflict:
            errors, status = [FieldError("year_ending", conflict.message)], 409
        else:
            flash(f"Audit sample drawn: {len(audit.items)} to audit by {long_date(audit.due_on)}", "success")
            return redirect(url_for("smb.audit_page", audit_id=audit.id))
    return render_template("smb/audits.html", page_title="SMB annual audit", active_nav="smb",
                           audits=smb.audits(user), errors=errors, year=request.form.get("year_ending", ""),
                           seed=request.form.get("seed", ""), this_year=clock.today().year), status


@bp.get("/smb/audits/<int:audit_id>")
@requires("smb:audit")
def audit_page(audit_id: int) -> ResponseReturnValue:
    audit = smb.audit_for(signed_in_user(), audit_id)
    return render_template("smb/audit.html", page_title=f"Audit sample: year ending {long_date(audit.year_ending)}",
                           active_nav="smb", audit=audit, tools=smb.summary(audit), tasks=smb.open_audit_tasks(audit))
