"""The partnership's pages (/partnership): the year's overview, reminders to the outstanding settings, aggregates.

For a partnership viewer only (a manager whose organisation is a safeguarding partnership): anyone signed out goes
to the sign-in page, a learner is refused (403, as for the manager area), and any other manager finds nothing (404).
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from elearn import downloads
from elearn.access import Area, enter_area
from elearn.errors import Conflict
from elearn.forms import ButtonForm
from elearn.models import Organisation
from elearn.partnerships import exports, service
from elearn.partnerships.aggregates import RULE
from elearn.returns.service import AcademicYear
from elearn.tabular import Format

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
                           year=AcademicYear(year), aggregates=service.build_aggregates(_partnership(), year),
                           rule=RULE)


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


def _audited(download: downloads.Download, what: str) -> ResponseReturnValue:
    return downloads.send(downloads.audited(download, "partnership.exported", actor=current_user,
                                            organisation_id=_partnership().id, target=what))


@bp.get("/returns.<any(csv, xlsx):fmt>")
def export_returns(fmt: Format) -> ResponseReturnValue:
    overview = service.build_overview(_partnership(), _year())
    return _audited(exports.returns_download(_partnership(), overview, fmt), f"returns.{fmt}")


@bp.get("/returns.schema.json")
def returns_schema() -> ResponseReturnValue:
    return downloads.send(exports.returns_download(_partnership(), service.build_overview(_partnership(), _year()),
                                                   "schema"))


@bp.get("/figures.<any(csv, xlsx):fmt>")
def export_figures(fmt: Format) -> ResponseReturnValue:
    year = _year()
    download = exports.figures_download(_partnership(), service.build_aggregates(_partnership(), year), year, fmt)
    return _audited(download, f"figures.{fmt}")


@bp.get("/figures.schema.json")
def figures_schema() -> ResponseReturnValue:
    year = _year()
    return downloads.send(exports.figures_download(_partnership(), service.build_aggregates(_partnership(), year),
                                                   year, "schema"))
