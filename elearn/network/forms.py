"""Forms of the tier above the setting: they check shape only; elearn/network/service.py checks the rules."""

from __future__ import annotations

from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from elearn.forms import PrefixedForm, optional_int
from elearn.models import DueMode, Duty, MemberKind, RequirementItem, SignoffKind
from elearn.network.requirements import ROLES
from elearn.text_rules import PERSON_NAME_MAX, TRAINING_TITLE_MAX
from elearn.wording import DUTY_LABELS, MEMBER_KIND_LABELS, ROLE_LABELS

KIND_CHOICES = [SelectChoice(k.value, MEMBER_KIND_LABELS[k.value]) for k in MemberKind]
DUTY_CHOICES = [SelectChoice(d.value, DUTY_LABELS[d.value]) for d in Duty]


class JoinPartnershipForm(PrefixedForm):
    form_prefix = "join"
    partnership_id = SelectField("Partnership", coerce=optional_int, choices=[])
    consent_given_by = StringField(
        "Consent given by", description="The head teacher or chair of governors who agreed to share the setting's "
        "training totals (never names) with the partnership.",
        validators=[DataRequired("Enter who gave consent."),
                    Length(max=PERSON_NAME_MAX, message=f"Use at most {PERSON_NAME_MAX} characters.")])
    consent_given_on = DateField("Consent given on", validators=[InputRequired("Enter the date consent was given.")])
    submit = SubmitField("Join the partnership")


class KindForm(PrefixedForm):
    form_prefix = "kind"
    kind = SelectField("Kind of member here", choices=KIND_CHOICES)
    submit = SubmitField("Save kind")


class DutyForm(PrefixedForm):
    form_prefix = "duty"
    duty = SelectField("Duty", choices=DUTY_CHOICES)
    since = DateField("Since", validators=[InputRequired("Enter the date they took it on.")])
    submit = SubmitField("Add duty")


class PlacementForm(PrefixedForm):
    form_prefix = "place"
    setting_id = SelectField("Setting", coerce=optional_int, choices=[])
    kind = SelectField("Works there as", choices=KIND_CHOICES, default=MemberKind.PERIPATETIC.value)
    started_on = DateField("From", validators=[InputRequired("Enter the date they start there.")])
    submit = SubmitField("Place at this setting")


class RequirementForm(PrefixedForm):
    """One requirement added to a role's set; the fields that do not apply to the chosen item are ignored."""

    form_prefix = "req"
    role = SelectField("Role", choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])
    item = SelectField("What they need", choices=[
        SelectChoice(RequirementItem.COURSE.value, "An online course"),
        SelectChoice(RequirementItem.SESSION.value, "A face-to-face session"),
        SelectChoice(RequirementItem.DOCUMENT.value, "To read and confirm a document")])
    course_id = SelectField("Course (for an online course)", coerce=optional_int, choices=[], validate_choice=False)
    session_topic = StringField("Session topic (for a face-to-face session)",
                                validators=[Length(max=TRAINING_TITLE_MAX,
                                                   message=f"Use at most {TRAINING_TITLE_MAX} characters.")])
    document_kind = SelectField("Document (to read and confirm)", choices=[
        SelectChoice(SignoffKind.KCSIE.value, "Keeping children safe in education, Part one"),
        SelectChoice(SignoffKind.POLICY.value, "Our child protection policy")])
    every_months = SelectField("How often", coerce=optional_int, choices=[
        SelectChoice(12, "Every year"), SelectChoice(24, "Every two years"),  # type: ignore[arg-type]
        SelectChoice(36, "Every three years")], default=12, validate_choice=False)  # type: ignore[arg-type]
    due_mode = SelectField("Renewal falls due", choices=[
        SelectChoice(DueMode.ROLLING.value, "That long after the last time"),
        SelectChoice(DueMode.ACADEMIC_YEAR.value, "By the start of the academic year (1 September)")])
    induction_days = IntegerField("Days a new starter has to do it first", default=28,
                                  validators=[InputRequired("Enter a number of days."),
                                              NumberRange(0, 365, "Enter a number of days from 0 to 365.")])
    submit = SubmitField("Add requirement")


class RoleForm(PrefixedForm):
    form_prefix = "role"
    role = SelectField("Role", choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])
