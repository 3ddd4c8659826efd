"""The partnership's pages (/partnership): the year's overview, reminders to the outstanding settings, aggregates.

For a partnership viewer only (a manager whose organisation is a safeguarding partnership): anyone signed out goes
to the sign-in page, a learner is refused (403, as for the manager area), and any other manager finds nothing (404).
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from elearn.access import Area, enter_area
from elearn.errors import Conflict
from elearn.forms import ButtonForm
from elearn.models import Organisation
from elearn.partnerships import service
from elearn.returns.service import AcademicYear

bp = Blueprint("partnerships", __name__, url_prefix="/partnership", template_folder="templates")


@bp.before_request
def require_partnership_viewer() -> ResponseReturnValue | None:
    refused = enter_area(Area.MANAGE)
    if refused is not None:
        return refused
    g.partnership = service.get_partnership(actor=current_user)
    return None


def _partnership() -> Organisation:
    return g.partnership  # type: ignore[no-any-return]


def _year() -> int:
    return service.choose_year(request.args.get("year", type=int))


@bp.get("/")
def overview() -> ResponseReturnValue:
    year = _year()
    return render_template("partnerships/overview.html", partnership=_partnership(), years=service.list_years(),
                           overview=service.build_overview(_partnership(), year))


@bp.get("/aggregates")
def aggregates() -> ResponseReturnValue:
    year = _year()
    return render_template("partnerships/aggregates.html", partnership=_partnership(), years=service.list_years(),
                           year=AcademicYear(year), aggregates=service.build_aggregates(_partnership(), year))


@bp.route("/reminders", methods=["GET", "POST"])
def reminders() -> ResponseReturnValue:
    year, form = _year(), ButtonForm()
    if form.validate_on_submit():
        try:
            result = service.send_reminders(_partnership(), year, actor=current_user)
        except Conflict as error:
            flash(error.message, "error")
        else:
            flash(f"Reminders sent to {result.sent} {'setting' if result.sent == 1 else 'settings'} "
                  f"({result.emails} {'email' if result.emails == 1 else 'emails'}).", "success")
        return redirect(url_for("partnerships.overview", year=year))
    return render_template("partnerships/reminders.html", partnership=_partnership(), form=form,
                           plan=service.plan_reminders(_partnership(), year))
