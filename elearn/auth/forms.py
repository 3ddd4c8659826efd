"""Auth forms: they check shape only; the service checks the rules."""

from __future__ import annotations

from flask import abort
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from elearn.auth.passwords import MAX_LENGTH

# Fields several forms share (registration, invitations, resets, My account), built by one function each
# so the wording and limits stay the same everywhere.
CHOOSING_ADVICE = "At least 10 characters. A short sentence is easy to remember and hard to guess."


def certificate_name_field() -> StringField:
    return StringField(
        "Your full name, as it should appear on your certificates",
        validators=[DataRequired("Enter your full name."), Length(max=120, message="Use at most 120 characters.")],
    )


def email_field(label: str = "Email address", *, required: str = "Enter your email address.") -> EmailField:
    return EmailField(label, validators=[
        DataRequired(required), Length(max=254),
        Email("Enter an email address like name@school.sch.uk.", check_deliverability=False)])


def new_password_fields(label: str = "Password", *, description: str = CHOOSING_ADVICE,
                        required: str = "Choose a password.") -> tuple[PasswordField, PasswordField]:
    """The new password and its confirmation, which must match (the service checks its strength)."""
    again = "Type the new password again." if label.startswith("New") else "Type the password again."
    return (
        PasswordField(label, description=description, validators=[DataRequired(required), Length(max=MAX_LENGTH)]),
        PasswordField(f"Confirm {label[0].lower()}{label[1:]}",
                      validators=[DataRequired(again), EqualTo("password", "The passwords do not match.")]),
    )


def current_password_field() -> PasswordField:
    return PasswordField("Current password",
                         validators=[DataRequired("Enter your current password."), Length(max=MAX_LENGTH)])


class RegisterForm(FlaskForm):
    display_name = certificate_name_field()
    email = email_field()
    password, confirm = new_password_fields()
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)])
    submit = SubmitField("Log in")


class ResetRequestForm(FlaskForm):
    email = email_field()
    submit = SubmitField("Send me a reset link")


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields("New password", description="At least 10 characters.")
    submit = SubmitField("Set new password")


class ButtonForm(FlaskForm):
    """A form with only a button: it carries the CSRF token for POST-only actions."""

    submit = SubmitField("Continue")


FORM_EXPIRED = "The form had expired. Please try again."


def require_button() -> None:
    """For a POST-only action: 400 unless its button came back with a valid CSRF token."""
    if not ButtonForm().validate_on_submit():
        abort(400, FORM_EXPIRED)


class TwoFactorForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        description="6 digits. Lost your phone? Enter one of your recovery codes instead.",
        validators=[DataRequired("Enter the code."), Length(max=32)],
    )
    submit = SubmitField("Continue")


class ChangePasswordForm(FlaskForm):
    current_password = current_password_field()
    password, confirm = new_password_fields("New password", description="At least 10 characters.",
                                            required="Choose a new password.")
    submit = SubmitField("Change password")


class ChangeEmailForm(FlaskForm):
    email = email_field("New email address", required="Enter the new email address.")
    current_password = current_password_field()
    submit = SubmitField("Change email address")


class DisableTwoFactorForm(FlaskForm):
    password = current_password_field()
    submit = SubmitField("Turn off two-factor sign-in")
