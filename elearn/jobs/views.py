"""The admins' job-queue page: the broker, jobs waiting, failed emails and failed jobs with their error and a retry."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from elearn.access import Area, enter_area
from elearn.forms import ButtonForm, require_button
from elearn.jobs import service
from elearn.jobs.queue import JOB_LABELS

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs", template_folder="templates")


@bp.before_request
def admins_only() -> ResponseReturnValue | None:
    """Every route here: anonymous → login, anyone but an admin → 403 (the failed emails show addresses)."""
    return enter_area(Area.ADMIN)


@bp.get("")
def index() -> ResponseReturnValue:
    return render_template("jobs/index.html", state=service.read_queue_state(), labels=JOB_LABELS, button=ButtonForm())


@bp.post("/emails/<int:outbox_id>/retry")
def retry_email(outbox_id: int) -> ResponseReturnValue:
    require_button()
    service.retry_failed_email(outbox_id, actor=current_user)
    flash("The email is queued to be sent again.", "success")
    return redirect(url_for("jobs.index"))


@bp.post("/failed/<int:failure_id>/retry")
def retry_job(failure_id: int) -> ResponseReturnValue:
    require_button()
    failure = service.run_failed_job_again(failure_id, actor=current_user)
    flash(f"“{JOB_LABELS.get(failure.task_name, failure.task_name)}” is queued to run again.", "success")
    return redirect(url_for("jobs.index"))
