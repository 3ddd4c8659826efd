"""My account: change password or email (with the current password), two-factor sign-in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user

from elearn.auth import service, sessions
from elearn.auth import two_factor as two_factor_service
from elearn.auth.forms import ChangeEmailForm, ChangePasswordForm, DisableTwoFactorForm, TwoFactorSetupForm
from elearn.errors import InvalidInput
from elearn.extensions import limiter
from elearn.forms import require_button
from elearn.sso import service as sso

bp = Blueprint("account", __name__, template_folder="templates")

# The TOTP secret being set up, in the signed session cookie until confirmed. The person is shown it on the
# page anyway; the request log records no session contents.
SETUP_KEY = "two_factor_setup"

# Pages a manager or admin may still reach before they have set up two-factor sign-in.
SETUP_ALLOWED = {"account.two_factor_setup", "auth.logout", "static", "pages.worried", "pages.accessibility",
                 "pages.privacy", "pages.healthz", "pages.readyz"}


@bp.before_app_request
def require_two_factor_setup() -> ResponseReturnValue | None:
    """Managers and admins set up two-factor sign-in before they can do anything else, unless this session began
    with a Microsoft or Google sign-in that used multi-factor authentication (elearn/sso)."""
    if (current_user.is_authenticated and current_user.needs_two_factor and not current_user.has_two_factor
            and request.endpoint not in SETUP_ALLOWED and not session.get(sso.MFA_SESSION_KEY)):
        flash("Managers and administrators must set up two-factor sign-in before continuing.", "info")
        return redirect(url_for("account.two_factor_setup"))
    return None


@bp.get("/account")
@login_required
def overview() -> ResponseReturnValue:
    return render_template("auth/account.html", disable_form=DisableTwoFactorForm(),
                           active_sessions=sessions.list_active(current_user))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])  # each checks the password: no free guessing from a session
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data, form.password.data)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Your password has been changed. Every other session has been signed out.", "success")
            return redirect(url_for("account.overview"))
    return render_template("auth/change_password.html", form=form), 200 if not form.errors else 422


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])  # each checks the password: no free guessing from a session
def change_email() -> ResponseReturnValue:
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            service.change_email(current_user, form.current_password.data, form.email.data)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Your email address has been changed.", "success")
            return redirect(url_for("account.overview"))
    return render_template("auth/change_email.html", form=form), 200 if not form.errors else 422


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"])  # each checks the password: no free guessing from a session
def two_factor_setup() -> ResponseReturnValue:
    if current_user.has_two_factor:
        session.pop(SETUP_KEY, None)
        return redirect(url_for("account.overview"))
    secret = _secret_being_set_up()
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = two_factor_service.confirm_setup(current_user, secret, form.code.data,
                                                       password=form.current_password.data)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            session.pop(SETUP_KEY, None)
            return render_template("auth/recovery_codes.html", codes=codes)
    return render_template("auth/two_factor_setup.html", form=form, secret=secret,
                           qr=two_factor_service.qr_code_data_uri(current_user, secret)), 200 if not form.errors else 422


def _secret_being_set_up() -> str:
    """The secret this person is setting up: kept in their session, so a reload or a second tab shows the same
    QR code, and written to their account only when a right code confirms it."""
    pending = session.get(SETUP_KEY)
    if isinstance(pending, dict) and pending.get("user") == current_user.id and isinstance(pending.get("secret"), str):
        return str(pending["secret"])
    secret = two_factor_service.start_setup(current_user)
    session[SETUP_KEY] = {"user": current_user.id, "secret": secret}
    return secret


@bp.post("/account/two-factor/disable")
@login_required
@limiter.limit("10 per minute", methods=["POST"])  # each checks the password: no free guessing from a session
def disable_two_factor() -> ResponseReturnValue:
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        try:
            two_factor_service.disable(current_user, form.password.data)
        except InvalidInput as error:
            flash(error.message, "error")
        else:
            flash("Two-factor sign-in is off.", "success")
    return redirect(url_for("account.overview"))


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> ResponseReturnValue:
    """End another of one's own sessions, or forget a remembered device."""
    require_button()
    sessions.end_one(current_user, session_id)
    flash("That session has ended.", "success")
    return redirect(url_for("account.overview", _anchor="sessions"))


@bp.post("/account/sessions/end-all")
@login_required
def sign_out_everywhere() -> ResponseReturnValue:
    require_button()
    sessions.sign_out_everywhere(current_user)
    logout_user()
    session.clear()
    flash("You have been signed out everywhere, on this device too.", "info")
    return redirect(url_for("auth.login"))
