"""Manager pages for exports, on the manage blueprint.

views.py calls register(bp), so these routes share its before_request (managers and admins only, the
organisation being managed in g.manage_org) and its endpoint names ("manage.export_csv" …).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from elearn import downloads
from elearn.errors import InvalidInput
from elearn.manage import exports, matrix_args
from elearn.manage.access import managed_organisation
from elearn.manage.forms import CertificateSelectionForm

_ROUTES: list[tuple[str, Callable[..., ResponseReturnValue], dict[str, Any]]] = []


def route(rule: str, **options: Any) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        _ROUTES.append((rule, view, options))
        return view
    return decorate


def register(bp: Blueprint) -> None:
    """Add this module's routes to the manage blueprint."""
    for rule, view, options in _ROUTES:
        bp.add_url_rule(rule, view_func=view, **options)


# --- exports -------------------------------------------------------------------------------


@route("/matrix/export.csv", methods=["GET"])
def export_csv() -> ResponseReturnValue:
    _, query = matrix_args.read_matrix_filters(managed_organisation(), request.args)
    return downloads.send(exports.export_matrix_csv(managed_organisation(), query, actor=current_user))


@route("/training-record.pdf", methods=["GET"])
def export_pdf() -> ResponseReturnValue:
    _, query = matrix_args.read_matrix_filters(managed_organisation(), request.args)
    return downloads.send(exports.export_training_record(managed_organisation(), query, actor=current_user))


@route("/certificates.zip", methods=["GET", "POST"])
def export_zip() -> ResponseReturnValue:
    """GET: the certificates of everyone matching the matrix filters; POST: of the people ticked."""
    form = CertificateSelectionForm()
    if request.method == "POST" and not form.validate_on_submit():
        abort(400, "The form had expired, or nobody was ticked. Please try again.")
    _, query = matrix_args.read_matrix_filters(managed_organisation(), request.args)
    try:
        export = exports.export_certificates_zip(managed_organisation(), actor=current_user, query=query,
                                                 user_ids=form.user_ids.data if request.method == "POST" else None)
    except InvalidInput as error:
        flash(error.message, "error")
        filters: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("manage.matrix", **filters))
    return downloads.send(export)
