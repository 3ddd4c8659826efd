"""Forms of the tier above the setting: they check shape only; elearn/network/service.py checks the rules."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from elearn.forms import PrefixedForm, optional_int
from elearn.models import Duty, MemberKind
from elearn.text_rules import PERSON_NAME_MAX
from elearn.wording import DUTY_LABELS, MEMBER_KIND_LABELS

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
