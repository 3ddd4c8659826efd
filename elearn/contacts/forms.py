"""The safeguarding contact form: it checks shape only; the service checks the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from elearn.contacts.service import MAX_EMAIL, MAX_NAME, MAX_NOTES, MAX_PHONE, ROLE_LABELS


class ContactForm(FlaskForm):
    role = SelectField("Who is this?", choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
                       validators=[InputRequired("Choose who this contact is.")])
    name = StringField("Name", description="A person's name, or the service's name (e.g. “Anytown Children's Services”)",
                       validators=[DataRequired("Enter a name."), Length(max=MAX_NAME)])
    phone = StringField("Phone number", validators=[Optional(), Length(max=MAX_PHONE)])
    email = EmailField("Email address", validators=[
        Optional(), Length(max=MAX_EMAIL), Email("Enter an email address like dsl@school.sch.uk.", check_deliverability=False)])
    notes = TextAreaField("How and when to reach them (optional)", description="For example: out of hours, use the duty number",
                          validators=[Optional(), Length(max=MAX_NOTES)])
    submit = SubmitField("Save contact")
