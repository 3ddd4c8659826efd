"""Compliance forms: assigning courses, the training matrix's filters, ticking people for a ZIP or a reminder, the
organisation's reminder schedule (shape only)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from elearn.forms import optional_int


class AssignForm(FlaskForm):
    course_id = SelectField("Course", coerce=optional_int, validate_choice=False,
                            validators=[InputRequired("Choose a course.")])
    audience = RadioField("Assign to", choices=[SelectChoice("everyone", "Everyone in the organisation"), SelectChoice("group", "A group")],
                          default="everyone")
    group_id = SelectField("Group", coerce=optional_int, validate_choice=False)
    due_on = DateField("Due date", validators=[InputRequired("Enter the due date.")])
    due_in_days = IntegerField("People who join later: due this many days after they join", default=30,
                               validators=[Optional(), NumberRange(1, 1098)])
    submit = SubmitField("Assign course")


class AssignOneForm(FlaskForm):
    course_id = SelectField("Course", coerce=optional_int, validate_choice=False,
                            validators=[InputRequired("Choose a course.")])
    due_on = DateField("Due date", validators=[InputRequired("Enter the due date.")])
    submit = SubmitField("Assign course")


def course_or_topic(value: object) -> int | str | None:
    """The matrix's one item: a course's id, or "topic:" and a face-to-face session's key, as given; else None."""
    if isinstance(value, str) and value.startswith("topic:") and len(value) > len("topic:"):
        return value
    return optional_int(value)


class MatrixFilterForm(FlaskForm):
    """Read from the query string (GET), so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField("Search by name or email", validators=[Optional(), Length(max=120)])
    group = SelectField("Group", coerce=optional_int, validate_choice=False)
    kind = SelectField("Kind of member", validate_choice=False)
    course = SelectField("Course or face-to-face session", coerce=course_or_topic, validate_choice=False)
    status = SelectField("Status", validate_choice=False)
    sort = SelectField("Sort by", choices=[SelectChoice("name", "Name"), SelectChoice("email", "Email"),
                                           SelectChoice("joined", "Date joined"),
                                           SelectChoice("status", "Status (most urgent first)")], validate_choice=False)
    direction = SelectField("Order", choices=[SelectChoice("asc", "Ascending"), SelectChoice("desc", "Descending")], validate_choice=False)


class CertificateSelectionForm(FlaskForm):
    user_ids = SelectMultipleField("People", coerce=int, validate_choice=False)
    submit = SubmitField("Download certificates of the people ticked")


class ChaseForm(FlaskForm):
    """Reminders: the people (ticked in the matrix, or listed on the confirmation page) and what to remind them of."""

    user_ids = SelectMultipleField("People", coerce=int, validate_choice=False)
    urgent_only = BooleanField("Only what is overdue or expiring")
    course_id = HiddenField("Course", filters=[lambda value: int(value) if value and str(value).isdigit() else None])
    submit = SubmitField("Send the reminders")


class ReminderScheduleForm(FlaskForm):
    on_assignment = BooleanField("When a course is assigned")
    week_before_due = BooleanField("A week before the due date")
    on_due_day = BooleanField("On the due date")
    weekly_overdue = BooleanField("Every week while overdue")
    before_expiry = BooleanField("30 days before a certificate expires")
    submit = SubmitField("Save the reminder schedule")
