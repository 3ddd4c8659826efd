"""Compliance pages: the dashboard, the training matrix and its exports, a learner's record, assignments.

Every route is for managers and admins only, on one organisation at a time (elearn/manage/access.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from elearn import downloads
from elearn.access import MemberAction, get_member
from elearn.assessment import allowances
from elearn.catalog.service import course_titles
from elearn.clock import london_today
from elearn.compliance import assignments, chasing, exports, learners, matrix_args, reminders, removals, reports
from elearn.compliance.compliance import LABELS
from elearn.compliance.forms import AssignForm, AssignOneForm, CertificateSelectionForm, ChaseForm, ReminderScheduleForm
from elearn.compliance.matrix import count_matching, sessions_read, training_matrix
from elearn.errors import InvalidInput
from elearn.forms import FORM_EXPIRED, ButtonForm, require_button
from elearn.jobs import exports as export_jobs
from elearn.manage import access
from elearn.manage.access import managed_organisation
from elearn.people import service as people
from elearn.signoffs import grid as signoff_grid
from elearn.training import sessions as training_sessions
from elearn.undo import offer_undo
from elearn.wording import plural

bp = Blueprint("compliance", __name__, url_prefix="/manage", template_folder="templates")
access.guard(bp)


@bp.context_processor
def compliance_context() -> dict[str, Any]:
    return {"status_labels": LABELS}


def _course_choices() -> list[SelectChoice]:
    return [SelectChoice("", "Choose a course"), *(SelectChoice(cid, title) for cid, title in course_titles().items())]


# --- reports -------------------------------------------------------------------------------


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    return render_template("compliance/dashboard.html", dashboard=reports.compliance_dashboard(managed_organisation()))


@bp.get("/matrix")
def matrix() -> ResponseReturnValue:
    form, query = matrix_args.read_matrix_filters(managed_organisation(), request.args)
    matrix = training_matrix(managed_organisation(), query)
    matrix_args.offer_topics(form, matrix.topics)
    people = [r.user.id for r in matrix.rows]
    return render_template("compliance/matrix.html", form=form, matrix=matrix, selection_form=CertificateSelectionForm(),
                           session_grid=matrix.sessions,
                           signoff_grid=signoff_grid.signoff_grid(managed_organisation(), people))


@bp.get("/people/<int:user_id>")
def learner(user_id: int) -> ResponseReturnValue:
    member = get_member(user_id, MemberAction.VIEW, actor=current_user, organisation=managed_organisation())
    assign_form = AssignOneForm()
    assign_form.course_id.choices = _course_choices()
    return render_template("compliance/learner.html", record=learners.learner_record(member, managed_organisation()),
                           assign_form=assign_form, groups=people.list_groups(managed_organisation()),
                           attended=training_sessions.list_attended(managed_organisation(), member.id, actor=current_user))


@bp.get("/quick-completions")
def quick_completions() -> ResponseReturnValue:
    return render_template("compliance/quick_completions.html",
                           completions=learners.list_quick_completions_in(managed_organisation()))


@bp.get("/people/<int:user_id>/attempts/<int:attempt_id>")
def learner_attempt(user_id: int, attempt_id: int) -> ResponseReturnValue:
    attempt = learners.get_member_attempt(managed_organisation(), user_id, attempt_id, actor=current_user)
    return render_template("compliance/attempt.html", attempt=attempt, member=attempt.user)


@bp.post("/people/<int:user_id>/enrolments/<int:enrolment_id>/allow-attempt")
def allow_attempt(user_id: int, enrolment_id: int) -> ResponseReturnValue:
    """Lift the course's daily attempt limit for this learner: one more attempt, now (audited)."""
    require_button()
    allowances.grant_attempt(managed_organisation(), user_id, enrolment_id, actor=current_user)
    flash("One more attempt allowed. The learner can start it now.", "success")
    return redirect(url_for("compliance.learner", user_id=user_id, _anchor="enrolments"))


# --- assignments ---------------------------------------------------------------------------


@bp.post("/people/<int:user_id>/assign")
def assign_learner(user_id: int) -> ResponseReturnValue:
    member = get_member(user_id, MemberAction.MANAGE, actor=current_user, organisation=managed_organisation())
    form = AssignOneForm()
    if not form.validate_on_submit():
        abort(400, "Choose a course and a due date.")
    result = assignments.assign_course(managed_organisation(), form.course_id.data, form.due_on.data, user_id=member.id,
                                       actor=current_user)
    flash("Course assigned." if result.created else "This course was already assigned.", "success")
    return redirect(url_for("compliance.learner", user_id=member.id))


@bp.route("/assignments", methods=["GET", "POST"])
def assign() -> ResponseReturnValue:
    form = AssignForm()
    form.course_id.choices = _course_choices()
    form.group_id.choices = [SelectChoice("", "Choose a group"),
                             *(SelectChoice(group.id, group.name) for group in people.list_groups(managed_organisation()))]
    if form.validate_on_submit():
        try:
            result = assignments.assign_course(managed_organisation(), form.course_id.data, form.due_on.data, actor=current_user,
                                               group_id=form.group_id.data if form.audience.data == "group" else None,
                                               joiner_due_in_days=form.due_in_days.data)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash(f"Assigned to {plural(result.created, 'person', 'people')}; {plural(result.already, 'person', 'people')} "
                  "already had it. Whoever joins later gets it too.", "success")
            return redirect(url_for("compliance.assign"))
    return render_template("compliance/assignments.html", form=form), 422 if form.errors else 200


@bp.get("/assignments/<int:assignment_id>/remove")
def confirm_remove_assignment(assignment_id: int) -> ResponseReturnValue:
    assignment = assignments.get_assignment(managed_organisation(), assignment_id)
    person, title = assignment.user.display_name, course_titles().get(assignment.course_id, "this course")
    return render_template("confirm.html", heading=f"Remove {title} from {person}'s courses?",
                           details=[f"{person} will no longer be required to complete {title}.",
                                    "Their progress and any certificates are kept."],
                           action=url_for("compliance.remove_assignment", assignment_id=assignment.id),
                           button="Remove the assignment", back=url_for("compliance.learner", user_id=assignment.user_id))


@bp.post("/assignments/<int:assignment_id>/remove")
def remove_assignment(assignment_id: int) -> ResponseReturnValue:
    require_button()
    user_id = assignments.get_assignment(managed_organisation(), assignment_id).user_id
    token = removals.remove_assignment(managed_organisation(), assignment_id, actor=current_user)
    offer_undo("Assignment removed.", url_for("compliance.undo_remove_assignment"), token)
    return redirect(url_for("compliance.learner", user_id=user_id))


@bp.post("/assignments/undo-remove")
def undo_remove_assignment() -> ResponseReturnValue:
    require_button()
    assignment = removals.restore_assignment(managed_organisation(), request.form.get("token", ""), actor=current_user)
    flash("Assignment restored, with its due date.", "success")
    return redirect(url_for("compliance.learner", user_id=assignment.user_id))


# --- exports -------------------------------------------------------------------------------
# Small CSVs stream straight away; the inspection PDF, certificate ZIPs and large CSVs are made by a job
# (elearn/jobs/exports.py): the manager confirms, then follows its progress and downloads it when ready.


def _filters() -> tuple[dict[str, Any], Any]:
    _, query = matrix_args.read_matrix_filters(managed_organisation(), request.args)
    filters = {key: request.args.get(key) for key in ("q", "group", "kind", "course", "status") if request.args.get(key)}
    return filters, query


def _start(kind: str, query: Any, user_ids: list[int] | None = None) -> ResponseReturnValue:
    try:
        export = export_jobs.start_export(managed_organisation(), kind, actor=current_user, query=query,
                                          user_ids=user_ids)
    except export_jobs.TooManyExports as error:
        abort(429, error.message)
    return redirect(url_for("compliance.export_status", export_id=export.id))


@bp.route("/matrix/export.csv", methods=["GET", "POST"])
def export_csv() -> ResponseReturnValue:
    """GET: the CSV streamed, or, beyond the size a request should make, a page offering a job; POST: the job."""
    filters, query = _filters()
    if request.method == "POST":
        require_button()
        return _start("csv", query)
    sessions = sessions_read(managed_organisation(), query, london_today())  # read once for the count and the rows
    people = count_matching(managed_organisation(), query, sessions=sessions)
    if people > exports.csv_job_threshold():
        return render_template("compliance/export_start.html", kind="csv", count=people, filters=filters,
                               button=ButtonForm())
    return downloads.send(exports.export_matrix_csv(managed_organisation(), query, actor=current_user,
                                                    sessions=sessions))


@bp.route("/training-record.pdf", methods=["GET", "POST"])
def export_pdf() -> ResponseReturnValue:
    filters, query = _filters()
    if request.method == "POST":
        require_button()
        return _start("pdf", query)
    return render_template("compliance/export_start.html", kind="pdf", filters=filters, button=ButtonForm(),
                           count=count_matching(managed_organisation(), query))


@bp.route("/certificates.zip", methods=["GET", "POST"])
def export_zip() -> ResponseReturnValue:
    """GET: how many certificates the filters select (or why there are none), with a button; POST: the job, for
    the filters or (selection=ticked) for the people ticked on the matrix."""
    filters, query = _filters()
    form = CertificateSelectionForm()
    ticked = request.form.get("selection") == "ticked"
    try:
        if request.method == "POST":
            if not form.validate_on_submit():
                abort(400, "The form had expired. Please try again.")
            return _start("zip", query, form.user_ids.data if ticked else None)
        count = len(exports.certificates_to_export(managed_organisation(), actor=current_user, query=query))
    except InvalidInput as error:
        return render_template("compliance/export_start.html", kind="zip", filters=filters, problem=error.message,
                               button=ButtonForm()), 422 if request.method == "POST" else 200
    return render_template("compliance/export_start.html", kind="zip", count=count, filters=filters,
                           button=ButtonForm())


@bp.get("/exports/<int:export_id>")
def export_status(export_id: int) -> ResponseReturnValue:
    """The export's progress; it reloads itself every few seconds unless asked not to (?refresh=off: WCAG 2.2.1)."""
    status = export_jobs.get_export(export_id, org=managed_organisation(), actor=current_user)
    return render_template("compliance/export_status.html", status=status,
                           auto_refresh=request.args.get("refresh") != "off")


@bp.get("/exports/<int:export_id>/download")
def export_download(export_id: int) -> ResponseReturnValue:
    """The file, to the manager who asked only, while they manage the organisation and until it expires."""
    export = export_jobs.get_export(export_id, org=managed_organisation(), actor=current_user).export
    return downloads.send(downloads.Download(export_jobs.read_file(export), export.mimetype, export.filename))


@bp.get("/people/<int:user_id>/training-record.pdf")
def person_record(user_id: int) -> ResponseReturnValue:
    """One person's training record for their staff file (small: made in the request)."""
    member = get_member(user_id, MemberAction.VIEW, actor=current_user, organisation=managed_organisation())
    return downloads.send(exports.export_person_record(managed_organisation(), member, actor=current_user))


# --- reminders -----------------------------------------------------------------------------


def _chase_request() -> tuple[list[int], bool, int | None]:
    """Whom to remind, and of what: the people ticked (POST), the people named (?user_id=), or else everyone
    overdue or expiring in the matrix's filter (its query string; none: the whole organisation)."""
    if request.method == "POST":
        form = ChaseForm()
        if not form.validate_on_submit():
            abort(400, FORM_EXPIRED)
        return form.user_ids.data or [], False, None
    if named := request.args.getlist("user_id", type=int):
        return named, False, None
    _, query = matrix_args.read_matrix_filters(managed_organisation(), request.args)
    return chasing.urgent_in_filter(managed_organisation(), query), True, query.course_id


@bp.route("/reminders/new", methods=["GET", "POST"])
def plan_reminders() -> ResponseReturnValue:
    """The confirmation page: the message and who gets it; nothing is sent until it is confirmed."""
    user_ids, urgent_only, course_id = _chase_request()
    try:
        chase = chasing.plan_chase(managed_organisation(), user_ids, actor=current_user, urgent_only=urgent_only,
                                   course_id=course_id)
    except InvalidInput as error:
        flash(error.message, "error")
        return redirect(url_for("compliance.matrix"))
    return render_template("compliance/remind.html", chase=chase, subject=chasing.SUBJECT, form=ChaseForm(),
                           example=chasing.reminder_body(chase.drafts[0].name, chase.drafts[0].lines) if chase.drafts else None)


@bp.post("/reminders")
def send_reminders() -> ResponseReturnValue:
    form = ChaseForm()
    if not form.validate_on_submit():
        abort(400, FORM_EXPIRED)
    try:
        result = chasing.send_chase(managed_organisation(), form.user_ids.data or [], actor=current_user,
                                    urgent_only=bool(form.urgent_only.data), course_id=form.course_id.data)
    except InvalidInput as error:
        flash(error.message, "error")
        return redirect(url_for("compliance.matrix"))
    flash(f"Reminder sent to {result.sent} {'person' if result.sent == 1 else 'people'}."
          + (f" {result.already_today} already had one today and got nothing more." if result.already_today else ""),
          "success")
    return redirect(url_for("compliance.matrix"))


@bp.route("/reminders/schedule", methods=["GET", "POST"])
def reminder_schedule() -> ResponseReturnValue:
    """The organisation's automatic reminders: which of them its staff get."""
    form = ReminderScheduleForm(obj=reminders.get_schedule(managed_organisation()))
    if form.validate_on_submit():
        reminders.save_schedule(managed_organisation(), {name: bool(form[name].data) for name in reminders.EVENTS},
                                actor=current_user)
        flash("Reminder schedule saved.", "success")
        return redirect(url_for("compliance.reminder_schedule"))
    return render_template("compliance/reminder_schedule.html", form=form, labels=reminders.EVENTS)
