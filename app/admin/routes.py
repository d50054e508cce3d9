"""Process owner's view of incidents: instances stopped by an error in a script, condition or timer."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from app.security import requires, signed_in_user
from services import incidents

bp = Blueprint("admin", __name__, template_folder="templates")


@bp.get("/admin/incidents")
@requires("incidents:view")
def incident_list() -> ResponseReturnValue:
    rows = incidents.open_incidents(signed_in_user())
    return render_template("admin/incidents.html", page_title="Process incidents", incidents=rows)


@bp.post("/admin/incidents/<int:instance_id>/retry")
@requires("incidents:view")
def retry(instance_id: int) -> ResponseReturnValue:
    instance = incidents.retry(signed_in_user(), instance_id)
    flash("Retried" if instance.status != "error" else "The step failed again", "success")
    return redirect(url_for("admin.incident_list"))
