"""Forms for safeguarding contacts, external training, imported certificates and certificate ZIPs (shape only)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from elearn.manage.contacts import ROLE_LABELS
from elearn.manage.forms import _optional_int
from elearn.text_rules import (
    CONTACT_NAME_MAX,
    CONTACT_NOTES_MAX,
    EMAIL_MAX,
    PHONE_MAX,
    TRAINING_NOTE_MAX,
    TRAINING_PROVIDER_MAX,
    TRAINING_TITLE_MAX,
)


class ContactForm(FlaskForm):
    role = SelectField("Who is this?", choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
                       validators=[InputRequired("Choose who this contact is.")])
    name = StringField("Name", description="A person's name, or the service's name (e.g. “Anytown Children's Services”)",
                       validators=[DataRequired("Enter a name."), Length(max=CONTACT_NAME_MAX)])
    phone = StringField("Phone number", validators=[Optional(), Length(max=PHONE_MAX)])
    email = EmailField("Email address", validators=[
        Optional(), Length(max=EMAIL_MAX), Email("Enter an email address like dsl@school.sch.uk.", check_deliverability=False)])
    notes = TextAreaField("How and when to reach them (optional)", description="For example: out of hours, use the duty number",
                          validators=[Optional(), Length(max=CONTACT_NOTES_MAX)])
    submit = SubmitField("Save contact")


class ExternalTrainingForm(FlaskForm):
    course_id = SelectField("Counts for course", coerce=_optional_int, validate_choice=False,
                            description="Leave blank to keep it on record without counting for a course")
    title = StringField("Training title",
                        validators=[DataRequired("Enter the training's title."), Length(max=TRAINING_TITLE_MAX)])
    provider = StringField("Provider",
                           validators=[DataRequired("Enter who provided it."), Length(max=TRAINING_PROVIDER_MAX)])
    completed_on = DateField("Completed on", validators=[InputRequired("Enter the date it was completed.")])
    expires_on = DateField("Expires on", validators=[Optional()])
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=TRAINING_NOTE_MAX)])
    submit = SubmitField("Record training")


class ImportCertificateForm(FlaskForm):
    code = StringField("Certificate code", description="As printed on the certificate, e.g. 7KQM-2XPD-9HTA-4RWC",
                       validators=[DataRequired("Enter the certificate's code."), Length(max=64)])
    confirm = BooleanField("I have checked that this certificate is theirs")
    submit = SubmitField("Check certificate")


class CertificateSelectionForm(FlaskForm):
    user_ids = SelectMultipleField("People", coerce=int, validate_choice=False)
    submit = SubmitField("Download certificates of the people ticked")
