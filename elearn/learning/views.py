"""Start a course, read its lessons, mark them complete, and see my learning."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from elearn.certificates import service as certificates
from elearn.clock import london_today
from elearn.compliance.learners import my_training
from elearn.contacts.service import ROLE_LABELS, contacts_for
from elearn.evidence import service as evidence
from elearn.forms import ButtonForm, require_button
from elearn.learning import service
from elearn.returns.measures import AcademicYear
from elearn.signoffs import service as signoffs
from elearn.updates import service as updates

bp = Blueprint("learning", __name__, template_folder="templates")


@bp.get("/my-learning")
@login_required
def dashboard() -> ResponseReturnValue:
    entries = service.list_my_learning(actor=current_user)
    held = updates.held_certificates(current_user)  # one read of the certificates for both panels
    mine = my_training(current_user)
    return render_template("learning/dashboard.html", entries=entries,
                           assignments=mine.assignments, dsl_of=mine.dsl_of,
                           audit_year=AcademicYear.containing(london_today()),
                           refresher_offers=certificates.refreshers_due_for(
                               [entry.progress.enrolment for entry in entries if entry.progress.enrolment],
                               actor=current_user, held=held.certificates),
                           update_offers=updates.list_update_offers(current_user, held),
                           signoffs=signoffs.list_my_signoffs(current_user))


@bp.post("/courses/<slug>/start")
@login_required
def start(slug: str) -> ResponseReturnValue:
    require_button()
    enrolment = service.enrol(service.get_published_course(slug), actor=current_user)
    return redirect(url_for("learning.lesson", slug=slug, position=service.resume_lesson(enrolment).position))


@bp.get("/courses/<slug>/continue")
@login_required
def resume(slug: str) -> ResponseReturnValue:
    _course, enrolment = service.get_course_and_enrolment(slug, actor=current_user)
    return redirect(url_for("learning.lesson", slug=slug, position=service.resume_lesson(enrolment).position))


def _lesson_page(page: service.LessonPage, refusal: str | None = None) -> str:
    """The lesson page; `refusal` says why "Mark complete" was refused."""
    lessons, current = page.outline.lessons, page.lesson
    return render_template(
        "learning/lesson.html", course=page.course, enrolment=page.enrolment, lesson=current,
        lessons=lessons, done=page.done, progress=page.progress, form=ButtonForm(), refusal=refusal,
        # The first lesson offers the knowledge check while it is open.
        offers_precheck=current.position == 1 and evidence.offers_precheck(page.enrolment, actor=current_user),
        # The final lesson shows the learner's own organisation's safeguarding contacts.
        safeguarding_contacts=contacts_for(current_user) if current.position == len(lessons) else [],
        contact_role_labels=ROLE_LABELS,
    )


@bp.get("/courses/<slug>/lessons/<int:position>")
@login_required
def lesson(slug: str, position: int) -> ResponseReturnValue:
    page = service.get_lesson_page(slug, position, actor=current_user)
    html = _lesson_page(page)
    # The visit is recorded once the page is composed: its commit expires every row the page reads.
    service.open_lesson(page.enrolment, page.lesson, actor=current_user, rows=page.rows)
    return html


@bp.post("/courses/<slug>/lessons/<int:position>/complete")
@login_required
def complete_lesson(slug: str, position: int) -> ResponseReturnValue:
    require_button()
    _course, enrolment = service.get_course_and_enrolment(slug, actor=current_user)
    current = service.get_lesson(enrolment, position)
    try:
        following = service.record_lesson_complete(enrolment, current, actor=current_user)
    except service.CompletionRefused as refusal:
        page = service.get_lesson_page(slug, position, actor=current_user)
        html = _lesson_page(page, refusal=refusal.message)
        # The lesson is on screen again: a visit.
        service.open_lesson(page.enrolment, page.lesson, actor=current_user, rows=page.rows)
        return html, 422
    if following is not None:
        return redirect(url_for("learning.lesson", slug=slug, position=following.position))
    return redirect(url_for("catalog.course", slug=slug, _anchor="next-step"))
