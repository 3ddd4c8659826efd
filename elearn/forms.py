"""Form pieces every feature shares: the button-only form, its POST check, and the common fields.

Forms check shape only; the services check the rules. Fields several forms share (registration,
invitations, resets, My account) are built by one function each so their wording and limits stay
the same everywhere, and the limits come from `elearn.text_rules`.
"""

from __future__ import annotations

from flask import abort
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from elearn.text_rules import EMAIL_MAX, PASSWORD_MAX, PERSON_NAME_MAX


class PrefixedForm(FlaskForm):
    """A form that shares its page with another: its fields' names and ids start with `form_prefix` ("role-role",
    "role-csrf_token"), so two forms on one page never repeat an id such as csrf_token or submit."""

    form_prefix = ""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("prefix", self.form_prefix)
        super().__init__(*args, **kwargs)


CHOOSING_ADVICE = "At least 10 characters. A short sentence is easy to remember and hard to guess."


def certificate_name_field(label: str = "Your full name, as it should appear on your certificates", *,
                           required: str = "Enter your full name.", description: str = "") -> StringField:
    """A person's name as certificates print it; the service applies the rest of the rule (`clean_person_name`)."""
    return StringField(label, description=description, validators=[
        DataRequired(required), Length(max=PERSON_NAME_MAX, message=f"Use at most {PERSON_NAME_MAX} characters.")])


def email_field(label: str = "Email address", *, required: str = "Enter your email address.") -> EmailField:
    return EmailField(label, validators=[
        DataRequired(required), Length(max=EMAIL_MAX),
        Email("Enter an email address like name@school.sch.uk.", check_deliverability=False)])


def new_password_fields(label: str = "Password", *, description: str = CHOOSING_ADVICE,
                        required: str = "Choose a password.") -> tuple[PasswordField, PasswordField]:
    """The new password and its confirmation, which must match (the service checks its strength)."""
    again = "Type the new password again." if label.startswith("New") else "Type the password again."
    return (
        PasswordField(label, description=description, validators=[DataRequired(required), Length(max=PASSWORD_MAX)]),
        PasswordField(f"Confirm {label[0].lower()}{label[1:]}",
                      validators=[DataRequired(again), EqualTo("password", "The passwords do not match.")]),
    )


def current_password_field() -> PasswordField:
    return PasswordField("Current password",
                         validators=[DataRequired("Enter your current password."), Length(max=PASSWORD_MAX)])



class ButtonForm(FlaskForm):
    """A form with only a button: it carries the CSRF token for POST-only actions."""

    submit = SubmitField("Continue")


def optional_int(value: object) -> int | None:
    """Coerce a select's value to an id; the blank choice (or anything that is not a number) is None."""
    try:
        return int(value) if value not in (None, "", "None") else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


FORM_EXPIRED = "The form had expired. Please try again."


def require_button() -> None:
    """For a POST-only action: 400 unless its button came back with a valid CSRF token."""
    if not ButtonForm().validate_on_submit():
        abort(400, FORM_EXPIRED)


class NameCorrectionForm(FlaskForm):
    """The name on someone's certificates, corrected by them or by their manager (the rule: certificates/names.py)."""

    display_name = certificate_name_field(
        "Full name, as it should appear on certificates",
        required="Enter the name as it should appear on certificates.",
        description="Certificates already issued will be re-issued with this name, under the same codes.",
    )
    submit = SubmitField("Save the name")
