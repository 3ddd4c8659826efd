"""My data: download everything held about me (JSON), and delete my account."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user

from elearn import downloads
from elearn.errors import InvalidInput
from elearn.extensions import limiter
from elearn.privacy import service
from elearn.privacy.forms import DeleteAccountForm

bp = Blueprint("privacy", __name__, template_folder="templates")


@bp.get("/account/data")
@login_required
def export_data() -> ResponseReturnValue:
    data = service.export_personal_data(current_user, actor=current_user)
    body = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
    return downloads.send(downloads.Download(body, "application/json", "elearn-my-data.json"))


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def delete_account() -> ResponseReturnValue:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            service.delete_account(current_user, form.password.data, actor=current_user)
        except InvalidInput as error:
            form.password.errors = [*form.password.errors, error.message]
        else:
            logout_user()
            flash("Your account has been deleted. Thank you for training with us.", "success")
            return redirect(url_for("catalog.index"))
    return render_template("privacy/delete.html", form=form,
                           names_kept=service.keeps_certificate_names(current_user)), 422 if form.errors else 200
