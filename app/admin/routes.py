"""Process owner's view of incidents (instances stopped by an error in a script, condition or timer), and the
coordinator's or manager's view of the area's accounts: unlock a locked account, revoke anyone's API token."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from app.security import requires, signed_in_user
from services import auth, incidents, lockout
from services.settings import ACCOUNT_LOCKOUT_FAILURES

bp = Blueprint("admin", __name__, template_folder="templates")


@bp.get("/admin/incidents")
@requires("incidents:view")
def incident_list() -> ResponseReturnValue:
    rows = incidents.open_incidents(signed_in_user())
    return render_template("admin/incidents.html", page_title="Process incidents", incidents=rows,
                           references=incidents.case_references(rows))


@bp.post("/admin/incidents/<int:instance_id>/retry")
@requires("incidents:view")
def retry(instance_id: int) -> ResponseReturnValue:
    instance = incidents.retry(signed_in_user(), instance_id)
    flash("Retried" if instance.status != "error" else "The step failed again", "success")
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
