"""Manager pages: compliance dashboard, training matrix, people, groups, assignments and settings.

Every route is for managers and admins only (403 for learners). A manager works on their own
organisation; an admin chooses one with ?org=<id>, which every link on these pages then keeps.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from elearn.auth.forms import ButtonForm
from elearn.errors import InvalidInput
from elearn.manage import csv_import, domains, invitations, learners, matrix_args, record_views, reports, service
from elearn.manage.compliance import LABELS
from elearn.manage.forms import (
    AssignForm,
    AssignOneForm,
    DomainForm,
    DomainSignupForm,
    GroupForm,
    ImportForm,
    InviteForm,
    MemberGroupsForm,
    NewStarterRuleForm,
)
from elearn.manage.matrix import training_matrix
from elearn.manage.record_forms import CertificateSelectionForm
from elearn.models import Organisation, Role

bp = Blueprint("manage", __name__, url_prefix="/manage", template_folder="templates")
record_views.register(bp)  # exports, safeguarding contacts and training from elsewhere


@bp.before_request
def require_manager() -> ResponseReturnValue | None:
    """Managers and admins only; then find the organisation being managed (another one is a 404)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
    if current_user.role not in (Role.MANAGER, Role.ADMIN):
        abort(403)
    g.manage_org = service.find_managed_organisation(request.args.get("org", type=int), actor=current_user)
    g.manage_org_param = g.manage_org.id if g.manage_org is not None and current_user.is_admin else None
    if g.manage_org is None and request.endpoint != "manage.dashboard":
        return redirect(url_for("manage.dashboard"))
    return None


@bp.url_defaults
def keep_organisation(endpoint: str, values: dict[str, Any]) -> None:
    if g.get("manage_org_param") is not None:
        values.setdefault("org", g.manage_org_param)


@bp.context_processor
def manage_context() -> dict[str, Any]:
    return {"org": g.get("manage_org"), "status_labels": LABELS, "button_form": ButtonForm(formdata=None)}


def _org() -> Organisation:
    return g.manage_org  # type: ignore[no-any-return]


def _attach(form: FlaskForm, error: InvalidInput) -> None:
    target = getattr(form, error.field, None)
    if target is None:
        raise error
    target.errors = [*target.errors, error.message]


def _require_button() -> None:
    if not ButtonForm().validate_on_submit():
        abort(400, "The form had expired. Please try again.")


def _course_choices(blank: str = "Choose a course") -> list[SelectChoice]:
    return [SelectChoice("", blank), *(SelectChoice(cid, title) for cid, title in service.course_titles().items())]


def _group_choices(blank: str) -> list[SelectChoice]:
    return [SelectChoice("", blank), *(SelectChoice(group.id, group.name) for group in service.list_groups(_org()))]


# --- reports -------------------------------------------------------------------------------


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    if _org() is None:
        return render_template("manage/choose_organisation.html",
                               organisations=service.list_organisations(actor=current_user))
    return render_template("manage/dashboard.html", dashboard=reports.compliance_dashboard(_org()))


@bp.get("/matrix")
def matrix() -> ResponseReturnValue:
    form, query = matrix_args.read_matrix_filters(_org(), request.args)
    return render_template("manage/matrix.html", form=form, matrix=training_matrix(_org(), query),
                           selection_form=CertificateSelectionForm())


# --- people --------------------------------------------------------------------------------


@bp.get("/people")
def people() -> ResponseReturnValue:
    return render_template("manage/people.html", invitations=invitations.list_open_invitations(_org()),
                           groups=service.list_groups(_org()), leavers=service.list_leavers(_org()))


@bp.route("/people/invite", methods=["GET", "POST"])
def invite() -> ResponseReturnValue:
    form = InviteForm()
    form.group_id.choices = _group_choices("No group")
    if form.validate_on_submit():
        try:
            invitations.invite_person(_org(), form.display_name.data, form.email.data, group_id=form.group_id.data,
                                      actor=current_user)
        except InvalidInput as error:
            _attach(form, error)
        else:
            flash(f"Invitation sent to {form.email.data.strip()}.", "success")
            return redirect(url_for("manage.people"))
    return render_template("manage/invite.html", form=form), 422 if form.errors else 200


@bp.route("/people/import", methods=["GET", "POST"])
def import_people() -> ResponseReturnValue:
    form, report = ImportForm(), None
    if form.validate_on_submit():
        try:
            report = csv_import.import_people(_org(), form.file.data.read(), actor=current_user)
        except InvalidInput as error:
            _attach(form, error)
    return render_template("manage/import.html", form=form, report=report), 422 if form.errors else 200


@bp.post("/invitations/<int:invitation_id>/cancel")
def cancel_invitation(invitation_id: int) -> ResponseReturnValue:
    _require_button()
    invitations.cancel_invitation(_org(), invitation_id, actor=current_user)
    flash("Invitation withdrawn.", "info")
    return redirect(url_for("manage.people"))


@bp.get("/people/<int:user_id>")
def learner(user_id: int) -> ResponseReturnValue:
    member = service.get_member(_org(), user_id)
    assign_form = AssignOneForm()
    assign_form.course_id.choices = _course_choices()
    groups_form = MemberGroupsForm()
    groups_form.group_ids.choices = [SelectChoice(group.id, group.name) for group in service.list_groups(_org())]
    return render_template("manage/learner.html", record=learners.learner_record(member), assign_form=assign_form,
                           groups_form=groups_form)


@bp.get("/people/<int:user_id>/attempts/<int:attempt_id>")
def learner_attempt(user_id: int, attempt_id: int) -> ResponseReturnValue:
    attempt = learners.get_member_attempt(_org(), user_id, attempt_id)
    return render_template("manage/attempt.html", attempt=attempt, member=attempt.user)


@bp.post("/people/<int:user_id>/assign")
def assign_learner(user_id: int) -> ResponseReturnValue:
    member = service.get_member(_org(), user_id)
    form = AssignOneForm()
    if not form.validate_on_submit():
        abort(400, "Choose a course and a due date.")
    result = service.assign_course(_org(), form.course_id.data, form.due_on.data, user_id=member.id, actor=current_user)
    flash("Course assigned." if result.created else "This course was already assigned.", "success")
    return redirect(url_for("manage.learner", user_id=member.id))


@bp.post("/people/<int:user_id>/groups")
def member_groups(user_id: int) -> ResponseReturnValue:
    form = MemberGroupsForm()
    if not form.validate_on_submit():
        abort(400, "The form had expired. Please try again.")
    service.set_member_groups(_org(), user_id, form.group_ids.data or [], actor=current_user)
    flash("Groups saved.", "success")
    return redirect(url_for("manage.learner", user_id=user_id))


@bp.post("/people/<int:user_id>/deactivate")
def deactivate(user_id: int) -> ResponseReturnValue:
    _require_button()
    service.set_active(_org(), user_id, False, actor=current_user)
    flash("Account deactivated. Their training records and certificates are kept.", "info")
    return redirect(url_for("manage.learner", user_id=user_id))


@bp.post("/people/<int:user_id>/reactivate")
def reactivate(user_id: int) -> ResponseReturnValue:
    _require_button()
    service.set_active(_org(), user_id, True, actor=current_user)
    flash("Account reactivated.", "success")
    return redirect(url_for("manage.learner", user_id=user_id))


# --- groups --------------------------------------------------------------------------------


@bp.route("/groups", methods=["GET", "POST"])
def groups() -> ResponseReturnValue:
    form = GroupForm()
    if form.validate_on_submit():
        try:
            service.create_group(_org(), form.name.data, actor=current_user)
        except InvalidInput as error:
            _attach(form, error)
        else:
            flash("Group added.", "success")
            return redirect(url_for("manage.groups"))
    return render_template("manage/groups.html", form=form, groups=service.group_sizes(_org())), \
        422 if form.errors else 200


@bp.post("/groups/<int:group_id>/delete")
def delete_group(group_id: int) -> ResponseReturnValue:
    _require_button()
    service.delete_group(_org(), group_id, actor=current_user)
    flash("Group deleted. Its members and their records are kept.", "info")
    return redirect(url_for("manage.groups"))


# --- assignments ---------------------------------------------------------------------------


@bp.route("/assignments", methods=["GET", "POST"])
def assignments() -> ResponseReturnValue:
    form = AssignForm()
    form.course_id.choices, form.group_id.choices = _course_choices(), _group_choices("Choose a group")
    if form.validate_on_submit():
        try:
            result = service.assign_course(_org(), form.course_id.data, form.due_on.data, actor=current_user,
                                           group_id=form.group_id.data if form.audience.data == "group" else None)
        except InvalidInput as error:
            _attach(form, error)
        else:
            flash(f"Assigned to {result.created} people; {result.already} already had it.", "success")
            return redirect(url_for("manage.assignments"))
    return render_template("manage/assignments.html", form=form), 422 if form.errors else 200


@bp.post("/assignments/<int:assignment_id>/remove")
def remove_assignment(assignment_id: int) -> ResponseReturnValue:
    _require_button()
    user_id = service.get_assignment(_org(), assignment_id).user_id
    service.remove_assignment(_org(), assignment_id, actor=current_user)
    flash("Assignment removed.", "info")
    return redirect(url_for("manage.learner", user_id=user_id))


@bp.route("/new-starters", methods=["GET", "POST"])
def new_starters() -> ResponseReturnValue:
    form = NewStarterRuleForm()
    form.course_id.choices = _course_choices()
    if form.validate_on_submit():
        try:
            service.save_new_starter_rule(_org(), form.course_id.data, form.due_in_days.data, actor=current_user)
        except InvalidInput as error:
            _attach(form, error)
        else:
            flash("New-starter rule saved.", "success")
            return redirect(url_for("manage.new_starters"))
    return render_template("manage/new_starters.html", form=form, rules=service.list_new_starter_rules(_org()),
                           titles=service.course_titles()), 422 if form.errors else 200


@bp.post("/new-starters/<int:rule_id>/delete")
def delete_new_starter_rule(rule_id: int) -> ResponseReturnValue:
    _require_button()
    service.delete_new_starter_rule(_org(), rule_id, actor=current_user)
    flash("Rule removed. Assignments it already made are kept.", "info")
    return redirect(url_for("manage.new_starters"))


# --- settings ------------------------------------------------------------------------------


@bp.get("/settings")
def settings() -> ResponseReturnValue:
    return render_template("manage/settings.html", domains=domains.list_domains(_org()), domain_form=DomainForm(),
                           signup_form=DomainSignupForm(allow=_org().allow_domain_signup))


@bp.post("/settings/signup")
def domain_signup() -> ResponseReturnValue:
    form = DomainSignupForm()
    if not form.validate_on_submit():
        abort(400, "The form had expired. Please try again.")
    domains.set_domain_signup(_org(), bool(form.allow.data), actor=current_user)
    flash("Self-registration setting saved.", "success")
    return redirect(url_for("manage.settings"))


@bp.post("/settings/domains")
def add_domain() -> ResponseReturnValue:
    domains.check_can_edit_domains(current_user)
    form = DomainForm()
    if form.validate_on_submit():
        try:
            domains.add_domain(_org(), form.domain.data, actor=current_user)
        except InvalidInput as error:
            _attach(form, error)
        else:
            flash("Domain added.", "success")
            return redirect(url_for("manage.settings"))
    return render_template("manage/settings.html", domains=domains.list_domains(_org()), domain_form=form,
                           signup_form=DomainSignupForm(allow=_org().allow_domain_signup)), 422


@bp.post("/settings/domains/<int:domain_id>/delete")
def remove_domain(domain_id: int) -> ResponseReturnValue:
    _require_button()
    domains.remove_domain(_org(), domain_id, actor=current_user)
    flash("Domain removed.", "info")
    return redirect(url_for("manage.settings"))
