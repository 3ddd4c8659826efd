"""Forms for training from elsewhere and imported certificates: they check shape only; the service checks the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    SelectField,
    SelectMultipleField,
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


class SessionDetailsForm(FlaskForm):
    """A face-to-face session's details; the service checks the dates, the hours and what it counts for."""

    topic = StringField("Topic", description="For example: Annual safeguarding update (INSET)",
                        validators=[DataRequired("Enter the session's topic."), Length(max=TRAINING_TITLE_MAX)])
    held_on = DateField("Date held", validators=[InputRequired("Enter the date it was held.")])
    trainer = StringField("Trainer", description="Who led it: a name, or a name and an organisation",
                          validators=[DataRequired("Enter who led the session."), Length(max=TRAINING_PROVIDER_MAX)])
    hours = DecimalField("Hours", description="For example 1.5", places=None,
                         validators=[InputRequired("Enter how long it lasted, in hours.")])
    course_ids = SelectMultipleField("Courses whose outcomes it covers", coerce=int, validate_choice=False)
    counts_towards_compliance = BooleanField("Counts towards compliance for these courses",
                                             description="Attendees count as trained for them until the date below")
    counts_until = DateField("Counts until", validators=[Optional()],
                             description="Required when it counts: after this date it stops counting")
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=TRAINING_NOTE_MAX)])
    submit = SubmitField("Save the session")


class SessionForm(SessionDetailsForm):
    """A new session: its details, who attended and the register."""

    group_ids = SelectMultipleField("Groups who attended", coerce=int, validate_choice=False,
                                    description="Everyone in the group now is added")
    user_ids = SelectMultipleField("People who attended", coerce=int, validate_choice=False)
    register = FileField("Signed register (optional)", description="A PDF, PNG or JPEG of at most 1.5 MB")
    submit = SubmitField("Record the session")


class AttendeesForm(FlaskForm):
    """More people for a session's attendance, one by one or by group."""

    group_ids = SelectMultipleField("Groups", coerce=int, validate_choice=False)
    user_ids = SelectMultipleField("People", coerce=int, validate_choice=False)
    submit = SubmitField("Add to the attendance")


class RegisterForm(PrefixedForm):
    """The signed register of a session. Prefixed: it shares the session's page with AttendeesForm."""

    form_prefix = "register"

    register = FileField("Signed register", description="A PDF, PNG or JPEG of at most 1.5 MB")
    submit = SubmitField("Attach the register")
