"""The audit's training section: the DSL's review and sign-off (/returns), signed returns and their exports, the
published Table Schemas, and a trust lead's view of its schools.

Outside /manage because the setting's DSL signs, and a DSL need not be a manager: each page checks its reader
through elearn/returns/service.get_return_setting (the DSL, the setting's managers, its trust lead, an admin; 404
for anyone else), and signing through service.may_sign.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from elearn import downloads, tabular
from elearn.clock import london_today
from elearn.errors import Conflict, InvalidInput, NotFound
from elearn.models import AuditReturn, Organisation, OrganisationKind
from elearn.returns import exports, ratings, service
from elearn.returns.forms import CommentsForm, DescriptorsForm, SignForm
from elearn.returns.measures import LABELS, MEASURE_KEYS, AcademicYear
from elearn.returns.ratings import RATING_LABELS

bp = Blueprint("returns", __name__, url_prefix="/returns", template_folder="templates")

RETURN_FILES = ("return.xlsx", "measures.csv", "people.csv")


def _context(**values: Any) -> dict[str, Any]:
    return {"rating_labels": RATING_LABELS, "measure_keys": MEASURE_KEYS, **values}


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    year = AcademicYear.containing(london_today())
    own = current_user.organisation
    return render_template("returns/index.html", settings=service.settings_for(current_user), year=year,
                           leads_trust=service.is_trust_lead(current_user),
                           descriptors_of=own if own is not None and ratings.may_set_thresholds(current_user, own)
                           else None)


def _review_page(setting: Organisation, year: AcademicYear, form: CommentsForm, status: int = 200) -> ResponseReturnValue:
    draft = service.draft_return(setting, year)  # the comments are in the form, the figures in the draft
    return render_template("returns/review.html", **_context(
        setting=setting, year=year, draft=draft, snapshot=draft.body, form=form,
        may_sign=service.may_sign(current_user, setting), signed=service.list_returns(setting, year.starts),
        years=range(AcademicYear.containing(london_today()).starts, service.FIRST_YEAR - 1, -1))), status


@bp.get("/<int:setting_id>/<int:year>")
@login_required
def review(setting_id: int, year: int) -> ResponseReturnValue:
    setting = service.get_return_setting(setting_id, actor=current_user)
    academic_year = service.check_year(year)
    form = CommentsForm()
    latest = service.list_returns(setting, academic_year.starts)
    if latest:  # start from the comments of the last version signed
        for measure in service.snapshot_of(latest[0])["measures"]:
            form[f"comment_{measure['key']}"].data = measure["comment"]
    return _review_page(setting, academic_year, form)


def _signable(setting_id: int, year: int) -> tuple[Organisation, AcademicYear]:
    setting = service.get_return_setting(setting_id, actor=current_user)
    if not service.may_sign(current_user, setting):
        raise NotFound(service.NOT_FOUND_RETURN)
    return setting, service.check_year(year)


@bp.post("/<int:setting_id>/<int:year>/confirm")
@login_required
def confirm(setting_id: int, year: int) -> ResponseReturnValue:
    setting, academic_year = _signable(setting_id, year)
    form = CommentsForm()
    if not form.validate_on_submit():
        return _review_page(setting, academic_year, form, 422)
    try:
        draft = service.draft_return(setting, academic_year, form.comments())
    except InvalidInput as error:
        error.attach_to(form)
        return _review_page(setting, academic_year, form, 422)
    sign_form = SignForm(formdata=None, reviewed=draft.digest,
                         **{f"comment_{key}": value for key, value in form.comments().items()})
    return render_template("returns/confirm.html", **_context(setting=setting, year=academic_year, draft=draft,
                                                              snapshot=draft.body, form=sign_form))


@bp.post("/<int:setting_id>/<int:year>/sign")
@login_required
def sign(setting_id: int, year: int) -> ResponseReturnValue:
    setting, academic_year = _signable(setting_id, year)
    form = SignForm()
    if not form.validate_on_submit():
        abort(400, "The form had expired or was incomplete. Review the return and sign again.")
    existing = service.already_signed(setting, academic_year, form.reviewed.data or "")
    if existing is not None:
        flash(f"Already signed as version {existing.version}: nothing has changed since.", "success")
        return redirect(url_for("returns.signed", setting_id=setting.id, year=academic_year.starts,
                                version=existing.version))
    try:
        signed = service.sign_return(setting, academic_year, form.comments(), form.reviewed.data or "",
                                     actor=current_user)
    except InvalidInput as error:
        error.attach_to(form)
        return _review_page(setting, academic_year, form, 422)
    except Conflict as error:
        flash(str(error), "error")
        return redirect(url_for("returns.review", setting_id=setting.id, year=academic_year.starts))
    flash(f"Signed: version {signed.version} of the {academic_year.label} return.", "success")
    return redirect(url_for("returns.signed", setting_id=setting.id, year=academic_year.starts,
                            version=signed.version))


def _signed_return(setting_id: int, year: int, version: int) -> tuple[Organisation, AuditReturn]:
    setting = service.get_return_setting(setting_id, actor=current_user)
    return setting, service.get_signed(setting, year, version)


@bp.get("/<int:setting_id>/<int:year>/v<int:version>")
@login_required
def signed(setting_id: int, year: int, version: int) -> ResponseReturnValue:
    setting, signed_return = _signed_return(setting_id, year, version)
    return render_template("returns/signed.html", **_context(
        setting=setting, signed=signed_return, snapshot=service.snapshot_of(signed_return),
        intact=service.verify(signed_return), files=RETURN_FILES))


def return_file(snapshot: dict[str, Any], name: str) -> downloads.Download:
    """One of a signed return's files, made from its snapshot alone."""
    stem = f"{snapshot['setting']['name']} training return {snapshot['academic_year']} v{snapshot['version']}"
    if name == "return.xlsx":
        tables = [exports.measures_table(snapshot), exports.people_table(snapshot)]
        body = tabular.workbook_bytes(tables, title=tables[0].description)
        plain = downloads.slug(stem) or "training-return"
        return downloads.Download(body, tabular.MIMETYPES["xlsx"], f"{downloads.slug(stem, ascii_only=False)}.xlsx",
                                  f"{plain}.xlsx")
    if name == "measures.csv":
        return tabular.download(exports.measures_table(snapshot), "csv", f"{stem} measures")
    if name == "people.csv":
        return tabular.download(exports.people_table(snapshot), "csv", f"{stem} people")
    raise NotFound("There is no such file.")


@bp.get("/<int:setting_id>/<int:year>/v<int:version>/<string:file>")
@login_required
def export(setting_id: int, year: int, version: int, file: str) -> ResponseReturnValue:
    setting, signed_return = _signed_return(setting_id, year, version)
    download = return_file(service.snapshot_of(signed_return), file)
    return downloads.send(downloads.audited(download, "return.exported", actor=current_user,
                                            organisation_id=setting.id, target=f"audit_return:{signed_return.id}",
                                            file=file))


@bp.get("/schemas/<string:table>.json")
def schema(table: str) -> ResponseReturnValue:
    """The published Table Schema of an export: public, stable, the same bytes every time."""
    if table not in exports.SCHEMA_NAMES:
        raise NotFound("There is no such schema.")
    body = tabular.schema_json(exports.empty_table(table))
    return Response(body, content_type="application/json", headers={"Cache-Control": "public, max-age=3600"})


# --- the trust's view -------------------------------------------------------------------------------------------


@bp.get("/trust/<int:year>")
@login_required
def trust(year: int) -> ResponseReturnValue:
    trust_org = service.get_led_trust(actor=current_user)
    academic_year = service.check_year(year)
    lines = service.trust_returns(trust_org, academic_year)
    return render_template("returns/trust.html", **_context(
        trust=trust_org, year=academic_year, lines=lines,
        years=range(AcademicYear.containing(london_today()).starts, service.FIRST_YEAR - 1, -1)))


@bp.get("/trust/<int:year>/<string:file>")
@login_required
def trust_export(year: int, file: str) -> ResponseReturnValue:
    trust_org = service.get_led_trust(actor=current_user)
    academic_year = service.check_year(year)
    fmt = {"board-report.xlsx": "xlsx", "board-report.csv": "csv"}.get(file)
    if fmt is None:
        raise NotFound("There is no such file.")
    lines = [exports.TrustLine(line.snapshot, line.signed is not None)
             for line in service.trust_returns(trust_org, academic_year)]
    table = exports.trust_table(lines, academic_year.label)
    download = tabular.download(table, "xlsx" if fmt == "xlsx" else "csv",
                                f"{trust_org.name} training returns {academic_year.label}")
    return downloads.send(downloads.audited(download, "return.trust_exported", actor=current_user,
                                            organisation_id=trust_org.id, target=f"trust:{trust_org.id}:{year}"))


# --- descriptors --------------------------------------------------------------------------------------------


def _descriptors_page(organisation: Organisation, form: DescriptorsForm, status: int = 200) -> ResponseReturnValue:
    effective = ratings.thresholds_for(organisation) if organisation.kind == OrganisationKind.SETTING else None
    return render_template("returns/descriptors.html", organisation=organisation, form=form, labels=LABELS,
                           measure_keys=MEASURE_KEYS, defaults=ratings.DEFAULTS, effective=effective), status


@bp.route("/descriptors/<int:org_id>", methods=["GET", "POST"])
@login_required
def descriptors(org_id: int) -> ResponseReturnValue:
    """A setting's, trust's or partnership's red/amber/green descriptors, for its managers."""
    organisation = service.get_managed_organisation(org_id, actor=current_user)
    form = DescriptorsForm()
    if form.validate_on_submit():
        try:
            ratings.save_thresholds(organisation, form.chosen(), actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Descriptors saved.", "success")
            return redirect(url_for("returns.descriptors", org_id=organisation.id))
        return _descriptors_page(organisation, form, 422)
    if form.is_submitted():
        return _descriptors_page(organisation, form, 422)
    for key, row in ratings.thresholds_set_by(organisation).items():
        form[f"green_{key}"].data, form[f"amber_{key}"].data = row.green_from, row.amber_from
    return _descriptors_page(organisation, form)
