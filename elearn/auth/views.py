"""Register, log in, log out and reset a password."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user

from elearn.auth import service, sessions
from elearn.auth import two_factor as two_factor_service
from elearn.auth.forms import (
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
    TwoFactorForm,
)
from elearn.errors import InvalidInput
from elearn.extensions import limiter
from elearn.forms import ButtonForm
from elearn.models import Role
from elearn.people import service as people
from elearn.security import safe_next_url
from elearn.text_rules import EMAIL_MAX, normalise_email

bp = Blueprint("auth", __name__, template_folder="templates")

LOGIN_FAILED = "The email address or password is not right. Check them and try again."
PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 300  # the password step is good for five minutes


def _login_email_key() -> str:
    # The address as the account stores it, so "Jo@X.org " and "jo@x.org" share one counter.
    return "login:" + normalise_email(request.form.get("email", ""))[:EMAIL_MAX]


def _start_session(user: service.User, *, remember_device: bool = False) -> sessions.StartedSession:
    session.clear()  # a fresh session (and CSRF token) after login: no fixation
    started = sessions.start_session(user, user_agent=request.headers.get("User-Agent"), ip=request.remote_addr,
                                     remember_device=remember_device)
    login_user(user)
    return started


def _landing(user: service.User) -> ResponseReturnValue:
    """A safe `next`, else managers and admins land on the compliance dashboard and learners on My learning."""
    manages = user.role in (Role.MANAGER, Role.ADMIN)
    return redirect(safe_next_url(request.args.get("next"))
                    or url_for("compliance.dashboard" if manages else "learning.dashboard"))


def _remember_device_cookie(response: Response, value: str) -> Response:
    # HttpOnly, SameSite=Lax, path=/ and (in production) Secure under a __Host- name: no script or subdomain reads it.
    response.set_cookie(current_app.config["DEVICE_COOKIE_NAME"], value, path="/", httponly=True, samesite="Lax",
                        max_age=int(sessions.DEVICE_LIFETIME.total_seconds()),
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT_PER_IP"], methods=["POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = people.sign_up(form.display_name.data, form.email.data, form.password.data)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            _start_session(user)
            flash("Welcome to elearn. Your account is ready.", "success")
            return redirect(url_for("catalog.index"))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_EMAIL"], methods=["POST"], key_func=_login_email_key)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("learning.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None and user.has_two_factor and sessions.is_remembered_device(
                user, request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])):
            service.record_successful_login(user, method="remembered_device")
            _start_session(user)  # commits the sign-in: the password was right and this device is remembered
            return _landing(user)
        if user is not None and user.has_two_factor:
            session.clear()
            session[PENDING_KEY] = {"user": user.id, "at": int(time.time())}
            return redirect(url_for("auth.two_factor", next=safe_next_url(request.args.get("next"))))
        if user is not None:
            _start_session(user)
            return _landing(user)
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
        if two_factor_service.verify_second_factor(user, form.code.data):
            started = _start_session(user, remember_device=bool(form.remember_device.data))
            response = make_response(_landing(user))
            return _remember_device_cookie(response, started.device_cookie) if started.device_cookie else response
        form.code.errors = [two_factor_service.WRONG_CODE]
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
            service.reset_password(token, form.password.data)
        except InvalidInput as error:
            if error.field == "token":
                return render_template("auth/reset_invalid.html", message=error.message), 400
            error.attach_to(form)
        else:
            flash("Your password has been changed. Log in with your new password.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form), 200 if not form.errors else 422
