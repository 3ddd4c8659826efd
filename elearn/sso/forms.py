"""The single sign-on settings forms; shape only (the service checks the tenant and who may change it)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

AUTO_JOIN = "Staff who sign in this way without an account join the organisation automatically (with its new-starter courses)"
REQUIRE_SSO = "Staff of the organisation must sign in this way (password sign-in is refused for them)"


class ConnectionForm(FlaskForm):
    provider = RadioField("Provider", choices=[SelectChoice("microsoft", "Microsoft Entra ID (Microsoft 365)"),
                                                SelectChoice("google", "Google Workspace")],
                          validators=[InputRequired("Choose Microsoft or Google.")])
    tenant = StringField("Entra tenant ID or Workspace domain",
                         description="Microsoft: the tenant ID (a GUID) from the Entra admin centre's overview. "
                                     "Google: your Workspace's primary domain, like school.sch.uk.",
                         validators=[DataRequired("Enter the tenant ID or the domain."), Length(max=253)])
    auto_join = BooleanField(AUTO_JOIN)
    require_sso = BooleanField(REQUIRE_SSO)
    submit = SubmitField("Connect")


class ConnectionOptionsForm(FlaskForm):
    auto_join = BooleanField(AUTO_JOIN)
    require_sso = BooleanField(REQUIRE_SSO)
    submit = SubmitField("Save")
