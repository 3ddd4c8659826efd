"""People forms: invitations, CSV import, groups, new-starter rules, email domains, a learner's name.

They check shape only; the services check the rules and the organisation.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from elearn.forms import PrefixedForm, certificate_name_field, email_field, new_password_fields, optional_int
from elearn.models import MemberKind
from elearn.text_rules import GROUP_NAME_MAX
from elearn.wording import MEMBER_KIND_LABELS


class InviteForm(FlaskForm):
    display_name = certificate_name_field("Full name", required="Enter the person's full name.")
    email = email_field(required="Enter their email address.")
    member_kind = SelectField(
        "They will be", description="Supply, peripatetic staff, volunteers, governors and trustees need the training "
        "their role needs. Someone who already has an account at another organisation keeps it and works here too.",
        choices=[SelectChoice(k.value, MEMBER_KIND_LABELS[k.value]) for k in MemberKind], default=MemberKind.STAFF.value)
    group_id = SelectField("Group (optional)", coerce=optional_int, validate_choice=False)
    course_ids = SelectMultipleField("Courses to assign when they join (optional)", coerce=int, validate_choice=False)
    due_in_days = IntegerField("Due this many days after they join", default=30,
                               validators=[Optional(), NumberRange(1, 1098)])
    submit = SubmitField("Send invitation")


class ImportForm(FlaskForm):
    file = FileField("CSV file", description="Columns: name, email, group, courses (optional: course titles separated "
                     "by semicolons, due 30 days after joining). The first row names the columns.",
                     validators=[FileRequired("Choose a CSV file to upload.")])
    submit = SubmitField("Upload and invite")


class GroupForm(FlaskForm):
    name = StringField("Group name", validators=[DataRequired("Enter a name for the group."), Length(max=GROUP_NAME_MAX)])
    submit = SubmitField("Add group")


class MemberGroupsForm(FlaskForm):
    group_ids = SelectMultipleField("Groups", coerce=int, validate_choice=False)
    submit = SubmitField("Save groups")


class NewStarterRuleForm(FlaskForm):
    course_id = SelectField("Course", coerce=optional_int, validate_choice=False,
                            validators=[InputRequired("Choose a course.")])
    group_id = SelectField("Who", coerce=optional_int, validate_choice=False)
    due_in_days = IntegerField("Due this many days after joining", default=30,
                               validators=[InputRequired("Enter a number of days."), NumberRange(1, 1098)])
    submit = SubmitField("Save rule")


class DomainForm(FlaskForm):
    domain = StringField("Email domain", description="For example school.sch.uk",
                         validators=[DataRequired("Enter a domain."), Length(max=253)])
    submit = SubmitField("Add domain")


class DomainSignupForm(PrefixedForm):
    """Shares the settings page with DomainForm: prefixed, so its csrf_token and submit ids are its own."""

    form_prefix = "signup"
    allow = BooleanField("Let people who register with an address on these domains join automatically")
    submit = SubmitField("Save")


class AcceptInvitationForm(FlaskForm):
    display_name = certificate_name_field()
    password, confirm = new_password_fields()
    submit = SubmitField("Create my account")

