"""The public page behind an invitation link: set a password, or join with an existing account."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user

from elearn.auth.service import find_user_by_email
from elearn.auth.sessions import start_session
from elearn.errors import InvalidInput
from elearn.extensions import limiter
from elearn.forms import FORM_EXPIRED, ButtonForm
from elearn.models import Invitation
from elearn.people import invitations
from elearn.people.forms import AcceptInvitationForm

bp = Blueprint("invitations", __name__, template_folder="templates")


def _invalid(message: str = invitations.INVITATION_INVALID) -> ResponseReturnValue:
    return render_template("people/invitation_invalid.html", message=message), 400


@bp.after_request
def no_referrer(response):  # type: ignore[no-untyped-def]
    # The token is in the URL: never leak it to another site in a Referer header.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def accept(token: str) -> ResponseReturnValue:
    invitation = invitations.find_valid_invitation(token)
    if invitation is None:
        return _invalid()
    existing = find_user_by_email(invitation.email)
    if existing is not None and not invitations.is_leaver(existing):
        return _join_existing(token, invitation)
    form = AcceptInvitationForm(display_name=invitation.display_name)
    if form.validate_on_submit():
        try:
            user = invitations.accept_invitation(token, form.display_name.data, form.password.data)
        except InvalidInput as error:
            if error.field == "token":
                return _invalid(error.message)
            error.attach_to(form)
        else:
            session.clear()  # a fresh session after login: no fixation
            start_session(user, user_agent=request.headers.get("User-Agent"), ip=request.remote_addr)
            login_user(user)
            flash(f"Welcome to {user.organisation.name if user.organisation else 'elearn'}. Your account is ready.", "success")
            return redirect(url_for("learning.dashboard"))
    return render_template("people/invitation.html", form=form, invitation=invitation), 422 if form.errors else 200


def _join_existing(token: str, invitation: Invitation) -> ResponseReturnValue:
    """An existing account joins after logging in as itself: nobody is added to an organisation unasked."""
    if not current_user.is_authenticated or current_user.email != invitation.email:
        return render_template("people/invitation_login.html", invitation=invitation,
                               login_url=url_for("auth.login", next=url_for("invitations.accept", token=token)))
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            org = invitations.accept_invitation_as(token, actor=current_user)
        except InvalidInput as error:
            return _invalid(error.message)
        flash(f"You have joined {org.name}.", "success")
        return redirect(url_for("learning.dashboard"))
    if form.is_submitted():
        abort(400, FORM_EXPIRED)
    return render_template("people/invitation_join.html", invitation=invitation, form=form)
