"""The elearn application factory."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

from flask import Flask, Response, request
from flask.globals import _cv_request
from flask_login import current_user

from config import CONFIGS
from elearn.security import LimitedRequest, SigningOnceSessionInterface

# Arguments a memoised link may have (elearn.Elearn.url_for): not bool (True == 1 would share a key with 1).
_PLAIN = (str, int)
# Files the same for everyone: cacheable even for a signed-in visitor (every other response to one is no-store).
PUBLIC_FILES = frozenset({"static", "pages.favicon"})


class Elearn(Flask):
    """Flask, with form bodies limited in both encodings and its error log line redacted like every other log."""

    request_class = LimitedRequest
    # Links built in a request, by endpoint, arguments and the request's base (host, scheme, script root). Bounded:
    # arguments can be ids and slugs; when full it starts again.
    URL_MEMO_SIZE = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._url_memo: dict[tuple[object, ...], str] = {}
        self._endpoints_with_url_defaults: dict[str, bool] = {}

    def url_for(self, /, endpoint: str, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values: Any) -> str:
        """Flask's url_for, each link built once per process: a page's header alone builds 16 (about 3 µs each).

        Only a plain relative link in a request is kept: not one with an anchor, a method, a scheme or
        `_external`, not a relative endpoint (".name"), not one with arguments other than strings and integers,
        and not an endpoint a `url_defaults` function may change (the manager area fills in the organisation).
        The key holds what Werkzeug builds from besides the endpoint and arguments: the request's host, scheme,
        script root and method. Anything else goes to Flask as before.
        """
        context = _cv_request.get(None)
        if (context is None or _anchor is not None or _method is not None or _scheme is not None
                or _external is not None or (values and not all(type(value) in _PLAIN for value in values.values()))):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        adapter = context.url_adapter
        key = (endpoint, adapter.server_name, adapter.url_scheme, adapter.script_name, adapter.subdomain,  # type: ignore[union-attr]
               adapter.default_method, *values.items())  # type: ignore[union-attr]
        url = self._url_memo.get(key)
        if url is None:
            url = super().url_for(endpoint, **values)
            if endpoint[:1] != "." and not self._has_url_defaults(endpoint):  # those depend on the request
                if len(self._url_memo) >= self.URL_MEMO_SIZE:
                    self._url_memo.clear()
                self._url_memo[key] = url
        return url

    def _has_url_defaults(self, endpoint: str) -> bool:
        found = self._endpoints_with_url_defaults.get(endpoint)
        if found is None:
            parts = endpoint.split(".")[:-1]
            blueprints = [None, *(".".join(parts[:n]) for n in range(1, len(parts) + 1))]
            found = self._endpoints_with_url_defaults[endpoint] = any(
                self.url_default_functions.get(name) for name in blueprints)
        return found

    def log_exception(
        self, exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None]
    ) -> None:
        """Flask's "Exception on <path>" line, with the token of a reset or invitation link redacted."""
        from elearn.ops.redaction import redact_path

        self.logger.error("Exception on %s [%s]", redact_path(request.path), request.method, exc_info=exc_info)


def create_app(config_name: str | None = None, **overrides: Any) -> Flask:
    """Build the app: config, extensions, blueprints, CLI, error pages, logging. No I/O."""
    app = Elearn(__name__, instance_relative_config=True)
    app.session_interface = SigningOnceSessionInterface()  # one per app: it keeps the app's signing serializer
    load_config(app, config_name or os.environ.get("ELEARN_CONFIG", "development"), overrides)
    register_url_converters(app)
    register_extensions(app)
    register_job_queue(app)
    register_blueprints(app)
    register_cli(app)
    register_template_helpers(app)
    from elearn.error_pages import register_error_handlers
    from elearn.ops.logging import configure_logging

    register_error_handlers(app)
    configure_logging(app)
    trust_reverse_proxy(app)
    return app


def register_url_converters(app: Flask) -> None:
    """Before any route is added: `<int:…>` ids beyond the INTEGER columns' range are simply not found."""
    from elearn.security import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter


def trust_reverse_proxy(app: Flask) -> None:
    """Behind N reverse proxies, take the client address and scheme from their X-Forwarded-* headers, but only
    on connections from the proxies themselves (TRUSTED_PROXIES): a client that reaches gunicorn directly keeps
    its own address."""
    hops = app.config["TRUSTED_PROXY_COUNT"]
    if hops:
        from config import trusted_proxy_networks
        from elearn.ops.proxies import ForwardedByProxies

        proxies = trusted_proxy_networks(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ForwardedByProxies(app.wsgi_app, proxies=proxies, hops=hops)  # type: ignore[method-assign]


def load_config(app: Flask, config_name: str, overrides: dict[str, Any]) -> None:
    """Load a settings class by name, apply overrides, and refuse unsafe settings."""
    try:
        config = CONFIGS[config_name]()
    except KeyError:
        raise ValueError(f"unknown configuration {config_name!r}; choose one of {sorted(CONFIGS)}") from None
    for key, value in overrides.items():
        setattr(config, key, value)
    config.validate()
    app.config.from_object(config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        str(app.config.get("SQLALCHEMY_DATABASE_URI") or ""), app.config["SQLALCHEMY_ENGINE_OPTIONS"])


def engine_options(database_uri: str, options: dict[str, Any]) -> dict[str, Any]:
    """The engine options the configured ones need on this database."""
    options = dict(options)
    if database_uri.startswith("postgresql"):
        # psycopg prepares a statement after 5 uses, and PostgreSQL may then switch to a generic plan that
        # ignores the organisation and dates: the filtered matrix went from 0.13 s to 12 s (bench/manage).
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
        # pool_pre_ping stays: it costs one round trip per request, but without it the first request on each
        # pooled connection after a database restart or failover, or after a firewall dropped an idle
        # connection, fails with a 500 (tests/security/test_faults.py). pool_recycle would only retire
        # connections by age and catch none of those.
    elif database_uri.startswith("sqlite"):
        # A file has no server that could drop the connection: the ping's SELECT 1 before every checkout
        # protected nothing (about 0.01-0.02 ms of CPU per request, bench/pages/RESULTS.md).
        options.pop("pool_pre_ping", None)
    return options


def register_extensions(app: Flask) -> None:
    """Bind the extensions created once in elearn.extensions."""
    from elearn import models  # noqa: F401 - every table registered before Alembic looks
    from elearn.auth.sessions import load_user
    from elearn.db import configure_sqlite
    from elearn.extensions import csrf, db, limiter, login_manager, migrate
    from elearn.security import csrf_token

    db.init_app(app)
    with app.app_context():  # the engines exist now (no connection yet); SQLite's get their settings
        for engine in db.engines.values():
            configure_sqlite(engine, busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    # Flask-WTF's csrf_token(), signed once per session and process; a context processor, as Flask-WTF's own is.
    app.context_processor(lambda: {"csrf_token": csrf_token})
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)


def register_job_queue(app: Flask) -> None:
    """Celery for the outbox and the schedule; inline without a broker (elearn/jobs/queue.py)."""
    import elearn.jobs.tasks  # noqa: F401 - the shared tasks, registered on every Celery the process makes
    from elearn.jobs.queue import init_job_queue

    init_job_queue(app)


def register_blueprints(app: Flask) -> None:
    """Every feature's blueprint, listed by hand."""
    from elearn.admin.views import bp as admin_bp
    from elearn.assessment.views import bp as assessment_bp
    from elearn.auth.account_views import bp as account_bp
    from elearn.auth.views import bp as auth_bp
    from elearn.catalog.views import bp as catalog_bp
    from elearn.certificates.views import bp as certificates_bp
    from elearn.certificates.views import public_bp as certificates_public_bp
    from elearn.compliance.views import bp as compliance_bp
    from elearn.contacts.views import bp as contacts_bp
    from elearn.jobs.views import bp as jobs_bp
    from elearn.learning.views import bp as learning_bp
    from elearn.manage.views import bp as manage_bp
    from elearn.network.views import bp as network_bp
    from elearn.pages.views import bp as pages_bp
    from elearn.people.invite_views import bp as invitations_bp
    from elearn.people.views import bp as people_bp
    from elearn.privacy.views import bp as privacy_bp
    from elearn.training.views import bp as training_bp
    from elearn.updates import views as updates

    for blueprint in (pages_bp, auth_bp, account_bp, catalog_bp, learning_bp, assessment_bp, certificates_bp,
                      certificates_public_bp, manage_bp, people_bp, invitations_bp, compliance_bp, contacts_bp, training_bp):
        app.register_blueprint(blueprint)
    for blueprint in (privacy_bp, admin_bp, jobs_bp, updates.bp, updates.manage_bp, network_bp):
        app.register_blueprint(blueprint)
    from elearn.evidence import views as evidence
    from elearn.signoffs import views as signoffs

    app.register_blueprint(signoffs.bp)
    app.register_blueprint(signoffs.learner_bp)

    for blueprint in (evidence.bp, evidence.manage_bp, evidence.admin_bp):
        app.register_blueprint(blueprint)
    from elearn.partnerships import views as partnerships

    app.register_blueprint(partnerships.bp)
    from elearn.returns import views as returns

    app.register_blueprint(returns.bp)
    from elearn.sso import views as sso
    from elearn.sso.client import init_sso

    init_sso(app)
    for blueprint in (sso.bp, sso.manage_bp):
        app.register_blueprint(blueprint)


def register_cli(app: Flask) -> None:
    """Each feature's command group."""
    from elearn.admin.cli import audit_cli, text_cli, users_cli
    from elearn.certificates.cli import certificates_cli
    from elearn.compliance.cli import reminders_cli
    from elearn.content.cli import courses_cli
    from elearn.demo.cli import demo_cli
    from elearn.evidence.cli import statistics_cli
    from elearn.ops.cli import backup_command

    app.cli.add_command(courses_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(statistics_cli)
    app.cli.add_command(text_cli)


def register_template_helpers(app: Flask) -> None:
    """Every Jinja filter, from the module that owns its rule; the layout's values; the security headers.

    Templates call no service: each view passes what its page shows, and the layout's values cost no query.
    """
    from elearn.certificates.codes import format_code
    from elearn.certificates.pdf import hours_text
    from elearn.clock import uk_date, uk_datetime
    from elearn.layout import register_layout
    from elearn.wording import plural

    app.add_template_filter(uk_date, "london_date")  # UTC shown in Europe/London
    app.add_template_filter(uk_datetime, "london_datetime")
    app.add_template_filter(format_code, "format_certificate_code")  # 7KQM-2XPD-9HTA-4RWC
    app.add_template_filter(hours_text, "cpd_hours")  # "1.5 hours", as on the PDF
    app.add_template_filter(plural, "plural")  # {{ n|plural("person", "people") }}: "1 person", "2 people"
    register_layout(app)

    @app.context_processor
    def platform() -> dict[str, Any]:
        return {"platform_name": app.config["PLATFORM_NAME"], "accrediting_body": app.config.get("ACCREDITING_BODY")}

    baseline = _baseline_headers(secure=bool(app.config.get("SESSION_COOKIE_SECURE")))

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        for name, value in baseline:  # a header a view set itself stands
            if name not in headers:
                headers[name] = value
        if request.endpoint not in PUBLIC_FILES and current_user.is_authenticated:
            # A signed-in page shows someone's name, progress or records: no shared or back-button cache keeps it.
            headers["Cache-Control"] = "private, no-store"
        return response


def _baseline_headers(*, secure: bool) -> tuple[tuple[str, str], ...]:
    """The headers every response carries unless its view set them, built once per app (not per response).

    Baseline headers; the full policy (CSP and friends) is hardened further in production settings.
    """
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy",
         "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    ]
    if secure:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return tuple(headers)
