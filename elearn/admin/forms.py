"""Admin forms: they check shape only; the service checks the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, Form, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from elearn.forms import PrefixedForm
from elearn.models import OrganisationKind, Phase, Role
from elearn.text_rules import EMAIL_MAX, ORGANISATION_NAME_MAX
from elearn.wording import PHASE_LABELS


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the organisation's name."),
                                           Length(max=ORGANISATION_NAME_MAX,
                                                  message=f"Use at most {ORGANISATION_NAME_MAX} characters.")])
    retention_months = IntegerField(
        "Keep leavers' accounts for (months)",
        description="After an account is deactivated, its personal data is removed this many months later.",
        default=24,
        validators=[InputRequired("Enter a number of months."),
                    NumberRange(1, 240, "Enter a number of months from 1 to 240.")],
    )
    kind = SelectField("Kind", choices=[
        SelectChoice(OrganisationKind.SETTING.value, "School or setting"),
        SelectChoice(OrganisationKind.TRUST.value, "Trust (owns its schools and employs their staff)"),
        SelectChoice(OrganisationKind.PARTNERSHIP.value, "Safeguarding partnership (sees members' totals only)")],
        default=OrganisationKind.SETTING.value)
    trust_id = SelectField("Trust", description="For a school or setting only: the trust that owns it.",
                           coerce=int, choices=[], default=0)
    phase = SelectField("Phase", description="For a school or setting: how a partnership groups its totals.",
                        choices=[SelectChoice("", "Not set"), *(SelectChoice(p.value, PHASE_LABELS[p.value]) for p in Phase)],
                        default="")
    is_independent = BooleanField(
        "Independent school", description="Independent schools return a Section 157 audit, others a Section 175 one.")
    keep_certificate_names = BooleanField(
        "Certificates keep the learner's name after their account is deleted",
        description="On: employers and inspectors can still check the certificate with its name. "
                    "Off: the name is replaced with “Name removed at the learner's request”.",
        default=True,
    )
    submit = SubmitField("Save")


class UserSearchForm(Form):
    """Sent by GET: it changes nothing, so it needs no CSRF token."""

    q = StringField("Name or email contains", validators=[Optional(), Length(max=200)])


class RoleForm(PrefixedForm):
    form_prefix = "role"  # shares the person's page with MoveForm
    role = SelectField("Role", choices=[SelectChoice(Role.LEARNER.value, "Learner"),
                                        SelectChoice(Role.MANAGER.value, "Manager"),
                                        SelectChoice(Role.ADMIN.value, "Administrator")])
    submit = SubmitField("Change role")


class MoveForm(PrefixedForm):
    form_prefix = "move"
    organisation_id = SelectField("Organisation", coerce=int, choices=[])
    submit = SubmitField("Move")


class AuditFilterForm(Form):
    """Sent by GET: it changes nothing, so it needs no CSRF token."""

    action = StringField("Action starts with", description="For example login. or role.changed",
                         validators=[Optional(), Length(max=60)])
    person = StringField("Actor's or subject's email contains", validators=[Optional(), Length(max=EMAIL_MAX)])
    organisation = SelectField("Organisation", coerce=int, choices=[SelectChoice(0, "All organisations")],  # type: ignore[arg-type]
                               default=0)
    date_from = DateField("From (date)", validators=[Optional()])
    date_to = DateField("To (date, inclusive)", validators=[Optional()])


def organisation_choices(pairs: list[tuple[int, str]], none_label: str) -> list[SelectChoice]:
    """Select options for organisations, with 0 standing for none (or all)."""
    return [SelectChoice(0, none_label), *(SelectChoice(org_id, name) for org_id, name in pairs)]  # type: ignore[arg-type]
