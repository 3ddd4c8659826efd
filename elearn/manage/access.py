"""Who may open the manager pages, and which organisation they are managing.

One rule for every blueprint under /manage (the manage pages and the learning gain pages):
managers and admins only (403 for learners). A manager works on their own organisation; an admin
chooses one with ?org=<id>, which every link on those pages then keeps. Another organisation's id
is a 404 (`service.find_managed_organisation`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from elearn.manage import service
from elearn.models import Organisation, Role

# The one manager page that works before an admin has chosen an organisation: it lists them.
CHOOSE_ORGANISATION = "manage.dashboard"


def guard(blueprint: Blueprint) -> None:
    """Put the manager rule and the kept ?org= on every route of a blueprint."""
    blueprint.before_request(require_manager)
    blueprint.url_defaults(keep_organisation)


def require_manager() -> ResponseReturnValue | None:
    """Managers and admins only; then find the organisation being managed, into g.manage_org."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
    if current_user.role not in (Role.MANAGER, Role.ADMIN):
        abort(403)
    g.manage_org = service.find_managed_organisation(request.args.get("org", type=int), actor=current_user)
    g.manage_org_param = g.manage_org.id if g.manage_org is not None and current_user.is_admin else None
    if g.manage_org is None and request.endpoint != CHOOSE_ORGANISATION:
        return redirect(url_for(CHOOSE_ORGANISATION))
    return None


def keep_organisation(endpoint: str, values: dict[str, Any]) -> None:
    if g.get("manage_org_param") is not None:
        values.setdefault("org", g.manage_org_param)


def managed_organisation() -> Organisation:
    """The organisation the current request manages (set by require_manager)."""
    return g.manage_org  # type: ignore[no-any-return]
