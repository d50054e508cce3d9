"""A user's own API tokens: create (shown once, with the date it expires), see each and revoke."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.security import requires, signed_in_user
from services import auth
from services.errors import FieldError
from services.models import ApiToken
from services.settings import area_settings

bp = Blueprint("account", __name__, template_folder="templates")


@bp.get("/account/tokens")
@requires("account:tokens")
def tokens() -> ResponseReturnValue:
    return _page()


def _page(new_token: tuple[ApiToken, str] | None = None, errors: list[FieldError] | None = None,
          name: str = "") -> ResponseReturnValue:
    user = signed_in_user()
    return render_template("account/tokens.html", page_title="API tokens", active_nav="tokens",
                           tokens=auth.tokens_of(user), status=auth.token_status, new_token=new_token,
                           lifetime_days=area_settings(user.area_id)["api_token_days"], errors=errors or [], name=name)


@bp.post("/account/tokens")
@requires("account:tokens")
def create_token() -> ResponseReturnValue:
    name = request.form.get("name", "").strip()
    if not name:
        return _page(errors=[FieldError("name", "Enter a name for the token")])
    if len(name) > 120:
        return _page(errors=[FieldError("name", "Name must be 120 characters or fewer")], name=name)
    return _page(new_token=auth.create_token(signed_in_user(), name))


@bp.post("/account/tokens/<int:token_id>/revoke")
@requires("account:tokens")
def revoke_token(token_id: int) -> ResponseReturnValue:
    row = auth.revoke_token(signed_in_user(), token_id)
    flash(f"Token '{row.name}' revoked", "success")
    return redirect(url_for("account.tokens"))
