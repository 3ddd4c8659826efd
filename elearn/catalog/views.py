"""The course catalogue and course pages: public, with the learner's status when logged in."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from elearn.catalog import service
from elearn.evidence import service as evidence
from elearn.updates import service as updates

bp = Blueprint("catalog", __name__, template_folder="templates")


def _actor():  # type: ignore[no-untyped-def]
    return current_user if current_user.is_authenticated else None


@bp.get("/")
@bp.get("/courses")
def index() -> ResponseReturnValue:
    return render_template("catalog/index.html", entries=service.list_published_courses(_actor()))


@bp.get("/courses/<slug>")
def course(slug: str) -> ResponseReturnValue:
    overview = service.get_course_overview(slug, _actor())
    # The knowledge check, confidence rating or evaluation the learner is invited to on this course, if enrolled.
    enrolment = overview.progress.enrolment
    status = evidence.course_nudge(enrolment, actor=current_user) if enrolment is not None else None
    # The short "what changed" update, for a holder of an earlier version's certificate.
    update = updates.find_update(overview.course, actor=current_user) if current_user.is_authenticated else None
    return render_template("catalog/course.html", overview=overview, evidence=status, update=update)
