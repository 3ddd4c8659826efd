"""Forms for the confidence ratings and the course evaluation: shape only; the service checks the rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length

from elearn.text_rules import EVALUATION_COMMENT_MAX

SCALE = [SelectChoice(str(n), str(n)) for n in range(1, 6)]
CHOOSE_1_TO_5 = "Choose a number from 1 to 5."
# validate_choice=False: AnyOf refuses anything else with the same plain message as a missing answer.
ONE_TO_FIVE = [InputRequired(CHOOSE_1_TO_5), AnyOf([str(n) for n in range(1, 6)], message=CHOOSE_1_TO_5)]


class EvaluationForm(FlaskForm):
    relevance = RadioField("How relevant was this course to your work?", choices=SCALE, validate_choice=False,
                           validators=ONE_TO_FIVE,
                           description="1 = not relevant, 5 = highly relevant")
    clarity = RadioField("How clear was the course?", choices=SCALE, validate_choice=False,
                         validators=ONE_TO_FIVE,
                         description="1 = hard to follow, 5 = very clear")
    comment = TextAreaField("What will you do differently after this course? (optional)",
                            validators=[Length(max=EVALUATION_COMMENT_MAX, message=f"Write at most {EVALUATION_COMMENT_MAX} characters.")],
                            description=f"Up to {EVALUATION_COMMENT_MAX} characters. Admins read these answers; "
                                        "please do not name children, colleagues or families.")


def parse_ratings(form: Mapping[str, str], keys: Iterable[str]) -> dict[str, int]:
    """The ratings posted as `rating-<outcome>`; blanks skipped, anything else passed on for the service to refuse."""
    ratings = {}
    for key in keys:
        raw = (form.get(f"rating-{key}") or "").strip()
        if raw:
            ratings[key] = int(raw) if raw.isdigit() and len(raw) < 3 else 0
    return ratings
