"""Process owner's view of incidents (case instances and CSODS applications' processes stopped by an error in a
script, condition or timer; the scheduler's sweep steps that failed), and the coordinator's or manager's view of the
area's accounts: unlock a locked account, revoke anyone's API token; set up the area's duty-to-co-operate agencies with
their memoranda, and give people their agency roles."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.security import requires, signed_in_user
from services import agencies, auth, csods, incidents, lockout, scheduler
from services.errors import FieldError, ValidationFailed
from services.settings import ACCOUNT_LOCKOUT_FAILURES

bp = Blueprint("admin", __name__, template_folder="templates")


@bp.get("/admin/incidents")
@requires("incidents:view")
def incident_list() -> ResponseReturnValue:
    rows = incidents.open_incidents(signed_in_user())
    return render_template("admin/incidents.html", page_title="Process incidents", incidents=rows,
                           labels=incidents.case_labels(rows), application_areas=incidents.application_areas(rows),
                           undelivered=incidents.undelivered_reminders(signed_in_user()),
                           sweep_steps=incidents.sweep_incidents(signed_in_user()), step_labels=scheduler.STEP_LABELS)


@bp.post("/admin/incidents/<int:instance_id>/retry")
@requires("incidents:view")
def retry(instance_id: int) -> ResponseReturnValue:
    instance = incidents.retry(signed_in_user(), instance_id)
    flash("Retried" if instance.status != "error" else "The step failed again", "success")
    return redirect(url_for("admin.incident_list"))


@bp.post("/admin/incidents/csods/<int:application_id>/retry")
@requires("incidents:view")
def retry_csods(application_id: int) -> ResponseReturnValue:
    application = csods.retry(signed_in_user(), application_id)
    flash("Retried" if application.process_status != "error" else "The step failed again", "success")
    return redirect(url_for("admin.incident_list"))


@bp.get("/admin/accounts")
@requires("accounts:manage")
def accounts() -> ResponseReturnValue:
    user = signed_in_user()
    return render_template("admin/accounts.html", page_title="Accounts and API tokens", active_nav="accounts",
                           area=user.area, locked=lockout.locked_accounts(user), tokens=auth.area_tokens(user),
                           failures=ACCOUNT_LOCKOUT_FAILURES,
                           lockout_minutes=int(lockout.lockout_period(user).total_seconds() // 60))


@bp.post("/admin/accounts/<int:user_id>/unlock")
@requires("accounts:manage")
def unlock_account(user_id: int) -> ResponseReturnValue:
    user = lockout.unlock(signed_in_user(), user_id)
    flash(f"{user.display_name} can sign in again", "success")
    return redirect(url_for("admin.accounts"))


@bp.post("/admin/tokens/<int:token_id>/revoke")
@requires("accounts:manage")
def revoke_token(token_id: int) -> ResponseReturnValue:
    row = auth.revoke_token(signed_in_user(), token_id)
    flash(f"{row.user.display_name}'s token '{row.name}' revoked", "success")
    return redirect(url_for("admin.accounts"))


@bp.get("/admin/agencies")
@requires("agencies:manage")
def agency_list() -> ResponseReturnValue:
    user = signed_in_user()
    return render_template("admin/agencies.html", page_title="Duty-to-co-operate agencies", active_nav="agencies",
                           area=user.area, agencies=agencies.area_agencies(user.area_id))


def _parts(prefix: str) -> tuple[str, str, str]:
    return (request.form.get(f"{prefix}-day", ""), request.form.get(f"{prefix}-month", ""),
            request.form.get(f"{prefix}-year", ""))


def _render_agency(set_up: agencies.AgencySetUp, values: dict[str, str], errors: list[FieldError]) -> str:
    user = signed_in_user()
    return render_template("admin/agency.html", page_title=set_up.agency.name, active_nav="agencies",
                           area=user.area, set_up=set_up, values=values, errors=errors,
                           error_for={e.field: e.message for e in errors})


def _values(row: object) -> dict[str, str]:
    """The saved set-up as the form's fields (the date inputs as their parts)."""
    values = {"enabled": "yes" if getattr(row, "enabled", True) else "no"}
    for name in ("contact_name", "contact_email", "mou_reference", "mou_notes"):
        values[name] = getattr(row, name, None) or ""
    for name in ("mou_signed_on", "mou_review_on"):
        day = getattr(row, name, None)
        values |= {f"{name}-day": str(day.day) if day else "", f"{name}-month": str(day.month) if day else "",
                   f"{name}-year": str(day.year) if day else ""}
    return values


@bp.get("/admin/agencies/<agency>")
@requires("agencies:manage")
def agency_page(agency: str) -> ResponseReturnValue:
    set_up = agencies.agency_set_up(signed_in_user(), agency)
    return _render_agency(set_up, _values(set_up.row), [])


@bp.post("/admin/agencies/<agency>")
@requires("agencies:manage")
def agency_save(agency: str) -> ResponseReturnValue:
    user = signed_in_user()
    form = agencies.SetUpForm(
        enabled=request.form.get("enabled", ""), contact_name=request.form.get("contact_name", ""),
        contact_email=request.form.get("contact_email", ""), mou_signed_on=_parts("mou_signed_on"),
        mou_review_on=_parts("mou_review_on"), mou_reference=request.form.get("mou_reference", ""),
        mou_notes=request.form.get("mou_notes", ""))
    try:
        set_up = agencies.set_up(user, agency, form)
    except ValidationFailed as failed:
        set_up = agencies.agency_set_up(user, agency)
        return _render_agency(set_up, dict(request.form), failed.errors), 422
    flash(f"{set_up.agency.name} saved: {'works with' if set_up.enabled else 'does not work with'} the area; "
          f"memorandum {set_up.memorandum.lower()}", "success")
    return redirect(url_for("admin.agency_list"))


@bp.get("/admin/users")
@requires("agencies:manage")
def user_list() -> ResponseReturnValue:
    user = signed_in_user()
    return render_template("admin/users.html", page_title="People and their roles", active_nav="agencies",
                           area=user.area, people=agencies.area_users(user))


def _render_roles(person: object, chosen: set[str], errors: list[FieldError]) -> str:
    user = signed_in_user()
    absent = agencies.not_working_in(user.area_id)
    return render_template("admin/user_roles.html", page_title=f"Roles of {getattr(person, 'display_name', '')}",
                           active_nav="agencies", area=user.area, person=person, chosen=chosen, errors=errors,
                           roles=agencies.grantable_roles(absent, user))


@bp.get("/admin/users/<int:user_id>/roles")
@requires("agencies:manage")
def user_roles(user_id: int) -> ResponseReturnValue:
    person = agencies.user_in_area(signed_in_user(), user_id)
    return _render_roles(person, set(person.roles), [])


@bp.post("/admin/users/<int:user_id>/roles")
@requires("agencies:manage")
def user_roles_save(user_id: int) -> ResponseReturnValue:
    chosen = request.form.getlist("roles")
    try:
        person = agencies.set_roles(signed_in_user(), user_id, chosen)
    except ValidationFailed as failed:
        person = agencies.user_in_area(signed_in_user(), user_id)
        return _render_roles(person, set(chosen), failed.errors), 422
    flash(f"{person.display_name}'s roles saved", "success")
    return redirect(url_for("admin.user_list"))
