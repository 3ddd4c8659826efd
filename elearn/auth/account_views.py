"""My account: change password or email (with the current password), two-factor sign-in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user

from elearn.auth import service
from elearn.auth import two_factor as two_factor_service
from elearn.auth.forms import ChangeEmailForm, ChangePasswordForm, DisableTwoFactorForm, TwoFactorForm
from elearn.errors import InvalidInput

bp = Blueprint("account", __name__, template_folder="templates")

# Pages a manager or admin may still reach before they have set up two-factor sign-in.
SETUP_ALLOWED = {"account.two_factor_setup", "auth.logout", "static", "pages.worried", "pages.accessibility",
                 "pages.privacy", "pages.healthz", "pages.readyz"}


@bp.before_app_request
def require_two_factor_setup() -> ResponseReturnValue | None:
    """Managers and admins set up two-factor sign-in before they can do anything else."""
    if (current_user.is_authenticated and current_user.needs_two_factor and not current_user.has_two_factor
            and request.endpoint not in SETUP_ALLOWED):
        flash("Managers and administrators must set up two-factor sign-in before continuing.", "info")
        return redirect(url_for("account.two_factor_setup"))
    return None


@bp.get("/account")
@login_required
def overview() -> ResponseReturnValue:
    return render_template("auth/account.html", disable_form=DisableTwoFactorForm())


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data, form.password.data)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            logout_user()  # the session version changed: sign in again with the new password
            flash("Your password has been changed. Log in with your new password.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/change_password.html", form=form), 200 if not form.errors else 422


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
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
def two_factor_setup() -> ResponseReturnValue:
    if current_user.has_two_factor:
        return redirect(url_for("account.overview"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = two_factor_service.confirm_setup(current_user, form.code.data)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            return render_template("auth/recovery_codes.html", codes=codes)
    if not current_user.totp_secret:
        two_factor_service.start_setup(current_user)
    return render_template("auth/two_factor_setup.html", form=form, secret=current_user.totp_secret,
                           qr=two_factor_service.qr_code_data_uri(current_user)), 200 if not form.errors else 422


@bp.post("/account/two-factor/disable")
@login_required
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
