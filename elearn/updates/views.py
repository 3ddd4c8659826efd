"""A learner's "what changed" update (read it, confirm it) and the managers' report of who has read it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from elearn.forms import ButtonForm, require_button
from elearn.manage import access
from elearn.manage.access import managed_organisation
from elearn.updates import service

bp = Blueprint("updates", __name__, template_folder="templates")
manage_bp = Blueprint("updates_manage", __name__, url_prefix="/manage/course-updates", template_folder="templates")
access.guard(manage_bp)  # managers and admins, one organisation at a time


@bp.get("/courses/<slug>/update")
@login_required
def show(slug: str) -> ResponseReturnValue:
    state = service.get_update(slug, actor=current_user)
    return render_template("updates/update.html", slug=slug, state=state, form=ButtonForm())


@bp.post("/courses/<slug>/update")
@login_required
def complete(slug: str) -> ResponseReturnValue:
    require_button()
    service.complete_update(slug, actor=current_user)
    flash("Thank you. Your certificate now records that you read this update.", "success")
    return redirect(url_for("updates.show", slug=slug))


@manage_bp.get("")
def report() -> ResponseReturnValue:
    reports = service.list_update_report(managed_organisation(), actor=current_user)
    return render_template("updates/report.html", reports=reports)
