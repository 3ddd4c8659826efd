"""Auth forms: they check shape only; the service checks the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from elearn.forms import certificate_name_field, current_password_field, email_field, new_password_fields
from elearn.text_rules import EMAIL_MAX, PASSWORD_MAX


class RegisterForm(FlaskForm):
    display_name = certificate_name_field()
    email = email_field()
    submit = SubmitField("Create account")


class FinishRegistrationForm(FlaskForm):
    display_name = certificate_name_field()
    password, confirm = new_password_fields()
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address."), Length(max=EMAIL_MAX)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."), Length(max=PASSWORD_MAX)])
    submit = SubmitField("Log in")


class ResetRequestForm(FlaskForm):
    email = email_field()
    submit = SubmitField("Send me a reset link")


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields("New password", description="At least 10 characters.")
    submit = SubmitField("Set new password")


class TwoFactorForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        description="6 digits. Lost your phone? Enter one of your recovery codes instead.",
        validators=[DataRequired("Enter the code."), Length(max=32)],
    )
    remember_device = BooleanField(
        "Remember this device for 30 days",
        description="Only on a device no one else uses. You will still need your password here.",
    )
    submit = SubmitField("Continue")


class TwoFactorSetupForm(FlaskForm):
    current_password = current_password_field()
    code = StringField("Code from your authenticator app", description="6 digits.",
                       validators=[DataRequired("Enter the code."), Length(max=32)])
    submit = SubmitField("Turn on two-factor sign-in")


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
