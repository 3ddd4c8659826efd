"""Auth forms: they check shape only; the service checks the rules."""

from __future__ import annotations

from flask import abort
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from elearn.auth.passwords import MAX_LENGTH


class RegisterForm(FlaskForm):
    display_name = StringField(
        "Your full name, as it should appear on your certificates",
        validators=[DataRequired("Enter your full name."), Length(max=120, message="Use at most 120 characters.")],
    )
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Length(max=254),
                    Email("Enter an email address like name@school.sch.uk.", check_deliverability=False)],
    )
    password = PasswordField(
        "Password",
        description="At least 10 characters. A short sentence is easy to remember and hard to guess.",
        validators=[DataRequired("Choose a password."), Length(max=MAX_LENGTH)],
    )
    confirm = PasswordField(
        "Confirm password",
        validators=[DataRequired("Type the password again."), EqualTo("password", "The passwords do not match.")],
    )
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)])
    submit = SubmitField("Log in")


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Length(max=254),
                    Email("Enter an email address like name@school.sch.uk.", check_deliverability=False)],
    )
    submit = SubmitField("Send me a reset link")


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        description="At least 10 characters.",
        validators=[DataRequired("Choose a password."), Length(max=MAX_LENGTH)],
    )
    confirm = PasswordField(
        "Confirm new password",
        validators=[DataRequired("Type the password again."), EqualTo("password", "The passwords do not match.")],
    )
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
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password."),
                                                                     Length(max=MAX_LENGTH)])
    password = PasswordField("New password", description="At least 10 characters.",
                             validators=[DataRequired("Choose a new password."), Length(max=MAX_LENGTH)])
    confirm = PasswordField("Confirm new password",
                            validators=[DataRequired("Type the new password again."),
                                        EqualTo("password", "The passwords do not match.")])
    submit = SubmitField("Change password")


class ChangeEmailForm(FlaskForm):
    email = EmailField("New email address",
                       validators=[DataRequired("Enter the new email address."), Length(max=254),
                                   Email("Enter an email address like name@school.sch.uk.", check_deliverability=False)])
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password."),
                                                                     Length(max=MAX_LENGTH)])
    submit = SubmitField("Change email address")


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField("Current password", validators=[DataRequired("Enter your current password."),
                                                             Length(max=MAX_LENGTH)])
    submit = SubmitField("Turn off two-factor sign-in")
