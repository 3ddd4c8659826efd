"""Read and understood: the managers' pages (/manage/signoffs) and the learner's confirmation (/signoffs).

The managers' routes are for managers and admins only, on one organisation at a time (elearn/manage/access.py);
a learner reaches only the documents they are asked to read.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from elearn import downloads
from elearn.clock import london_today
from elearn.errors import InvalidInput
from elearn.manage import access
from elearn.manage.access import managed_organisation
from elearn.models import SignoffKind
from elearn.signoffs import grid, service
from elearn.signoffs.forms import AssignDocumentForm, ConfirmForm, PublishForm, VersionForm
from elearn.signoffs.service import DocumentInput
from elearn.training import sessions
from elearn.uploads import Upload, read_upload

bp = Blueprint("signoffs", __name__, url_prefix="/manage", template_folder="templates")
access.guard(bp)
learner_bp = Blueprint("signoffs_learner", __name__, url_prefix="/signoffs", template_folder="templates")


def _pdf(form: VersionForm) -> Upload | None:
    file = form.pdf.data
    if not file or not file.filename:
        return None
    try:
        return read_upload(file.stream, file.filename, field="pdf", accept=("application/pdf",))
    finally:
        file.close()  # a large upload is spooled to a temporary file: release it now


def _input(form: VersionForm) -> DocumentInput:
    return DocumentInput(form.label.data or "", form.url.data or "", _pdf(form))


@bp.get("/signoffs")
def document_list() -> ResponseReturnValue:
    return render_template("signoffs/documents.html", lines=service.list_documents(managed_organisation()))


@bp.route("/signoffs/new", methods=["GET", "POST"])
def new_document() -> ResponseReturnValue:
    form = PublishForm()
    if form.validate_on_submit():
        try:
            document = service.publish_document(managed_organisation(), SignoffKind(form.kind.data),
                                                form.title.data or "", _input(form), actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Published. Now choose who must read it.", "success")
            return redirect(url_for("signoffs.report", document_id=document.id, _anchor="assign"))
    if not form.label.data and not form.is_submitted():
        form.label.data = service.KCSIE_EDITION
    return render_template("signoffs/new.html", form=form, kcsie_url=service.KCSIE_URL), 422 if form.errors else 200


def _report_page(document_id: int, assign_form: AssignDocumentForm | None = None,
                 version_form: VersionForm | None = None, status: int = 200) -> ResponseReturnValue:
    org = managed_organisation()
    report = service.document_report(org, document_id)
    assign_form = assign_form or AssignDocumentForm()
    assign_form.group_id.choices = [SelectChoice("", "Choose a group"), *sessions.list_group_choices(org)]
    assign_form.user_ids.choices = sessions.list_active_members(org)
    return render_template("signoffs/report.html", report=report, versions=service.list_versions(report.document),
                           assign_form=assign_form, version_form=version_form or VersionForm(),
                           today=london_today()), status


@bp.get("/signoffs/<int:document_id>")
def report(document_id: int) -> ResponseReturnValue:
    return _report_page(document_id)


@bp.post("/signoffs/<int:document_id>/assign")
def assign(document_id: int) -> ResponseReturnValue:
    service.get_document(managed_organisation(), document_id)  # 404 before 400 for another organisation's id
    form = AssignDocumentForm()
    if form.validate_on_submit():
        try:
            result = service.assign_document(managed_organisation(), document_id, form.due_on.data, actor=current_user,
                                             audience=form.audience.data or "", group_id=form.group_id.data,
                                             user_ids=form.user_ids.data or [])
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash(f"Asked {result.created} {'person' if result.created == 1 else 'people'}; "
                  f"{result.already} had been asked already.", "success")
            return redirect(url_for("signoffs.report", document_id=document_id))
    return _report_page(document_id, assign_form=form, status=422)


@bp.post("/signoffs/<int:document_id>/versions")
def publish_version(document_id: int) -> ResponseReturnValue:
    service.get_document(managed_organisation(), document_id)
    form = VersionForm()
    if form.validate_on_submit():
        try:
            service.publish_version(managed_organisation(), document_id, _input(form), actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("New version published: everyone asked to read the document is asked again.", "success")
            return redirect(url_for("signoffs.report", document_id=document_id))
    return _report_page(document_id, version_form=form, status=422)


@bp.get("/signoffs/everyone.csv")
def export_grid_csv() -> ResponseReturnValue:
    return downloads.send(grid.export_grid_csv(managed_organisation(), actor=current_user))


@bp.get("/signoffs/<int:document_id>/report.csv")
def export_csv(document_id: int) -> ResponseReturnValue:
    return downloads.send(service.export_report_csv(managed_organisation(), document_id, actor=current_user))


# --- the learner -----------------------------------------------------------------------------------


@learner_bp.post("/<int:document_id>/confirm")
@login_required
def confirm(document_id: int) -> ResponseReturnValue:
    form = ConfirmForm()
    if not form.validate_on_submit() or not (form.version_id.data or "").isdigit():
        abort(400, "The form had expired. Please try again.")
    service.confirm_read(document_id, int(form.version_id.data), actor=current_user)
    flash("Thank you: recorded as read and understood.", "success")
    return redirect(url_for("learning.dashboard", _anchor="read-and-understood"))


@learner_bp.get("/<int:document_id>/versions/<int:signoff_version_id>.pdf")
@login_required
def download_pdf(document_id: int, signoff_version_id: int) -> ResponseReturnValue:
    return downloads.send(service.download_pdf(document_id, signoff_version_id, actor=current_user))
