"""The manager area's guard: who may open the manager pages (elearn/access.py's rule), and which organisation
they are managing.

Every blueprint under /manage calls guard(bp), and tests/manage/test_access.py walks app.url_map to prove that
every /manage route belongs to a guarded blueprint. Managers and admins only (the area is no secret: 403 for
learners). A manager works on their own organisation; an admin chooses one with ?org=<id>, which every link on
those pages then keeps, and so does a trust's lead among the trust's settings (and the trust itself, for its
central staff). An organisation the actor does not manage is a 404 (find_managed_organisation).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from elearn.access import (
    Area,
    enter_area,
    is_admin,
    is_manager_of,
    is_trust_lead,
    require_admin,
    require_area,
    trust_setting_ids,
)
from elearn.errors import NotFound
from elearn.extensions import db
from elearn.models import Organisation, User

# The names of the blueprints guard() has been applied to: the access test checks every /manage route against it.
GUARDED: set[str] = set()

# The manager area's front page, /manage/ (compliance's dashboard). An admin who has not chosen an organisation
# yet is shown the list of organisations there, and sent there from every other manager page.
HOME = "compliance.dashboard"


def guard(blueprint: Blueprint) -> None:
    """Put the manager rule, the kept ?org= and the managed organisation (for the layout) on every route of a blueprint."""
    blueprint.before_request(require_manager)
    blueprint.url_defaults(keep_organisation)
    blueprint.context_processor(manager_context)
    GUARDED.add(blueprint.name)


def require_manager() -> ResponseReturnValue | None:
    """Managers and admins only; then find the organisation being managed, into g.manage_org (an admin who has
    not chosen one gets the organisation chooser instead of the page)."""
    refused = enter_area(Area.MANAGE)
    if refused is not None:
        return refused
    g.manage_org = find_managed_organisation(request.args.get("org", type=int), actor=current_user)
    g.manage_chooses = chooses_organisation(current_user)
    g.manage_org_param = g.manage_org.id if g.manage_org is not None and g.manage_chooses else None
    if g.manage_org is None:
        if request.endpoint != HOME:
            return redirect(url_for(HOME))
        return render_template("manage/choose_organisation.html", organisations=list_organisations(actor=current_user),
                               trust_lead=is_trust_lead(current_user))
    return None


def chooses_organisation(actor: User) -> bool:
    """Whether the actor picks the organisation to manage (?org=): an admin, any; a trust's lead, one of its own."""
    return is_admin(actor) or is_trust_lead(actor)


def keep_organisation(endpoint: str, values: dict[str, Any]) -> None:
    if g.get("manage_org_param") is not None:
        values.setdefault("org", g.manage_org_param)


def manager_context() -> dict[str, Any]:
    return {"org": g.get("manage_org"), "chooses_organisation": g.get("manage_chooses", False)}


def managed_organisation() -> Organisation:
    """The organisation the current request manages (set by require_manager)."""
    return g.manage_org  # type: ignore[no-any-return]


def find_managed_organisation(org_id: int | None, *, actor: User) -> Organisation | None:
    """The organisation the actor manages: a manager's own (any other id is NotFound); for an admin or a trust's
    lead the one asked for (a trust lead's among the trust's settings), or None when they have not chosen one."""
    require_area(actor, Area.MANAGE)
    if org_id is None:
        if chooses_organisation(actor):
            return None
        org_id = actor.organisation_id
    org = db.session.get(Organisation, org_id) if org_id is not None else None
    if org is None or not is_manager_of(actor, org.id):
        raise NotFound("There is no organisation at this address.")
    return org


def list_organisations(*, actor: User) -> list[Organisation]:
    """The organisations the actor may choose among: every one for an admin; for a trust's lead the trust's settings
    and then the trust itself (its central staff). Anyone else chooses nothing (403, as every admin-only check)."""
    if is_trust_lead(actor) and actor.organisation is not None:
        settings = db.session.scalars(select(Organisation).where(Organisation.id.in_(
            trust_setting_ids(actor.organisation.id))).order_by(Organisation.name))
        return [*settings, actor.organisation]
    require_admin(actor, "Only an administrator or a trust's lead chooses an organisation to manage.")
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
