"""Privacy forms: they check shape only; the service checks the password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from elearn.auth.passwords import MAX_LENGTH


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", description="Enter your password to confirm it is you.",
                             validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)])
    submit = SubmitField("Delete my account")
