"""Forms for the DSL's review and sign-off: they check shape only; the service checks the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from elearn.returns.measures import LABELS, MEASURE_KEYS
from elearn.returns.service import COMMENT_MAX


class CommentsForm(FlaskForm):
    """A comment on each measure (optional): what the school is doing about it, context for the figure."""

    submit = SubmitField("Review and sign")

    def comments(self) -> dict[str, str]:
        return {key: self[f"comment_{key}"].data or "" for key in MEASURE_KEYS}


for _key in MEASURE_KEYS:
    setattr(CommentsForm, f"comment_{_key}", TextAreaField(
        f"Comment on: {LABELS[_key]}", validators=[Optional(), Length(max=COMMENT_MAX)],
        description=f"Optional; at most {COMMENT_MAX} characters"))


class SignForm(CommentsForm):
    """The confirm page's form: the comments as reviewed, and the digest of the figures the signer saw."""

    reviewed = HiddenField(validators=[InputRequired(), Length(min=64, max=64)])
    submit = SubmitField("Sign off")


class DescriptorsForm(FlaskForm):
    """Each measure's green and amber thresholds (per cent); both empty: the next level's (or the default) applies."""

    submit = SubmitField("Save the descriptors")

    def chosen(self) -> dict[str, tuple[int, int] | None]:
        values: dict[str, tuple[int, int] | None] = {}
        for key in MEASURE_KEYS:
            green, amber = self[f"green_{key}"].data, self[f"amber_{key}"].data
            values[key] = None if green is None and amber is None else (green, amber)
        return values

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        valid = super().validate(extra_validators)
        for key in MEASURE_KEYS:
            green, amber = self[f"green_{key}"], self[f"amber_{key}"]
            if (green.data is None) != (amber.data is None) and not green.errors and not amber.errors:
                missing = green if green.data is None else amber
                missing.errors = [*missing.errors, "Enter both percentages, or leave both empty."]
                valid = False
        return valid


for _key in MEASURE_KEYS:
    setattr(DescriptorsForm, f"green_{_key}", IntegerField(
        "Green from (%)", validators=[Optional(), NumberRange(0, 100, "Enter a percentage from 0 to 100.")]))
    setattr(DescriptorsForm, f"amber_{_key}", IntegerField(
        "Amber from (%)", validators=[Optional(), NumberRange(0, 100, "Enter a percentage from 0 to 100.")]))
