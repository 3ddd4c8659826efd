"""Forms for training from elsewhere and imported certificates: they check shape only; the service checks the rules."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from elearn.forms import PrefixedForm, optional_int
from elearn.text_rules import TRAINING_NOTE_MAX, TRAINING_PROVIDER_MAX, TRAINING_TITLE_MAX


class ExternalTrainingForm(PrefixedForm):
    form_prefix = "training"  # shares the member's training page with ImportCertificateForm
    course_id = SelectField("Counts for course", coerce=optional_int, validate_choice=False,
                            description="Leave blank to keep it on record without counting for a course")
    title = StringField("Training title",
                        validators=[DataRequired("Enter the training's title."), Length(max=TRAINING_TITLE_MAX)])
    provider = StringField("Provider",
                           validators=[DataRequired("Enter who provided it."), Length(max=TRAINING_PROVIDER_MAX)])
    completed_on = DateField("Completed on", validators=[InputRequired("Enter the date it was completed.")])
    expires_on = DateField("Expires on", validators=[Optional()])
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=TRAINING_NOTE_MAX)])
    submit = SubmitField("Record training")


class ImportCertificateForm(PrefixedForm):
    form_prefix = "import"
    code = StringField("Certificate code", description="As printed on the certificate, e.g. 7KQM-2XPD-9HTA-4RWC",
                       validators=[DataRequired("Enter the certificate's code."), Length(max=64)])
    confirm = BooleanField("I have checked that this certificate is theirs")
    submit = SubmitField("Check certificate")
