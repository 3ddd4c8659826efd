"""Training from elsewhere: a member's external training and imported certificates (/manage/people/<id>/training).

Every route is for managers and admins only, on one organisation at a time (elearn/manage/access.py).
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from elearn import downloads
from elearn.access import MemberAction, get_member
from elearn.catalog.service import course_titles
from elearn.errors import InvalidInput
from elearn.extensions import limiter
from elearn.forms import require_button
from elearn.manage import access
from elearn.manage.access import managed_organisation
from elearn.models import User
from elearn.training import service, sessions
from elearn.training.forms import (
    AttendeesForm,
    ExternalTrainingForm,
    ImportCertificateForm,
    RegisterForm,
    SessionDetailsForm,
    SessionForm,
)
from elearn.training.service import ExternalInput
from elearn.training.sessions import SessionInput
from elearn.uploads import Upload, read_upload

bp = Blueprint("training", __name__, url_prefix="/manage", template_folder="templates")
access.guard(bp)


def _member(user_id: int) -> User:
    """The member whose training from elsewhere the page keeps (elearn/access.py's MANAGE, in this organisation)."""
    return get_member(user_id, MemberAction.MANAGE, actor=current_user, organisation=managed_organisation())


def _external_page(user_id: int, training_form: ExternalTrainingForm | None = None,
                   import_form: ImportCertificateForm | None = None, preview: service.CertificatePreview | None = None,
                   status: int = 200) -> ResponseReturnValue:
    member = _member(user_id)
    training_form, titles = training_form or ExternalTrainingForm(), course_titles()
    training_form.course_id.choices = [SelectChoice("", "No course: keep on record only"),
                                       *(SelectChoice(cid, t) for cid, t in titles.items())]
    return render_template("training/external.html", member=member, records=service.list_external(managed_organisation(), member.id, actor=current_user),
                           training_form=training_form, import_form=import_form or ImportCertificateForm(),
                           preview=preview, titles=titles), status


@bp.get("/people/<int:user_id>/training")
def external_training(user_id: int) -> ResponseReturnValue:
    return _external_page(user_id)


@bp.post("/people/<int:user_id>/training")
def record_external(user_id: int) -> ResponseReturnValue:
    member = _member(user_id)
    form = ExternalTrainingForm()
    if form.validate_on_submit():
        try:
            service.record_external(managed_organisation(), member.id, ExternalInput(
                form.course_id.data, form.title.data, form.provider.data, form.completed_on.data,
                form.expires_on.data, form.note.data or ""), actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Training recorded.", "success")
            return redirect(url_for("training.external_training", user_id=member.id))
    return _external_page(member.id, training_form=form, status=422)


@bp.post("/people/<int:user_id>/training/import")
@limiter.limit("30 per minute")  # a code lookup: far too few to walk the code space
def import_certificate(user_id: int) -> ResponseReturnValue:
    """First post: show whose certificate the code is; second post (with "import"): count it."""
    member = _member(user_id)
    form = ImportCertificateForm()
    if form.validate_on_submit():
        try:
            if "import" in request.form:
                service.import_certificate(managed_organisation(), member.id, form.code.data, name_confirmed=bool(form.confirm.data),
                                           actor=current_user)
                flash("Certificate added: it counts until it expires.", "success")
                return redirect(url_for("training.external_training", user_id=member.id))
            preview = service.preview_certificate(managed_organisation(), member.id, form.code.data, actor=current_user)
            return _external_page(member.id, import_form=form, preview=preview)
        except InvalidInput as error:
            error.attach_to(form)
            if error.field == "confirm":  # the names differ: show the certificate again to confirm
                return _external_page(member.id, import_form=form, status=422,
                                      preview=service.preview_certificate(managed_organisation(), member.id, form.code.data,
                                                                          actor=current_user))
    return _external_page(member.id, import_form=form, status=422)


@bp.post("/training/<int:training_id>/delete")
def delete_external(training_id: int) -> ResponseReturnValue:
    service.get_external(managed_organisation(), training_id)  # 404 before 400 for another organisation's id
    require_button()
    user_id = service.delete_external(managed_organisation(), training_id, actor=current_user)
    flash("Training record removed.", "info")
    return redirect(url_for("training.external_training", user_id=user_id))


# --- face-to-face sessions -----------------------------------------------------------------------


def _choices(form: SessionDetailsForm | AttendeesForm) -> None:
    org = managed_organisation()
    if isinstance(form, SessionDetailsForm):
        form.course_ids.choices = list(course_titles().items())
    if isinstance(form, (SessionForm, AttendeesForm)):
        form.group_ids.choices = sessions.list_group_choices(org)
        form.user_ids.choices = sessions.list_active_members(org)


def _details(form: SessionDetailsForm) -> SessionInput:
    return SessionInput(form.topic.data or "", form.trainer.data or "", form.held_on.data, form.hours.data,
                        list(form.course_ids.data or []), bool(form.counts_towards_compliance.data),
                        form.counts_until.data, form.note.data or "")


def _upload(form: SessionForm | RegisterForm) -> Upload | None:
    """The register if one was chosen (checked by type and size), else None."""
    file = form.register.data
    if not file or not file.filename:
        return None
    try:
        return read_upload(file.stream, file.filename, field="register", accept=sessions.REGISTER_TYPES)
    finally:
        file.close()  # a large upload is spooled to a temporary file: release it now


@bp.get("/sessions")
def session_list() -> ResponseReturnValue:
    return render_template("training/sessions.html", lines=sessions.list_sessions(managed_organisation()))


@bp.route("/sessions/new", methods=["GET", "POST"])
def new_session() -> ResponseReturnValue:
    form = SessionForm()
    _choices(form)
    if form.validate_on_submit():
        try:
            session = sessions.record_session(managed_organisation(), _details(form), user_ids=form.user_ids.data or [],
                                              group_ids=form.group_ids.data or [], register=_upload(form),
                                              actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Session recorded.", "success")
            return redirect(url_for("training.session_detail", training_session_id=session.id))
    return render_template("training/session_form.html", form=form, session=None), 422 if form.errors else 200


def _session_page(training_session_id: int, attendees_form: AttendeesForm | None = None,
                  register_form: RegisterForm | None = None, status: int = 200) -> ResponseReturnValue:
    org = managed_organisation()
    session = sessions.get_session(org, training_session_id)
    attendees_form = attendees_form or AttendeesForm()
    _choices(attendees_form)
    return render_template("training/session.html", session=session, attendees=sessions.list_attendees(session),
                           covered=sessions.covered_titles(session), attendees_form=attendees_form,
                           register_form=register_form or RegisterForm()), status


@bp.get("/sessions/<int:training_session_id>")
def session_detail(training_session_id: int) -> ResponseReturnValue:
    return _session_page(training_session_id)


@bp.route("/sessions/<int:training_session_id>/edit", methods=["GET", "POST"])
def edit_session(training_session_id: int) -> ResponseReturnValue:
    session = sessions.get_session(managed_organisation(), training_session_id)
    form = SessionDetailsForm(obj=session, hours=Decimal(session.minutes) / 60,
                              course_ids=[c.course_id for c in session.courses]) if request.method == "GET" \
        else SessionDetailsForm()
    _choices(form)
    if form.validate_on_submit():
        try:
            sessions.update_session(managed_organisation(), session.id, _details(form), actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Session saved.", "success")
            return redirect(url_for("training.session_detail", training_session_id=session.id))
    return render_template("training/session_form.html", form=form, session=session), 422 if form.errors else 200


@bp.post("/sessions/<int:training_session_id>/attendees")
def add_attendees(training_session_id: int) -> ResponseReturnValue:
    sessions.get_session(managed_organisation(), training_session_id)  # 404 before 400 for another organisation's id
    form = AttendeesForm()
    _choices(form)
    if form.validate_on_submit():
        try:
            added = sessions.add_attendees(managed_organisation(), training_session_id, user_ids=form.user_ids.data or [],
                                           group_ids=form.group_ids.data or [], actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash(f"{added} added to the attendance." if added else "They were already on the attendance.", "success")
            return redirect(url_for("training.session_detail", training_session_id=training_session_id, _anchor="attendance"))
    return _session_page(training_session_id, attendees_form=form, status=422)


@bp.post("/sessions/<int:training_session_id>/attendees/<int:user_id>/remove")
def remove_attendee(training_session_id: int, user_id: int) -> ResponseReturnValue:
    sessions.get_session(managed_organisation(), training_session_id)
    require_button()
    sessions.remove_attendee(managed_organisation(), training_session_id, user_id, actor=current_user)
    flash("Removed from the attendance.", "info")
    return redirect(url_for("training.session_detail", training_session_id=training_session_id, _anchor="attendance"))


@bp.post("/sessions/<int:training_session_id>/register")
def attach_register(training_session_id: int) -> ResponseReturnValue:
    sessions.get_session(managed_organisation(), training_session_id)
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            upload = _upload(form)
            if upload is None:
                raise InvalidInput("register", "Choose the register's file.")
            sessions.attach_register(managed_organisation(), training_session_id, upload, actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Register attached.", "success")
            return redirect(url_for("training.session_detail", training_session_id=training_session_id, _anchor="register"))
    return _session_page(training_session_id, register_form=form, status=422)


@bp.get("/sessions/<int:training_session_id>/register")
def download_register(training_session_id: int) -> ResponseReturnValue:
    return downloads.send(sessions.download_register(managed_organisation(), training_session_id, actor=current_user))


@bp.post("/sessions/<int:training_session_id>/register/remove")
def remove_register(training_session_id: int) -> ResponseReturnValue:
    sessions.get_session(managed_organisation(), training_session_id)
    require_button()
    sessions.remove_register(managed_organisation(), training_session_id, actor=current_user)
    flash("Register removed.", "info")
    return redirect(url_for("training.session_detail", training_session_id=training_session_id))


@bp.post("/sessions/<int:training_session_id>/delete")
def delete_session(training_session_id: int) -> ResponseReturnValue:
    sessions.get_session(managed_organisation(), training_session_id)
    require_button()
    sessions.delete_session(managed_organisation(), training_session_id, actor=current_user)
    flash("Session deleted.", "info")
    return redirect(url_for("training.session_list"))
