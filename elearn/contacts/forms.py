"""The safeguarding contact form: it checks shape only; the service checks the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from elearn.contacts.service import ROLE_LABELS
from elearn.text_rules import CONTACT_NAME_MAX, CONTACT_NOTES_MAX, EMAIL_MAX, PHONE_MAX


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
