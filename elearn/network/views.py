"""A setting's place in the tier above it, under /manage: the partnerships it has joined (with consent), and each
person's kind, duties and placements at it.

Every route is for managers and admins only, on one organisation at a time (elearn/manage/access.py); a trust's
lead reaches a setting of the trust by choosing it (?org=).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from elearn.access import MemberAction, get_member
from elearn.catalog.service import course_titles
from elearn.errors import Conflict, InvalidInput
from elearn.forms import require_button
from elearn.manage import access
from elearn.manage.access import managed_organisation
from elearn.models import OrganisationKind
from elearn.network import requirement_sets, service
from elearn.network.forms import DutyForm, JoinPartnershipForm, KindForm, PlacementForm, RequirementForm, RoleForm
from elearn.wording import DUTY_LABELS, MEMBER_KIND_LABELS, ROLE_LABELS, plural

bp = Blueprint("network", __name__, url_prefix="/manage", template_folder="templates")
access.guard(bp)


def _choices(blank: str, pairs: list[tuple[int, str]]) -> list[SelectChoice]:
    return [SelectChoice("", blank), *(SelectChoice(i, n) for i, n in pairs)]  # type: ignore[arg-type]


def _setting_only() -> None:
    if managed_organisation().kind != OrganisationKind.SETTING:
        abort(404)


# --- partnerships -----------------------------------------------------------------------------


@bp.route("/partnerships", methods=["GET", "POST"])
def partnerships() -> ResponseReturnValue:
    _setting_only()
    setting = managed_organisation()
    form = JoinPartnershipForm()
    form.partnership_id.choices = _choices("Choose a partnership", service.partnership_choices(setting))
    if form.validate_on_submit():
        try:
            membership = service.join_partnership(setting, form.partnership_id.data, form.consent_given_by.data or "",
                                                  form.consent_given_on.data, actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        except Conflict as error:
            flash(str(error), "error")
            return redirect(url_for("network.partnerships"))
        else:
            flash(f"{setting.name} has joined {membership.partnership.name}. It sees your training totals, "
                  "never a name.", "success")
            return redirect(url_for("network.partnerships"))
    return render_template("network/partnerships.html", form=form, memberships=service.list_memberships(setting)), (
        422 if form.errors else 200)


@bp.post("/partnerships/<int:membership_id>/leave")
def leave_partnership(membership_id: int) -> ResponseReturnValue:
    _setting_only()
    require_button()
    membership = service.leave_partnership(managed_organisation(), membership_id, actor=current_user)
    flash(f"You have left {membership.partnership.name}. It no longer sees anything of "
          f"{managed_organisation().name}.", "success")
    return redirect(url_for("network.partnerships"))


# --- a person's kind, duties and placements ---------------------------------------------------


def _member(user_id: int, action: MemberAction = MemberAction.MANAGE):  # type: ignore[no-untyped-def]
    """A person of the managed setting (a person's roles exist only at a setting: a trust or partnership 404s)."""
    return get_member(user_id, action, actor=current_user, organisation=managed_organisation())


def _roles_page(member, kind_form: KindForm | None = None, duty_form: DutyForm | None = None,  # type: ignore[no-untyped-def]
                place_form: PlacementForm | None = None) -> ResponseReturnValue:
    setting = managed_organisation()
    kind_form = kind_form or KindForm(kind=service.kind_at(member, setting))
    duty_form = duty_form or DutyForm()
    place_form = place_form or PlacementForm()
    place_form.setting_id.choices = _choices("Choose a setting", service.placement_choices(member, actor=current_user))
    may_place = len(place_form.setting_id.choices) > 1 and member.organisation_id == setting.id
    errors = kind_form.errors or duty_form.errors or place_form.errors
    return render_template(
        "network/person_roles.html", member=member, kind_form=kind_form, duty_form=duty_form, place_form=place_form,
        may_place=may_place, duties=service.duties_at(setting, [member.id]).get(member.id, []),
        placements=service.list_placements_of(member) if member.organisation_id == setting.id else [],
        placed_here=service.placement_at(member, setting), kind_labels=MEMBER_KIND_LABELS,
        duty_labels=DUTY_LABELS), 422 if errors else 200


@bp.get("/people/<int:user_id>/roles")
def person_roles(user_id: int) -> ResponseReturnValue:
    return _roles_page(_member(user_id, MemberAction.VIEW))


@bp.post("/people/<int:user_id>/kind")
def set_kind(user_id: int) -> ResponseReturnValue:
    member = _member(user_id)
    form = KindForm()
    if form.validate_on_submit():
        try:
            service.set_kind_at(managed_organisation(), member, form.kind.data or "", actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash(f"{member.display_name} is recorded as {MEMBER_KIND_LABELS[form.kind.data].lower()} here.",
                  "success")
            return redirect(url_for("network.person_roles", user_id=member.id))
    return _roles_page(member, kind_form=form)


@bp.post("/people/<int:user_id>/duties")
def add_duty(user_id: int) -> ResponseReturnValue:
    member = _member(user_id)
    form = DutyForm()
    if form.validate_on_submit():
        try:
            service.add_duty(managed_organisation(), member, form.duty.data or "", form.since.data,
                             actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash(f"{member.display_name} is now {DUTY_LABELS[form.duty.data].lower()} here.", "success")
            return redirect(url_for("network.person_roles", user_id=member.id))
    return _roles_page(member, duty_form=form)


@bp.post("/people/<int:user_id>/duties/<int:duty_id>/remove")
def remove_duty(user_id: int, duty_id: int) -> ResponseReturnValue:
    require_button()
    member = _member(user_id)
    service.remove_duty(managed_organisation(), member, duty_id, actor=current_user)
    flash("Duty removed.", "success")
    return redirect(url_for("network.person_roles", user_id=member.id))


@bp.post("/people/<int:user_id>/placements")
def place(user_id: int) -> ResponseReturnValue:
    member = _member(user_id)
    form = PlacementForm()
    form.setting_id.choices = _choices("Choose a setting", service.placement_choices(member, actor=current_user))
    if form.validate_on_submit():
        try:
            placement = service.place_member(member, form.setting_id.data, form.kind.data or "",
                                             form.started_on.data, actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash(f"{member.display_name} now also works at {placement.organisation.name}.", "success")
            return redirect(url_for("network.person_roles", user_id=member.id))
    return _roles_page(member, place_form=form)


@bp.post("/people/<int:user_id>/placements/<int:placement_id>/end")
def end_placement(user_id: int, placement_id: int) -> ResponseReturnValue:
    require_button()
    member = _member(user_id)
    placement = service.end_placement(member, placement_id, actor=current_user)
    flash(f"{member.display_name} no longer works at {placement.organisation.name}.", "success")
    return redirect(url_for("network.person_roles", user_id=member.id))


# --- the training each role needs -------------------------------------------------------------


def _requirement_form(form: RequirementForm | None = None) -> RequirementForm:
    form = form or RequirementForm()
    form.course_id.choices = _choices("Choose a course", list(course_titles().items()))
    return form


def _requirements_page(form: RequirementForm | None = None) -> ResponseReturnValue:
    org = managed_organisation()
    form = _requirement_form(form)
    lines = requirement_sets.requirements_by_role(org)
    return render_template(
        "network/requirements.html", lines=lines, form=form, role_labels=ROLE_LABELS, titles=course_titles(),
        trust=org.trust_id is not None, follows_defaults=[line.role for line in lines
                                                          if line.source == requirement_sets.Source.KCSIE
                                                          and line.requirements],
        is_trust=org.kind == OrganisationKind.TRUST,
        published=requirement_sets.published_document_kinds(org) if org.kind == OrganisationKind.SETTING else None,
    ), 422 if form.errors else 200


@bp.get("/requirements")
def requirements() -> ResponseReturnValue:
    if managed_organisation().kind == OrganisationKind.PARTNERSHIP:
        abort(404)
    return _requirements_page()


@bp.post("/requirements")
def add_requirement() -> ResponseReturnValue:
    form = _requirement_form()
    if form.validate_on_submit():
        data = requirement_sets.RequirementInput(
            form.item.data or "", form.course_id.data, form.session_topic.data or "", form.document_kind.data or "",
            form.every_months.data, form.due_mode.data or "", form.induction_days.data)
        try:
            requirement_sets.add_requirement(managed_organisation(), form.role.data or "", data, actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash(f"Requirement added for {ROLE_LABELS[form.role.data].lower()}.", "success")
            return redirect(url_for("network.requirements", _anchor=f"role-{form.role.data}"))
    return _requirements_page(form)


@bp.post("/requirements/<int:requirement_id>/remove")
def remove_requirement(requirement_id: int) -> ResponseReturnValue:
    require_button()
    role = requirement_sets.remove_requirement(managed_organisation(), requirement_id, actor=current_user)
    flash("Requirement removed.", "success")
    return redirect(url_for("network.requirements", _anchor=f"role-{role}"))


@bp.post("/requirements/follow")
def follow_inherited() -> ResponseReturnValue:
    role = _posted_role()
    requirement_sets.follow_inherited(managed_organisation(), role, actor=current_user)
    flash(f"{ROLE_LABELS[role]}: your own requirements were removed.", "success")
    return redirect(url_for("network.requirements", _anchor=f"role-{role}"))


@bp.post("/requirements/nothing")
def require_nothing() -> ResponseReturnValue:
    role = _posted_role()
    requirement_sets.require_nothing(managed_organisation(), role, actor=current_user)
    flash(f"{ROLE_LABELS[role]}: nothing is required of this role here now.", "success")
    return redirect(url_for("network.requirements", _anchor=f"role-{role}"))


def _posted_role() -> str:
    """The role a per-role button posted (a 400 for anything that is not one)."""
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400, "Choose a role.")
    return form.role.data or ""


@bp.post("/requirements/adopt-defaults")
def adopt_defaults() -> ResponseReturnValue:
    require_button()
    made = requirement_sets.adopt_defaults(managed_organisation(), actor=current_user)
    flash(f"The KCSIE defaults are now in force here ({plural(made, 'requirement')}).", "success")
    return redirect(url_for("network.requirements"))
