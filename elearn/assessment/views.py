"""The assessment: overview, start, answer (one question per page or all on one), confirm, submit, result."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from elearn.assessment import attempts, forms, review, service
from elearn.errors import InvalidInput
from elearn.evidence import service as evidence
from elearn.extensions import db
from elearn.forms import ButtonForm, require_button
from elearn.learning import service as learning
from elearn.models import Attempt

bp = Blueprint("assessment", __name__, template_folder="templates")


@bp.errorhandler(service.AttemptAlreadySubmitted)
def already_submitted(error: service.AttemptAlreadySubmitted) -> ResponseReturnValue:
    # A double click, a replayed POST or a second tab: show the one result rather than an error.
    db.session.rollback()
    flash("This attempt has already been submitted. Here is its result.", "info")
    return redirect(url_for("assessment.result", attempt_id=error.attempt_id))


@bp.errorhandler(review.AttemptStillOpen)
def still_open(error: review.AttemptStillOpen) -> ResponseReturnValue:
    db.session.rollback()
    flash("Submit this attempt to see its result.", "info")
    return redirect(url_for("assessment.confirm", attempt_id=error.attempt_id))


@bp.get("/courses/<slug>/assessment")
@login_required
def overview(slug: str) -> ResponseReturnValue:
    summary = attempts.get_overview(learning.get_published_course(slug), actor=current_user)
    return render_template("assessment/overview.html", overview=summary, form=ButtonForm())


@bp.post("/courses/<slug>/assessment/start")
@login_required
def start(slug: str) -> ResponseReturnValue:
    require_button()
    enrolment = learning.get_enrolment(learning.get_published_course(slug), actor=current_user)
    attempt = service.start_attempt(enrolment, actor=current_user)
    if request.form.get("layout") == "all":
        return redirect(url_for("assessment.all_questions", attempt_id=attempt.id))
    return redirect(url_for("assessment.resume", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def resume(attempt_id: int) -> ResponseReturnValue:
    attempt = attempts.get_open_attempt(attempt_id, actor=current_user)
    return redirect(_url_for_destination(attempt, attempts.resume_position(attempt) or "confirm"))


@bp.route("/attempts/<int:attempt_id>/questions/<int:position>", methods=["GET", "POST"])
@login_required
def question(attempt_id: int, position: int) -> ResponseReturnValue:
    attempt = attempts.get_open_attempt(attempt_id, actor=current_user)
    page = attempts.get_attempt_page(attempt)
    page.question(position)  # NotFound for a position the attempt does not have, before anything is saved
    if request.method == "GET":
        return _render_question(attempt, page, position, None)
    error = _save(attempt, [position])
    if error is not None:
        return _render_question(attempt, page, position, error), 400
    go = forms.next_destination(request.form.get("go"), position, attempts.question_count(attempt))
    return redirect(_url_for_destination(attempt, go))


@bp.route("/attempts/<int:attempt_id>/all", methods=["GET", "POST"])
@login_required
def all_questions(attempt_id: int) -> ResponseReturnValue:
    attempt = attempts.get_open_attempt(attempt_id, actor=current_user)
    if request.method == "GET":
        return _render_all(attempt, None)
    error = _save(attempt, list(range(1, attempts.question_count(attempt) + 1)))
    if error is not None:
        return _render_all(attempt, error), 400
    return redirect(_url_for_destination(attempt, "all" if request.form.get("go") == "stay" else "confirm"))


@bp.get("/attempts/<int:attempt_id>/confirm")
@login_required
def confirm(attempt_id: int) -> ResponseReturnValue:
    attempt = attempts.get_open_attempt(attempt_id, actor=current_user)
    page = attempts.get_attempt_page(attempt)
    return render_template("assessment/confirm.html", attempt=attempt, count=page.count,
                           unanswered=page.unanswered, form=ButtonForm())


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int) -> ResponseReturnValue:
    require_button()
    # Only the saved answers are marked: nothing else in this POST (score, passed …) is read.
    attempt = service.submit_attempt(attempts.get_own_attempt(attempt_id, actor=current_user), actor=current_user)
    return redirect(url_for("assessment.result", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int) -> ResponseReturnValue:
    reviewed = review.get_review(attempts.get_own_attempt(attempt_id, actor=current_user), actor=current_user)
    return render_template("assessment/result.html", review=reviewed, course=reviewed.attempt.enrolment.course,
                           gain=evidence.get_learner_gain(reviewed.attempt, actor=current_user))


def _save(attempt: Attempt, positions: list[int]) -> InvalidInput | None:
    """Save the posted answers for the questions on the page; a tampered form comes back as the error."""
    try:
        service.save_answers(attempt, forms.parse_answer_sheet(request.form, positions), actor=current_user)
    except InvalidInput as error:
        db.session.rollback()
        return error
    return None


def _render_question(attempt: Attempt, page: attempts.AttemptPage, position: int, error: InvalidInput | None) -> str:
    return render_template("assessment/question.html", attempt=attempt, question=page.question(position),
                           error=error, count=page.count, unanswered=page.unanswered)


def _render_all(attempt: Attempt, error: InvalidInput | None) -> str:
    return render_template("assessment/all.html", attempt=attempt, questions=attempts.list_shown_questions(attempt),
                           error=error)


def _url_for_destination(attempt: Attempt, destination: forms.Destination) -> str:
    if destination == "confirm":
        return url_for("assessment.confirm", attempt_id=attempt.id)
    if destination == "all":
        return url_for("assessment.all_questions", attempt_id=attempt.id)
    return url_for("assessment.question", attempt_id=attempt.id, position=destination)
