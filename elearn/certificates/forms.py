"""Certificate forms: they check shape only; the service checks the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Form, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from elearn.text_rules import PERSON_NAME_MAX, REVOKE_REASON_MAX


class VerifyForm(Form):
    """The public code lookup, sent by GET so that a link or a QR code can carry it (no CSRF: it changes nothing)."""

    code = StringField(
        "Certificate code",
        description="16 letters and numbers, printed at the bottom of the certificate, for example 7KQM-2XPD-9HTA-4RWC.",
        validators=[DataRequired("Enter the certificate code."), Length(max=64, message="That is not a certificate code.")],
    )



class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason for revoking",
        description="Recorded in the audit trail. The public verification page shows only that it was revoked, and when.",
        validators=[DataRequired("Give the reason for revoking this certificate."),
                    Length(max=REVOKE_REASON_MAX, message=f"Use at most {REVOKE_REASON_MAX} characters.")],
    )
    submit = SubmitField("Revoke certificate")


class SearchForm(Form):
    q = StringField("Code or learner name", validators=[Length(max=PERSON_NAME_MAX)])
