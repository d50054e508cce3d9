"""Sign in and out. Sessions are server-side rows; the id rotates at every sign-in."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from app.security import public, requires, signed_in_user
from services.auth import authenticate, end_session, start_session
from services.errors import FieldError
from services.lockout import Refusal
from services.models import User
from services.permissions import has_permission
from services.settings import SIGN_IN_ADDRESS_THROTTLE

bp = Blueprint("auth", __name__, template_folder="templates")

# The same words whether or not the username exists (services.lockout counts unknown usernames alike).
REFUSED = {
    Refusal.ACCOUNT_LOCKED: "There have been too many failed attempts to sign in with this username. Try again later, "
                            "or ask your MAPPA coordinator or manager to unlock your account",
    Refusal.ADDRESS_THROTTLED: "There have been too many failed attempts to sign in from your network. Try again in "
                               f"{SIGN_IN_ADDRESS_THROTTLE.window.seconds // 60} minutes",
}


# Where a user lands: the first screen their roles allow.
LANDING = (("tasks:work", "inbox.my_tasks"), ("cases:view", "cases.case_list"),
           ("studio:edit", "studio.library"), ("incidents:view", "admin.incident_list"),
           ("smb:view", "smb.pack_page"), ("account:tokens", "account.tokens"))


def landing_page(user: User) -> str:
    return next((url_for(endpoint) for permission, endpoint in LANDING if has_permission(user, permission)),
                url_for("account.tokens"))


def _safe_next(target: str | None, user: User) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return landing_page(user)


@bp.get("/")
@public
def home() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(landing_page(signed_in_user()))
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in() -> ResponseReturnValue:
    errors: list[FieldError] = []
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username:
            errors.append(FieldError("username", "Enter your username"))
        if not password:
            errors.append(FieldError("password", "Enter your password"))
        if not errors:
            user = authenticate(username, password, request.remote_addr)
            if isinstance(user, Refusal):
                errors.append(FieldError("username", REFUSED[user]))
                return render_template("auth/sign_in.html", page_title="Sign in", errors=errors,
                                       username=username), 429
            if user is None:
                errors.append(FieldError("username", "The username or password is not right"))
            else:
                session.clear()
                user.session_id = start_session(user)
                login_user(user)
                return redirect(_safe_next(request.args.get("next"), user))
    return render_template("auth/sign_in.html", page_title="Sign in", errors=errors, username=username)


@bp.post("/sign-out")
@requires("signed_in")
def sign_out() -> ResponseReturnValue:
    user = signed_in_user()
    if user.session_id:
        end_session(user.session_id)
    logout_user()
    session.clear()
    response = redirect(url_for("auth.sign_in"))
    response.headers["Clear-Site-Data"] = '"storage"'  # minutes drafts in localStorage (static/js/storage.mjs)
    return response
