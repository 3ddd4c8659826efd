"""Sign in with Microsoft or Google (/sso), and an organisation's single sign-on settings (/manage/sso)."""

from __future__ import annotations

import time

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from elearn import access as policy
from elearn.auth import known_browsers, sessions
from elearn.errors import InvalidInput
from elearn.extensions import limiter
from elearn.forms import FORM_EXPIRED, require_button
from elearn.manage import access
from elearn.manage.access import find_managed_organisation, managed_organisation
from elearn.sso import client, service
from elearn.sso.forms import ConnectionForm, ConnectionOptionsForm
from elearn.sso.providers import Provider

bp = Blueprint("sso", __name__, url_prefix="/sso", template_folder="templates")
manage_bp = Blueprint("sso_manage", __name__, url_prefix="/manage", template_folder="templates")
access.guard(manage_bp)

# auth/views.py's two-factor step reads this key: the user who passed the first step, and when.
TWO_FACTOR_PENDING = "two_factor_pending"
# The provider's answers that mean the person, or their organisation's policy, did not let the sign-in happen.
DECLINED = frozenset({"access_denied", "consent_required", "interaction_required", "login_required"})
# A signed-in manager confirming a connection by signing in through it: the connection and its organisation.
CONFIRMING = "sso_confirming"


def _provider(name: str) -> Provider:
    provider = client.find_provider(name)
    if provider is None:
        abort(404)
    return provider


def _refused(error: service.SsoRefused, provider: Provider) -> ResponseReturnValue:
    return render_template("sso/refused.html", reason=error.reason, provider=provider), service.REASONS[error.reason]


@bp.get("/<name>/start")
def start(name: str) -> ResponseReturnValue:
    provider = _provider(name)
    if current_user.is_authenticated and CONFIRMING not in session:
        return redirect(url_for("learning.dashboard"))
    callback = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("sso.callback", name=provider.name)
    try:
        return client.start(provider, callback)  # type: ignore[no-any-return]
    except (requests.RequestException, ValueError) as error:
        return _refused(service.refuse("outage", provider, stage="discovery", error=type(error).__name__), provider)


@bp.get("/<name>/callback")
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"])
def callback(name: str) -> ResponseReturnValue:
    provider = _provider(name)
    confirming = session.pop(CONFIRMING, None)
    if confirming is not None and current_user.is_authenticated:
        return _confirm(provider, confirming)
    try:
        sign_in = service.complete_sign_in(provider, _checked_claims(provider))
    except service.SsoRefused as error:
        return _refused(error, provider)
    if sign_in.needs_second_factor and sessions.is_remembered_device(
            sign_in.user, request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])):
        sign_in = service.record_remembered_device(sign_in, provider)
    if sign_in.needs_second_factor:  # the provider did not say "mfa": the TOTP step, as after a password
        session.clear()
        session[TWO_FACTOR_PENDING] = {"user": sign_in.user.id, "at": int(time.time())}
        return redirect(url_for("auth.two_factor"))
    return _signed_in(sign_in)


def _confirm(provider: Provider, confirming: dict[str, int]) -> ResponseReturnValue:
    """The manager signed in through the tenant they connected: it is theirs, so it now works."""
    org = find_managed_organisation(confirming.get("org"), actor=current_user)
    if org is None:
        abort(404)
    try:
        service.confirm_connection(org, int(confirming.get("connection", 0)), provider, _checked_claims(provider),
                                   actor=current_user)
    except service.SsoRefused as error:
        return _refused(error, provider)
    except InvalidInput as error:
        flash(error.message, "error")
    else:
        flash("Confirmed. Staff can now sign in with it.", "success")
    return redirect(url_for("sso_manage.settings", org=org.id if policy.is_admin(current_user) else None))


def _checked_claims(provider: Provider) -> dict[str, object]:
    """The ID token's claims after every check, or SsoRefused naming what went wrong (audited)."""
    try:
        return client.finish(provider)
    except MismatchingStateError:
        raise service.refuse("expired", provider) from None
    except OAuthError as error:  # an error from the provider: declined consent, or the token endpoint refusing
        reason = "cancelled" if error.error in DECLINED else "expired"
        raise service.refuse(reason, provider, error=str(error.error)[:100]) from None
    except requests.RequestException as error:
        raise service.refuse("outage", provider, error=type(error).__name__) from None
    except (JoseError, client.MissingIdToken, ValueError) as error:
        raise service.refuse("invalid_token", provider, error=type(error).__name__) from None


def _signed_in(sign_in: service.SignIn) -> Response:
    """The same session start as a password sign-in: a fresh session and CSRF token, this browser known."""
    user = sign_in.user
    session.clear()
    sessions.start_session(user, user_agent=request.headers.get("User-Agent"), ip=request.remote_addr)
    login_user(user)
    if sign_in.provider_mfa:
        session[service.MFA_SESSION_KEY] = True
    response = make_response(redirect(url_for(policy.landing_endpoint(user))))
    cookie = current_app.config["KNOWN_BROWSER_COOKIE"]
    response.set_cookie(cookie, known_browsers.cookie_with(request.cookies.get(cookie), user),
                        max_age=int(known_browsers.MAX_AGE.total_seconds()), httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


# --- the organisation's settings -------------------------------------------------------------


def _settings_page(form: ConnectionForm | None = None) -> ResponseReturnValue:
    org = managed_organisation()
    connections = service.list_connections(org)
    options = {c.id: ConnectionOptionsForm(prefix=f"c{c.id}", auto_join=c.auto_join, require_sso=c.require_sso)
               for c in connections}
    form = form or ConnectionForm()
    return render_template("sso/settings.html", connections=connections, options=options, form=form,
                           enabled=client.enabled_providers()), 422 if form.errors else 200


@manage_bp.get("/sso")
def settings() -> ResponseReturnValue:
    return _settings_page()


@manage_bp.post("/sso/connections")
def add_connection() -> ResponseReturnValue:
    form = ConnectionForm()
    if form.validate_on_submit():
        try:
            service.add_connection(managed_organisation(), form.provider.data, form.tenant.data,
                                   auto_join=bool(form.auto_join.data), require_sso=bool(form.require_sso.data),
                                   actor=current_user)
        except InvalidInput as error:
            error.attach_to(form)
        else:
            flash("Connected." if policy.is_admin(current_user) else
                  "Connected. Now confirm it: sign in once with an account of that tenant or domain.", "success")
            return redirect(url_for("sso_manage.settings"))
    return _settings_page(form)


@manage_bp.post("/sso/connections/<int:connection_id>")
def change_connection(connection_id: int) -> ResponseReturnValue:
    form = ConnectionOptionsForm(prefix=f"c{connection_id}")
    if not form.validate_on_submit():
        abort(400, FORM_EXPIRED)
    service.set_connection_options(managed_organisation(), connection_id, auto_join=bool(form.auto_join.data),
                                   require_sso=bool(form.require_sso.data), actor=current_user)
    flash("Single sign-on setting saved.", "success")
    return redirect(url_for("sso_manage.settings"))


@manage_bp.post("/sso/connections/<int:connection_id>/confirm")
def confirm_connection(connection_id: int) -> ResponseReturnValue:
    require_button()
    org = managed_organisation()
    row = service.get_connection(org, connection_id)
    session[CONFIRMING] = {"connection": row.id, "org": org.id}
    return redirect(url_for("sso.start", name=row.provider))


@manage_bp.post("/sso/connections/<int:connection_id>/delete")
def remove_connection(connection_id: int) -> ResponseReturnValue:
    require_button()
    service.remove_connection(managed_organisation(), connection_id, actor=current_user)
    flash("Disconnected.", "info")
    return redirect(url_for("sso_manage.settings"))
