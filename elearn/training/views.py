"""Training from elsewhere: a member's external training and imported certificates (/manage/people/<id>/training).

Every route is for managers and admins only, on one organisation at a time (elearn/manage/access.py).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from elearn.access import MemberAction, get_member
from elearn.catalog.service import course_titles
from elearn.errors import InvalidInput
from elearn.extensions import limiter
from elearn.forms import require_button
from elearn.manage import access
from elearn.manage.access import managed_organisation
from elearn.models import User
from elearn.training import service
from elearn.training.forms import ExternalTrainingForm, ImportCertificateForm
from elearn.training.service import ExternalInput

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
