"""Register, log in, log out and reset a password."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import Field

from elearn import access
from elearn.auth import known_browsers, registration, service, sessions
from elearn.auth import two_factor as two_factor_service
from elearn.auth.forms import (
    FinishRegistrationForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
    TwoFactorForm,
)
from elearn.errors import InvalidInput
from elearn.extensions import limiter
from elearn.forms import ButtonForm
from elearn.models import User
from elearn.people import service as people
from elearn.security import safe_next_url
from elearn.sso import service as sso

bp = Blueprint("auth", __name__, template_folder="templates")

# One answer for a wrong password, an unknown email and any attempt while the sign-in throttle's wait runs.
LOGIN_FAILED = ("The email address or password is not right, or there have been too many attempts. Check them, "
                "wait a minute or two, then try again.")
PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 300  # the password step is good for five minutes


def _known_accounts() -> frozenset[str]:
    """The accounts that have signed in from this browser before (the sign-in throttle keeps them apart)."""
    return known_browsers.accounts_in(request.cookies.get(current_app.config["KNOWN_BROWSER_COOKIE"]))


def _remember_browser(response: Response, user: service.User) -> Response:
    name = current_app.config["KNOWN_BROWSER_COOKIE"]
    response.set_cookie(name, known_browsers.cookie_with(request.cookies.get(name), user),
                        max_age=int(known_browsers.MAX_AGE.total_seconds()), httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def _remember_device_cookie(response: Response, value: str) -> Response:
    # HttpOnly, SameSite=Lax, path=/ and (in production) Secure under a __Host- name: no script or subdomain reads it.
    response.set_cookie(current_app.config["DEVICE_COOKIE_NAME"], value, path="/", httponly=True, samesite="Lax",
                        max_age=int(sessions.DEVICE_LIFETIME.total_seconds()),
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def _landing(user: service.User) -> str:
    """A safe `next`, else where the user lands by role (access.landing_endpoint)."""
    return safe_next_url(request.args.get("next")) or url_for(access.landing_endpoint(user))


def _signed_in(user: service.User, target: str | None = None, *, remember_device: bool = False) -> Response:
    """Start a server-side session (a fresh cookie and CSRF token: no fixation), mark this browser as known, land."""
    session.clear()
    started = sessions.start_session(user, user_agent=request.headers.get("User-Agent"), ip=request.remote_addr,
                                     remember_device=remember_device)
    login_user(user)
    response = _remember_browser(make_response(redirect(target or _landing(user))), user)
    return _remember_device_cookie(response, started.device_cookie) if started.device_cookie else response


def _validate_all(form: FlaskForm, password_email: str = "", **fields: Field) -> bool:
    """Validate the form's shape and the account rules of each field whose shape passed, so every problem is
    reported in one pass; True when there are none."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    checked = {name: field.data or "" for name, field in fields.items() if not field.errors}
    for problem in registration.registration_problems(password_email=password_email, **checked):
        problem.attach_to(form)
    return valid and not form.errors


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT_PER_IP"], methods=["POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    form = RegisterForm()
    if _validate_all(form, display_name=form.display_name, email=form.email):
        try:
            registration.request_registration(form.display_name.data, form.email.data)
        except InvalidInput as error:
            error.attach_to(form)
        else:  # the same page whether or not the address has an account: the email tells its owner which
            return render_template("auth/register_sent.html", email=form.email.data.strip())
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


@bp.route("/register/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def finish_registration(token: str) -> ResponseReturnValue:
    pending = registration.find_registration(token)
    if pending is None:
        return render_template("auth/register_invalid.html"), 400
    form = FinishRegistrationForm(display_name=pending.display_name)
    if _validate_all(form, password_email=pending.email, display_name=form.display_name, password=form.password):
        try:
            user = people.sign_up(form.display_name.data, pending.email, form.password.data)
        except InvalidInput as error:
            if error.field == "email":  # the link was used a moment ago, in another tab
                return render_template("auth/register_invalid.html"), 400
            error.attach_to(form)
        else:
            flash("Welcome to elearn. Your account is ready.", "success")
            return _signed_in(user, url_for("catalog.index"))
    return render_template("auth/register_finish.html", form=form, email=pending.email), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"], methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        refusals: dict[int, str | None] = {}  # read once: authenticate asks, then this page says why

        def sso_refusal(member: User) -> str | None:
            if member.id not in refusals:
                refusals[member.id] = sso.password_sign_in_refusal(member)
            return refusals[member.id]

        user = service.authenticate(form.email.data, form.password.data, known_accounts=_known_accounts(),
                                    password_refused=lambda member: sso_refusal(member) is not None)
        if user is not None and (refusal := sso_refusal(user)):
            sso.record_password_refused(user)  # the organisation requires Microsoft or Google sign-in
            form.password.errors = [refusal]
            return render_template("auth/login.html", form=form), 403
        if user is not None and user.has_two_factor and sessions.is_remembered_device(
                user, request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])):
            # The password was right and this device was remembered after a second factor: that factor stands.
            service.record_successful_login(user, method="remembered_device",
                                            known_browser=known_browsers.is_known(user, _known_accounts()))
            return _signed_in(user)
        if user is not None and user.has_two_factor:
            session.clear()
            session[PENDING_KEY] = {"user": user.id, "at": int(time.time())}
            return redirect(url_for("auth.two_factor", next=safe_next_url(request.args.get("next"))))
        if user is not None:
            return _signed_in(user)
        form.password.errors = [LOGIN_FAILED]
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


def _pending_user() -> service.User | None:
    """The user who passed the password step in the last few minutes and owes a second factor."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return sessions.find_pending_user(pending.get("user"))


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def two_factor() -> ResponseReturnValue:
    user = _pending_user()
    if user is None:
        flash("Please log in again.", "info")
        return redirect(url_for("auth.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        known = known_browsers.is_known(user, _known_accounts())
        if two_factor_service.verify_second_factor(user, form.code.data, known_browser=known):
            return _signed_in(user, remember_device=bool(form.remember_device.data))
        form.code.errors = [two_factor_service.CODE_REFUSED]
    return render_template("auth/two_factor.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    if ButtonForm().validate_on_submit():
        sessions.end_session(current_user, current_user.session_key)  # a copy of this cookie opens nothing now
        logout_user()
        session.clear()
        flash("You have logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/reset-password", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
def request_reset() -> ResponseReturnValue:
    form = ResetRequestForm()
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/reset_request.html", form=form), 200 if not form.errors else 422


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    if service.find_valid_reset_token(token) is None:
        return render_template("auth/reset_invalid.html", message=service.RESET_INVALID), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = service.reset_password(token, form.password.data)
        except InvalidInput as error:
            if error.field == "token":
                return render_template("auth/reset_invalid.html", message=error.message), 400
            error.attach_to(form)
        else:
            flash("Your password has been changed. Log in with your new password.", "success")
            # The reset proved the inbox: this browser is known, and signs in past a stranger's wait.
            return _remember_browser(redirect(url_for("auth.login")), user)
    return render_template("auth/reset_password.html", form=form), 200 if not form.errors else 422
