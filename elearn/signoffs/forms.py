"""Forms for read-and-understood documents: they check shape only; the service checks the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from elearn.forms import PrefixedForm, optional_int
from elearn.models.signoffs import URL_MAX, VERSION_LABEL_MAX
from elearn.text_rules import TRAINING_TITLE_MAX

PDF_HINT = "Either a PDF of at most 1.5 MB, or a web address below"


class VersionForm(PrefixedForm):
    """A new version of a document: its label and where to read it. Prefixed: it shares the report page with
    AssignDocumentForm, so its csrf_token and submit ids are its own."""

    form_prefix = "version"

    label = StringField("Version", description="As the document names it, for example “September 2025” or “v3”",
                        validators=[InputRequired("Enter the version."), Length(max=VERSION_LABEL_MAX)])
    pdf = FileField("The policy as a PDF (your own policy only)", description=PDF_HINT)
    url = StringField("Or its web address (your own policy only)", description="Starting https://",
                      validators=[Optional(), Length(max=URL_MAX)])
    submit = SubmitField("Publish the new version")


class PublishForm(VersionForm):
    """A new document to sign off (alone on its page: no prefix)."""

    form_prefix = ""

    kind = RadioField("Document", default="kcsie", choices=[
        SelectChoice("kcsie", "Keeping children safe in education: Part one (the edition in force, on GOV.UK)"),
        SelectChoice("policy", "Our own policy")])
    title = StringField("Title of your policy", description="For example “Child protection policy”",
                        validators=[Optional(), Length(max=TRAINING_TITLE_MAX)])
    submit = SubmitField("Publish")


class AssignDocumentForm(FlaskForm):
    """Who is asked to read a document, and by when."""

    audience = RadioField("Ask", default="everyone", choices=[
        SelectChoice("everyone", "Everyone in the organisation"), SelectChoice("group", "A group"),
        SelectChoice("people", "The people ticked below")])
    group_id = SelectField("Group", coerce=optional_int, validate_choice=False)
    user_ids = SelectMultipleField("People", coerce=int, validate_choice=False)
    due_on = DateField("Due date", validators=[InputRequired("Enter the due date.")])
    submit = SubmitField("Ask them to read it")


class ConfirmForm(FlaskForm):
    """The learner's "I have read and understood", naming the version they read."""

    version_id = HiddenField(validators=[InputRequired()])
    submit = SubmitField("I have read and understood it")
