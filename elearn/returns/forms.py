"""Forms for the DSL's review and sign-off: they check shape only; the service checks the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

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
