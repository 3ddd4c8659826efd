"""Our safeguarding contacts, kept by the organisation's managers (/manage/contacts).

Every route is for managers and admins only, on one organisation at a time (elearn/manage/access.py).
Learners see the contacts on the "Worried about a child?" page and at the end of every course
(`service.contacts_for`, rendered by contacts/_contacts_box.html).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from elearn.contacts import service
from elearn.contacts.forms import ContactForm
from elearn.contacts.service import ROLE_LABELS, ContactInput
from elearn.errors import InvalidInput
from elearn.forms import require_button
from elearn.manage import access
from elearn.manage.access import managed_organisation

bp = Blueprint("contacts", __name__, url_prefix="/manage", template_folder="templates")
access.guard(bp)


def _contact_input(form: ContactForm) -> ContactInput:
    return ContactInput(form.role.data, form.name.data or "", form.phone.data or "", form.email.data or "",
                        form.notes.data or "")


@bp.route("/contacts", methods=["GET", "POST"])
def contact_list() -> ResponseReturnValue:
    form = ContactForm()
    if form.validate_on_submit():
        try:
            service.add_contact(managed_organisation(), _contact_input(form), actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Contact added. Your staff now see it on the “Worried about a child?” page.", "success")
            return redirect(url_for("contacts.contact_list"))
    return render_template("contacts/contacts.html", form=form, contacts=service.list_contacts(managed_organisation().id),
                           role_labels=ROLE_LABELS), 422 if form.errors else 200


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def edit_contact(contact_id: int) -> ResponseReturnValue:
    contact = service.get_contact(managed_organisation(), contact_id)
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        try:
            service.update_contact(managed_organisation(), contact.id, _contact_input(form), actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Contact saved.", "success")
            return redirect(url_for("contacts.contact_list"))
    return render_template("contacts/contact_edit.html", form=form, contact=contact), 422 if form.errors else 200


@bp.post("/contacts/<int:contact_id>/delete")
def delete_contact(contact_id: int) -> ResponseReturnValue:
    service.get_contact(managed_organisation(), contact_id)  # 404 before 400 for another organisation's id
    require_button()
    service.delete_contact(managed_organisation(), contact_id, actor=current_user)
    flash("Contact removed.", "info")
    return redirect(url_for("contacts.contact_list"))
