"""The platform admin area: organisations, users, course publishing and the audit log (admins only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from elearn import access
from elearn.admin import service
from elearn.admin.forms import (
    AuditFilterForm,
    MoveForm,
    OrganisationForm,
    RoleForm,
    UserSearchForm,
    organisation_choices,
)
from elearn.errors import InvalidInput
from elearn.forms import ButtonForm, require_button
from elearn.models import Organisation, OrganisationKind, Phase, Role
from elearn.wording import PHASE_LABELS

KIND_LABELS = {OrganisationKind.SETTING: "School or setting", OrganisationKind.TRUST: "Trust",
               OrganisationKind.PARTNERSHIP: "Partnership"}

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
def admins_only() -> ResponseReturnValue | None:
    """Every route here, including any added later: anonymous → login, anyone but an admin → 403."""
    return access.enter_area(access.Area.ADMIN)


def _page_number() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.get("")
def index() -> ResponseReturnValue:
    return render_template("admin/index.html", past_review=service.list_courses_past_review(actor=current_user))


@bp.get("/organisations")
def organisations() -> ResponseReturnValue:
    rows = service.list_organisations(actor=current_user)
    trust_names = {row.organisation.id: row.organisation.name for row in rows
                   if row.organisation.kind == OrganisationKind.TRUST}
    return render_template("admin/organisations.html", rows=rows, trust_names=trust_names,
                           kind_labels=KIND_LABELS, phase_labels=PHASE_LABELS)


def _organisation_form(org: Organisation | None) -> ResponseReturnValue:
    form = OrganisationForm(obj=org)
    # No trust and no phase are options of their own (0 and ""), never a missing value.
    form.trust_id.data = form.trust_id.data or 0
    form.phase.data = form.phase.data or ""
    form.trust_id.choices = organisation_choices(
        [(i, n) for i, n in service.list_trust_choices(actor=current_user) if org is None or i != org.id], "No trust")
    if form.validate_on_submit():
        values = (form.name.data, form.retention_months.data, form.keep_certificate_names.data)
        structure = service.Structure(OrganisationKind(form.kind.data), form.trust_id.data or None,
                                      Phase(form.phase.data) if form.phase.data else None,
                                      bool(form.is_independent.data))
        try:
            if org is None:
                service.create_organisation(*values, actor=current_user, structure=structure)
            else:
                service.update_organisation(org, *values, actor=current_user, structure=structure)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Organisation saved.", "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisation_form.html", form=form, org=org), 422 if form.errors else 200


@bp.route("/organisations/new", methods=["GET", "POST"])
def new_organisation() -> ResponseReturnValue:
    return _organisation_form(None)


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
def edit_organisation(org_id: int) -> ResponseReturnValue:
    return _organisation_form(service.get_organisation(org_id, actor=current_user))


@bp.get("/users")
def users() -> ResponseReturnValue:
    form = UserSearchForm(request.args)
    query = (form.q.data or "") if form.validate() else ""
    page = service.search_users(query, _page_number(), actor=current_user)
    return render_template("admin/users.html", form=form, page=page, query=query)


def _move_form() -> MoveForm:
    form = MoveForm()
    form.organisation_id.choices = organisation_choices(service.list_organisation_choices(actor=current_user),
                                                        "No organisation")
    return form


@bp.get("/users/<int:user_id>")
def user(user_id: int) -> ResponseReturnValue:
    person = service.get_user(user_id, actor=current_user)
    role_form = RoleForm(data={"role": person.role})
    move_form = _move_form()
    move_form.organisation_id.data = person.organisation_id or 0
    return render_template("admin/user.html", person=person, role_form=role_form, move_form=move_form,
                           button=ButtonForm())


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int) -> ResponseReturnValue:
    person = service.get_user(user_id, actor=current_user)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400, "Choose a role.")
    service.change_role(person, Role(form.role.data), actor=current_user)
    flash("Role saved.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int) -> ResponseReturnValue:
    require_button()
    person = service.set_active(service.get_user(user_id, actor=current_user), False, actor=current_user)
    flash("The account is deactivated; its sessions have ended.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/activate")
def activate_user(user_id: int) -> ResponseReturnValue:
    require_button()
    person = service.set_active(service.get_user(user_id, actor=current_user), True, actor=current_user)
    flash("The account is active again.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/organisation")
def move_user(user_id: int) -> ResponseReturnValue:
    person = service.get_user(user_id, actor=current_user)
    form = _move_form()
    if not form.validate_on_submit():
        abort(400, "Choose an organisation.")
    service.move_user(person, form.organisation_id.data or None, actor=current_user)
    flash("Organisation saved.", "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.get("/courses")
def courses() -> ResponseReturnValue:
    return render_template("admin/courses.html", courses=service.list_courses(actor=current_user), button=ButtonForm(),
                           past_review=service.list_courses_past_review(actor=current_user))


@bp.post("/courses/<int:course_id>/publish")
def publish_course(course_id: int) -> ResponseReturnValue:
    require_button()
    service.set_published(course_id, True, actor=current_user)
    flash("The course is published.", "success")
    return redirect(url_for("admin.courses"))


@bp.post("/courses/<int:course_id>/unpublish")
def unpublish_course(course_id: int) -> ResponseReturnValue:
    require_button()
    service.set_published(course_id, False, actor=current_user)
    flash("The course is unpublished: learners can no longer find or start it.", "success")
    return redirect(url_for("admin.courses"))


@bp.get("/audit")
def audit() -> ResponseReturnValue:
    form = AuditFilterForm(request.args)
    form.organisation.choices = organisation_choices(service.list_organisation_choices(actor=current_user),
                                                     "All organisations")
    valid = form.validate()
    filters = service.AuditFilter(form.action.data or "", form.person.data or "", form.organisation.data or None,
                                  form.date_from.data, form.date_to.data) if valid else None
    page = service.list_audit_events(filters, _page_number(), actor=current_user) if filters else None
    return render_template("admin/audit.html", form=form, page=page), 200 if valid else 400
