"""Manager pages for exports and training from elsewhere, on the manage blueprint.

views.py calls register(bp), so these routes share its before_request (managers and admins only, the
organisation being managed in g.manage_org) and its endpoint names ("manage.export_csv" …).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from elearn import downloads
from elearn.catalog.service import course_titles
from elearn.errors import InvalidInput
from elearn.extensions import limiter
from elearn.forms import require_button
from elearn.manage import exports, external, matrix_args, service
from elearn.manage.access import managed_organisation
from elearn.manage.external import ExternalInput
from elearn.manage.record_forms import (
    CertificateSelectionForm,
    ExternalTrainingForm,
    ImportCertificateForm,
)

_ROUTES: list[tuple[str, Callable[..., ResponseReturnValue], dict[str, Any]]] = []


def route(rule: str, **options: Any) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        _ROUTES.append((rule, view, options))
        return view
    return decorate


def register(bp: Blueprint) -> None:
    """Add this module's routes to the manage blueprint."""
    for rule, view, options in _ROUTES:
        bp.add_url_rule(rule, view_func=view, **options)


# --- exports -------------------------------------------------------------------------------


@route("/matrix/export.csv", methods=["GET"])
def export_csv() -> ResponseReturnValue:
    _, query = matrix_args.read_matrix_filters(managed_organisation(), request.args)
    return downloads.send(exports.export_matrix_csv(managed_organisation(), query, actor=current_user))


@route("/training-record.pdf", methods=["GET"])
def export_pdf() -> ResponseReturnValue:
    _, query = matrix_args.read_matrix_filters(managed_organisation(), request.args)
    return downloads.send(exports.export_training_record(managed_organisation(), query, actor=current_user))


@route("/certificates.zip", methods=["GET", "POST"])
def export_zip() -> ResponseReturnValue:
    """GET: the certificates of everyone matching the matrix filters; POST: of the people ticked."""
    form = CertificateSelectionForm()
    if request.method == "POST" and not form.validate_on_submit():
        abort(400, "The form had expired, or nobody was ticked. Please try again.")
    _, query = matrix_args.read_matrix_filters(managed_organisation(), request.args)
    try:
        export = exports.export_certificates_zip(managed_organisation(), actor=current_user, query=query,
                                                 user_ids=form.user_ids.data if request.method == "POST" else None)
    except InvalidInput as error:
        flash(error.message, "error")
        filters: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("manage.matrix", **filters))
    return downloads.send(export)


# --- training from elsewhere ----------------------------------------------------------------


def _external_page(user_id: int, training_form: ExternalTrainingForm | None = None,
                   import_form: ImportCertificateForm | None = None, preview: external.CertificatePreview | None = None,
                   status: int = 200) -> ResponseReturnValue:
    member = service.get_member(managed_organisation(), user_id)
    training_form, titles = training_form or ExternalTrainingForm(), course_titles()
    training_form.course_id.choices = [SelectChoice("", "No course: keep on record only"),
                                       *(SelectChoice(cid, t) for cid, t in titles.items())]
    return render_template("manage/external.html", member=member, records=external.list_external(managed_organisation(), member.id),
                           training_form=training_form, import_form=import_form or ImportCertificateForm(),
                           preview=preview, titles=titles), status


@route("/people/<int:user_id>/training", methods=["GET"])
def external_training(user_id: int) -> ResponseReturnValue:
    return _external_page(user_id)


@route("/people/<int:user_id>/training", methods=["POST"])
def record_external(user_id: int) -> ResponseReturnValue:
    member = service.get_member(managed_organisation(), user_id)
    form = ExternalTrainingForm()
    if form.validate_on_submit():
        try:
            external.record_external(managed_organisation(), member.id, ExternalInput(
                form.course_id.data, form.title.data, form.provider.data, form.completed_on.data,
                form.expires_on.data, form.note.data or ""), actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Training recorded.", "success")
            return redirect(url_for("manage.external_training", user_id=member.id))
    return _external_page(member.id, training_form=form, status=422)


@route("/people/<int:user_id>/training/import", methods=["POST"])
@limiter.limit("30 per minute")  # a code lookup: far too few to walk the code space
def import_certificate(user_id: int) -> ResponseReturnValue:
    """First post: show whose certificate the code is; second post (with "import"): count it."""
    member = service.get_member(managed_organisation(), user_id)
    form = ImportCertificateForm()
    if form.validate_on_submit():
        try:
            if "import" in request.form:
                external.import_certificate(managed_organisation(), member.id, form.code.data, name_confirmed=bool(form.confirm.data),
                                            actor=current_user)
                flash("Certificate added: it counts until it expires.", "success")
                return redirect(url_for("manage.external_training", user_id=member.id))
            preview = external.preview_certificate(managed_organisation(), member.id, form.code.data)
            return _external_page(member.id, import_form=form, preview=preview)
        except InvalidInput as error:
            error.attach_to(form)
            if error.field == "confirm":  # the names differ: show the certificate again to confirm
                return _external_page(member.id, import_form=form, status=422,
                                      preview=external.preview_certificate(managed_organisation(), member.id, form.code.data))
    return _external_page(member.id, import_form=form, status=422)


@route("/training/<int:training_id>/delete", methods=["POST"])
def delete_external(training_id: int) -> ResponseReturnValue:
    external.get_external(managed_organisation(), training_id)  # 404 before 400 for another organisation's id
    require_button()
    user_id = external.delete_external(managed_organisation(), training_id, actor=current_user)
    flash("Training record removed.", "info")
    return redirect(url_for("manage.external_training", user_id=user_id))
