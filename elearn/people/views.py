"""People pages: invitations and CSV import, a member's groups and account, groups, new-starter rules, the
email domains for self-registration, and a learner's certificate name.

Every route is for managers and admins only, on one organisation at a time (elearn/manage/access.py). The
member page itself is compliance's (a learner's training record); the actions on it that change the person
are here. The public page behind an invitation link is invite_views.py.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from elearn.access import MemberAction, get_member
from elearn.catalog.service import course_titles
from elearn.certificates import names
from elearn.db import now_utc
from elearn.errors import InvalidInput
from elearn.forms import FORM_EXPIRED, NameCorrectionForm, require_button
from elearn.manage import access
from elearn.manage.access import managed_organisation
from elearn.people import csv_import, domains, invitations, service
from elearn.people.forms import (
    DomainForm,
    DomainSignupForm,
    GroupForm,
    ImportForm,
    InviteForm,
    MemberGroupsForm,
    NewStarterRuleForm,
)
from elearn.undo import offer_undo
from elearn.wording import MEMBER_KIND_LABELS, plural

bp = Blueprint("people", __name__, url_prefix="/manage", template_folder="templates")
access.guard(bp)


def _course_choices(blank: str = "Choose a course") -> list[SelectChoice]:
    return [SelectChoice("", blank), *(SelectChoice(cid, title) for cid, title in course_titles().items())]


def _group_choices(blank: str) -> list[SelectChoice]:
    return [SelectChoice("", blank), *(SelectChoice(group.id, group.name) for group in service.list_groups(managed_organisation()))]


# --- people --------------------------------------------------------------------------------


@bp.get("/people")
def index() -> ResponseReturnValue:
    org = managed_organisation()
    found = service.search_members(org, request.args.get("q", ""), request.args.get("page", 1, type=int) or 1,
                                   kind=request.args.get("kind") or None)
    return render_template("people/people.html", people=found, kind_labels=MEMBER_KIND_LABELS, invitations=invitations.list_unanswered_invitations(org),
                           titles=course_titles(), groups=service.list_groups(org), leavers=service.list_leavers(org),
                           now=now_utc())


@bp.route("/people/invite", methods=["GET", "POST"])
def invite() -> ResponseReturnValue:
    form = InviteForm()
    form.group_id.choices = _group_choices("No group")
    form.course_ids.choices = _course_choices()[1:]
    if form.validate_on_submit():
        try:
            invitations.invite_person(managed_organisation(), form.display_name.data, form.email.data, group_id=form.group_id.data,
                                      actor=current_user, course_ids=form.course_ids.data or [],
                                      due_in_days=form.due_in_days.data or invitations.DEFAULT_DUE_IN_DAYS,
                                      kind=form.member_kind.data or "staff")
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash(f"Invitation sent to {form.email.data.strip()}.", "success")
            return redirect(url_for("people.index"))
    return render_template("people/invite.html", form=form), 422 if form.errors else 200


@bp.route("/people/import", methods=["GET", "POST"])
def import_people() -> ResponseReturnValue:
    form, report = ImportForm(), None
    if form.validate_on_submit():
        try:
            report = csv_import.import_people(managed_organisation(), form.file.data.read(), actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
    return render_template("people/import.html", form=form, report=report,
                           member_kind_labels=MEMBER_KIND_LABELS), 422 if form.errors else 200


@bp.get("/invitations/<int:invitation_id>/cancel")
def confirm_cancel_invitation(invitation_id: int) -> ResponseReturnValue:
    invitation = invitations.get_invitation(managed_organisation(), invitation_id)
    return render_template("confirm.html", heading=f"Withdraw the invitation to {invitation.display_name}?",
                           details=[f"The link sent to {invitation.email} will stop working."],
                           action=url_for("people.cancel_invitation", invitation_id=invitation.id),
                           button="Withdraw the invitation", back=url_for("people.index", _anchor="invitations"))


@bp.post("/invitations/<int:invitation_id>/cancel")
def cancel_invitation(invitation_id: int) -> ResponseReturnValue:
    require_button()
    token = invitations.cancel_invitation(managed_organisation(), invitation_id, actor=current_user)
    if token is None:
        flash("This invitation was no longer open.", "info")
    else:
        offer_undo("Invitation withdrawn.", url_for("people.undo_cancel_invitation"), token)
    return redirect(url_for("people.index", _anchor="invitations"))


@bp.post("/invitations/undo-cancel")
def undo_cancel_invitation() -> ResponseReturnValue:
    require_button()
    invitation = invitations.undo_cancel_invitation(managed_organisation(), request.form.get("token", ""), actor=current_user)
    flash(f"Invitation to {invitation.display_name} reopened; its link works again.", "success")
    return redirect(url_for("people.index", _anchor="invitations"))


@bp.post("/invitations/<int:invitation_id>/resend")
def resend_invitation(invitation_id: int) -> ResponseReturnValue:
    require_button()
    invitation = invitations.resend_invitation(managed_organisation(), invitation_id, actor=current_user)
    flash(f"A new link has been sent to {invitation.email}; the earlier link no longer works.", "success")
    return redirect(url_for("people.index", _anchor="invitations"))


@bp.post("/people/<int:user_id>/groups")
def member_groups(user_id: int) -> ResponseReturnValue:
    form = MemberGroupsForm()
    if not form.validate_on_submit():
        abort(400, FORM_EXPIRED)
    token = service.change_member_groups(managed_organisation(), user_id, form.group_ids.data or [], actor=current_user)
    if token is None:
        flash("Groups saved.", "success")
    else:
        offer_undo("Groups saved.", url_for("people.undo_member_groups"), token)
    return redirect(url_for("compliance.learner", user_id=user_id))


@bp.post("/people/undo-groups")
def undo_member_groups() -> ResponseReturnValue:
    require_button()
    member = service.undo_group_change(managed_organisation(), request.form.get("token", ""), actor=current_user)
    flash("Groups put back as they were.", "success")
    return redirect(url_for("compliance.learner", user_id=member.id))


@bp.get("/people/<int:user_id>/deactivate")
def confirm_deactivate(user_id: int) -> ResponseReturnValue:
    member = service.get_member_to_deactivate(managed_organisation(), user_id, actor=current_user)
    return render_template("confirm.html", heading=f"Deactivate {member.display_name}?",
                           details=[f"{member.display_name} will be signed out and will not be able to log in.",
                                    "Their training records and certificates are kept, and you can reactivate them later."],
                           action=url_for("people.deactivate", user_id=member.id), button="Deactivate (leaver)",
                           back=url_for("compliance.learner", user_id=member.id))


@bp.post("/people/<int:user_id>/deactivate")
def deactivate(user_id: int) -> ResponseReturnValue:
    require_button()
    token = service.deactivate_member(managed_organisation(), user_id, actor=current_user)
    offer_undo("Account deactivated. Their training records and certificates are kept.", url_for("people.undo_deactivate"), token)
    return redirect(url_for("compliance.learner", user_id=user_id))


@bp.post("/people/undo-deactivate")
def undo_deactivate() -> ResponseReturnValue:
    require_button()
    member = service.undo_deactivation(managed_organisation(), request.form.get("token", ""), actor=current_user)
    flash("Deactivation undone: the account is active again.", "success")
    return redirect(url_for("compliance.learner", user_id=member.id))


@bp.post("/people/<int:user_id>/reactivate")
def reactivate(user_id: int) -> ResponseReturnValue:
    require_button()
    service.set_active(managed_organisation(), user_id, True, actor=current_user)
    flash("Account reactivated.", "success")
    return redirect(url_for("compliance.learner", user_id=user_id))


@bp.route("/learners/<int:user_id>/name", methods=["GET", "POST"])
def correct_learner_name(user_id: int) -> ResponseReturnValue:
    """The name on a learner's certificates, corrected by their manager (elearn/access.py's RENAME rule)."""
    learner = get_member(user_id, MemberAction.RENAME, actor=current_user, organisation=managed_organisation())
    form = NameCorrectionForm(data={"display_name": learner.display_name})
    if form.validate_on_submit():
        try:
            reissued = names.correct_name(learner, form.display_name.data, actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash(f"Name saved. {plural(len(reissued), 'certificate')} re-issued with the new name, under the same codes.", "success")
            return redirect(url_for("people.correct_learner_name", user_id=learner.id))
    return render_template("people/learner_name.html", form=form, learner=learner), 422 if form.errors else 200


# --- groups --------------------------------------------------------------------------------


@bp.route("/groups", methods=["GET", "POST"])
def groups() -> ResponseReturnValue:
    form = GroupForm()
    if form.validate_on_submit():
        try:
            service.create_group(managed_organisation(), form.name.data, actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Group added.", "success")
            return redirect(url_for("people.groups"))
    return render_template("people/groups.html", form=form, groups=service.group_sizes(managed_organisation())), \
        422 if form.errors else 200


@bp.get("/groups/<int:group_id>/delete")
def confirm_delete_group(group_id: int) -> ResponseReturnValue:
    group = service.get_group(managed_organisation(), group_id)
    return render_template("confirm.html", heading=f"Delete the group {group.name}?",
                           details=["Its members stay in your organisation, with their records; only the group goes."],
                           action=url_for("people.delete_group", group_id=group.id), button="Delete the group",
                           back=url_for("people.groups"))


@bp.post("/groups/<int:group_id>/delete")
def delete_group(group_id: int) -> ResponseReturnValue:
    require_button()
    token = service.delete_group(managed_organisation(), group_id, actor=current_user)
    offer_undo("Group deleted. Its members and their records are kept.", url_for("people.undo_delete_group"), token)
    return redirect(url_for("people.groups"))


@bp.post("/groups/undo-delete")
def undo_delete_group() -> ResponseReturnValue:
    require_button()
    try:
        group = service.undo_delete_group(managed_organisation(), request.form.get("token", ""), actor=current_user)
    except InvalidInput as error:
        if error.field != "name":
            raise
        # a group of the same name was made since
        flash(f"The group cannot be brought back: {error.message}", "error")
    else:
        flash(f"Group {group.name} is back, with its members.", "success")
    return redirect(url_for("people.groups"))


# --- new-starter rules ---------------------------------------------------------------------


@bp.route("/new-starters", methods=["GET", "POST"])
def new_starters() -> ResponseReturnValue:
    form = NewStarterRuleForm()
    form.course_id.choices = _course_choices()
    form.group_id.choices = _group_choices("Everyone who joins the organisation")
    if form.validate_on_submit():
        try:
            service.save_new_starter_rule(managed_organisation(), form.course_id.data, form.due_in_days.data, actor=current_user,
                                          group_id=form.group_id.data)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("New-starter rule saved.", "success")
            return redirect(url_for("people.new_starters"))
    return render_template("people/new_starters.html", form=form, rules=service.list_new_starter_rules(managed_organisation()),
                           titles=course_titles()), 422 if form.errors else 200


@bp.get("/new-starters/<int:rule_id>/delete")
def confirm_delete_new_starter_rule(rule_id: int) -> ResponseReturnValue:
    rule = service.get_new_starter_rule(managed_organisation(), rule_id)
    title = course_titles().get(rule.course_id, "this course")
    return render_template("confirm.html", heading=f"Stop assigning {title} to new starters?",
                           details=["People who join from now on will not be given it. Assignments it already made are kept."],
                           action=url_for("people.delete_new_starter_rule", rule_id=rule.id), button="Remove the rule",
                           back=url_for("people.new_starters"))


@bp.post("/new-starters/<int:rule_id>/delete")
def delete_new_starter_rule(rule_id: int) -> ResponseReturnValue:
    require_button()
    token = service.delete_new_starter_rule(managed_organisation(), rule_id, actor=current_user)
    offer_undo("Rule removed. Assignments it already made are kept.", url_for("people.undo_delete_new_starter_rule"), token)
    return redirect(url_for("people.new_starters"))


@bp.post("/new-starters/undo-delete")
def undo_delete_new_starter_rule() -> ResponseReturnValue:
    require_button()
    service.undo_delete_new_starter_rule(managed_organisation(), request.form.get("token", ""), actor=current_user)
    flash("New-starter rule restored.", "success")
    return redirect(url_for("people.new_starters"))


# --- settings ------------------------------------------------------------------------------


@bp.get("/settings")
def settings() -> ResponseReturnValue:
    return render_template("people/settings.html", domains=domains.list_domains(managed_organisation()), domain_form=DomainForm(),
                           signup_form=DomainSignupForm(allow=managed_organisation().allow_domain_signup))


@bp.post("/settings/signup")
def domain_signup() -> ResponseReturnValue:
    form = DomainSignupForm()
    if not form.validate_on_submit():
        abort(400, FORM_EXPIRED)
    domains.set_domain_signup(managed_organisation(), bool(form.allow.data), actor=current_user)
    flash("Self-registration setting saved.", "success")
    return redirect(url_for("people.settings"))


@bp.post("/settings/domains")
def add_domain() -> ResponseReturnValue:
    domains.check_can_edit_domains(current_user)
    form = DomainForm()
    if form.validate_on_submit():
        try:
            domains.add_domain(managed_organisation(), form.domain.data, actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Domain added.", "success")
            return redirect(url_for("people.settings"))
    return render_template("people/settings.html", domains=domains.list_domains(managed_organisation()), domain_form=form,
                           signup_form=DomainSignupForm(allow=managed_organisation().allow_domain_signup)), 422


@bp.post("/settings/domains/<int:domain_id>/delete")
def remove_domain(domain_id: int) -> ResponseReturnValue:
    require_button()
    domains.remove_domain(managed_organisation(), domain_id, actor=current_user)
    flash("Domain removed.", "info")
    return redirect(url_for("people.settings"))
