"""The area's settings: the durations the lifecycle counts with. Everyone signed in reads them; the MAPPA
coordinator changes them (services.settings_admin enforces it)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.security import requires, signed_in_user
from services import settings_admin
from services.errors import FieldError, ValidationFailed
from services.settings import area_settings

bp = Blueprint("settings", __name__, template_folder="templates")


def _render(values: dict[str, str], errors: list[FieldError]) -> ResponseReturnValue:
    user = signed_in_user()
    by_field = {e.field: e.message for e in errors}
    defaults = settings_admin.defaults()
    rows = [{"key": key, "label": s.label, "unit": s.unit, "value": values.get(key, ""), "default": defaults[key],
             "error": by_field.get(key)} for key, s in settings_admin.SETTINGS.items()]
    return render_template("settings/settings.html", page_title="Settings", active_nav="settings", rows=rows,
                           errors=errors, editable=settings_admin.may_edit(user), area=user.area)


@bp.get("/settings")
@requires("signed_in")
def area_settings_page() -> ResponseReturnValue:
    current = area_settings(signed_in_user().area_id)
    return _render({key: str(value) for key, value in current.items()}, [])


@bp.post("/settings")
@requires("settings:change")
def change_settings() -> ResponseReturnValue:
    submitted = {key: request.form[key] for key in settings_admin.SETTINGS if key in request.form}
    try:
        settings_admin.update_settings(signed_in_user(), submitted)
    except ValidationFailed as failed:
        current = area_settings(signed_in_user().area_id)
        return _render({key: str(value) for key, value in current.items()} | submitted, failed.errors)
    flash("Settings saved. Steps planned from now on use the new values.", "success")
    return redirect(url_for("settings.area_settings_page"))
