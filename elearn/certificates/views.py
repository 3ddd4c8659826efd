"""My certificates and downloads, my name correction, refreshers, revocation; and the public verify page.

A manager corrects a learner's name on the manager pages, under the manager guard (elearn/manage/access.py).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from elearn import access, downloads
from elearn.certificates import names, service
from elearn.certificates.forms import RevokeForm, SearchForm, VerifyForm
from elearn.errors import InvalidInput
from elearn.extensions import limiter
from elearn.forms import NameCorrectionForm, require_button
from elearn.learning import service as learning
from elearn.wording import plural

bp = Blueprint("certificates", __name__, template_folder="templates")
public_bp = Blueprint("certificates_public", __name__, template_folder="templates")

# Per client address, shared by both lookup routes: enough for a person checking a pile of
# certificates, far too few to walk a 78-bit code space.
VERIFY_LIMIT = "30 per minute"


@bp.get("/my-certificates")
@login_required
def mine() -> ResponseReturnValue:
    # A read: a pass without its certificate is repaired by `flask certificates repair`, never by this page.
    return render_template("certificates/list.html", entries=service.list_my_certificates(current_user))


@bp.get("/certificates/<int:certificate_id>/download")
@login_required
def download(certificate_id: int) -> ResponseReturnValue:
    return downloads.send(service.download_certificate(certificate_id, actor=current_user))


@bp.route("/account/name", methods=["GET", "POST"])
@login_required
def correct_own_name() -> ResponseReturnValue:
    form = NameCorrectionForm(data={"display_name": current_user.display_name})
    if form.validate_on_submit():
        try:
            reissued = names.correct_name(current_user, form.display_name.data, actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash(f"Name saved. {plural(len(reissued), 'certificate')} re-issued with the new name, under the same codes.",
                  "success")
            return redirect(url_for("certificates.correct_own_name"))
    return render_template("certificates/name.html", form=form, learner=current_user), 422 if form.errors else 200


@bp.post("/courses/<slug>/refresher")
@login_required
def start_refresher(slug: str) -> ResponseReturnValue:
    require_button()
    enrolment = service.start_refresher(learning.get_published_course(slug), actor=current_user)
    return redirect(url_for("learning.lesson", slug=slug, position=learning.resume_lesson(enrolment).position))


@bp.get("/admin/certificates")
@access.area_required(access.Area.ADMIN)
def admin_list() -> ResponseReturnValue:
    form = SearchForm(request.args)
    query = form.q.data if form.validate() else ""
    entries = service.list_certificates(query or "", actor=current_user)
    return render_template("certificates/admin_list.html", form=form, entries=entries, query=query)


@bp.route("/admin/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@access.area_required(access.Area.ADMIN)
def revoke(certificate_id: int) -> ResponseReturnValue:
    certificate = service.get_certificate_to_revoke(certificate_id, actor=current_user)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            service.revoke_certificate(certificate.id, form.reason.data, actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("The certificate has been revoked. Its verification page now says so.", "success")
            return redirect(url_for("certificates.admin_list", q=certificate.code))
    return render_template("certificates/revoke.html", form=form, certificate=certificate), 422 if form.errors else 200


@public_bp.get("/verify")
@limiter.shared_limit(VERIFY_LIMIT, scope="verify")
def verify() -> ResponseReturnValue:
    if "code" not in request.args:
        return render_template("certificates/verify.html", form=VerifyForm(), searched=False, result=None)
    return _verification_page(request.args.get("code", ""))


@public_bp.get("/verify/<path:code>")
@limiter.shared_limit(VERIFY_LIMIT, scope="verify")
def verify_code(code: str) -> ResponseReturnValue:
    return _verification_page(code)


def _verification_page(code: str) -> ResponseReturnValue:
    # Unknown and malformed codes get the same page and status: nothing tells them apart.
    # The typed code is echoed (escaped, cut to the field's length) so that a typo can be fixed.
    result = service.verify_certificate(code)
    form = VerifyForm(data={"code": result.code if result else code[:64]})
    return render_template("certificates/verify.html", form=form, searched=True, result=result), 200 if result else 404
