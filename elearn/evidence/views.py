"""Evidence of learning: learners' knowledge check, confidence and evaluation; managers' learning gain;
admins' question statistics and course feedback. Three blueprints, one per audience."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from elearn import downloads
from elearn.access import Area, enter_area
from elearn.errors import InvalidInput
from elearn.evidence import feedback, forms, gain, service, statistics
from elearn.extensions import db
from elearn.forms import ButtonForm, require_button
from elearn.learning import service as learning
from elearn.manage import access
from elearn.manage.access import managed_organisation

bp = Blueprint("evidence", __name__, template_folder="templates")
manage_bp = Blueprint("evidence_manage", __name__, url_prefix="/manage/learning-gain", template_folder="templates")
admin_bp = Blueprint("evidence_admin", __name__, url_prefix="/admin", template_folder="templates")


# --- learners --------------------------------------------------------------------------------


@bp.get("/courses/<slug>/before")
@login_required
def before(slug: str) -> ResponseReturnValue:
    status = service.get_status(learning.get_published_course(slug), actor=current_user)
    return render_template("evidence/before.html", status=status, course=status.enrolment.course,
                           form=ButtonForm())


@bp.post("/courses/<slug>/knowledge-check")
@login_required
def start_precheck(slug: str) -> ResponseReturnValue:
    require_button()
    enrolment = learning.get_enrolment(learning.get_published_course(slug), actor=current_user)
    attempt = service.start_precheck(enrolment, actor=current_user)
    return redirect(url_for("assessment.resume", attempt_id=attempt.id))


@bp.route("/courses/<slug>/confidence/<stage>", methods=["GET", "POST"])
@login_required
def confidence(slug: str, stage: str) -> ResponseReturnValue:
    if stage not in service.STAGES:
        abort(404)
    enrolment = learning.get_enrolment(learning.get_published_course(slug), actor=current_user)
    outcomes = service.list_outcome_confidence(enrolment, actor=current_user)
    form, error = ButtonForm(), None
    if form.validate_on_submit():
        try:
            service.record_confidence(enrolment, stage, forms.parse_ratings(request.form, [o.key for o in outcomes]),
                                      actor=current_user)
        except InvalidInput as problem:
            db.session.rollback()
            error = problem.message
        else:
            flash("Thank you: your confidence ratings are saved.", "success")
            return redirect(_after_rating(slug, stage))
    return render_template("evidence/confidence.html", course=enrolment.course, enrolment=enrolment, stage=stage,
                           outcomes=outcomes, form=form, error=error), 400 if error else 200


def _after_rating(slug: str, stage: str) -> str:
    if stage == service.BEFORE:
        return url_for("evidence.before", slug=slug)
    return url_for("evidence.evaluation", slug=slug)


@bp.route("/courses/<slug>/evaluation", methods=["GET", "POST"])
@login_required
def evaluation(slug: str) -> ResponseReturnValue:
    status = service.get_status(learning.get_published_course(slug), actor=current_user)
    form = forms.EvaluationForm()
    if form.validate_on_submit():
        try:
            service.submit_evaluation(status.enrolment, int(form.relevance.data), int(form.clarity.data),
                                      form.comment.data or "", actor=current_user)
        except InvalidInput as problem:
            db.session.rollback()
            getattr(form, problem.field).errors = [problem.message]
        else:
            flash("Thank you for your feedback.", "success")
            return redirect(url_for("catalog.course", slug=slug))
    return render_template("evidence/evaluation.html", status=status, course=status.enrolment.course,
                           form=form), 422 if form.errors else 200


# --- managers --------------------------------------------------------------------------------

access.guard(manage_bp)  # the manage pages' rule: managers and admins, one organisation


@manage_bp.get("")
def gain_courses() -> ResponseReturnValue:
    return render_template("evidence/gain_courses.html", rows=gain.list_courses(managed_organisation()))


@manage_bp.get("/<int:course_id>")
def gain_course(course_id: int) -> ResponseReturnValue:
    course = learning.get_published_course_by_id(course_id)
    return render_template("evidence/gain_course.html", gain=gain.course_gain(managed_organisation(), course))


@manage_bp.get("/<int:course_id>.csv")
def gain_course_csv(course_id: int) -> ResponseReturnValue:
    result = gain.course_gain(managed_organisation(), learning.get_published_course_by_id(course_id))
    return downloads.send(gain.gain_csv(result))


# --- admins ----------------------------------------------------------------------------------


@admin_bp.before_request
def admins_only() -> ResponseReturnValue | None:
    """Every route here: anonymous → login, anyone but an admin → 403."""
    return enter_area(Area.ADMIN)


@admin_bp.get("/question-statistics")
def statistics_index() -> ResponseReturnValue:
    return render_template("evidence/statistics_index.html", rows=statistics.list_versions(actor=current_user))


@admin_bp.get("/question-statistics/<int:version_id>")
def statistics_version(version_id: int) -> ResponseReturnValue:
    version = statistics.get_version(version_id, actor=current_user)
    first_only = request.args.get("attempts") == "first"
    return render_template("evidence/statistics.html", thresholds=statistics,
                           stats=statistics.version_statistics(version, actor=current_user, first_only=first_only))


@admin_bp.get("/course-feedback")
def feedback_index() -> ResponseReturnValue:
    return render_template("evidence/feedback_index.html", rows=feedback.list_summaries(actor=current_user))


@admin_bp.get("/course-feedback/<int:course_id>")
def feedback_course(course_id: int) -> ResponseReturnValue:
    page = feedback.get_page(course_id, request.args.get("page", 1, type=int) or 1, actor=current_user)
    return render_template("evidence/feedback.html", page=page)
