"""Extensions, created unbound once and bound to the app in create_app."""

from __future__ import annotations

import flask_limiter
from flask import Flask, request
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from elearn.db import Base


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, without its before-request pass on requests it has nothing to check at that point.

    Flask-Limiter checks a route's own `@limiter.limit` inside the decorated view; its before-request hook only
    applies application, default, blueprint and meta limits, the in-memory fallback's limits and limits hinted on
    an endpoint from a decorated helper. This app sets none of those, yet the hook resolved them on every request
    (about 0.06 ms of CPU a request, bench/pages/RESULTS.md). It now runs whenever any of them exists, so
    adding a default limit later needs no change here (tests/security/test_limiter_hook.py).
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and not self._limits_before_view(request.endpoint):
            return
        super()._check_request_limit(callable_name, in_middleware)

    def _limits_before_view(self, endpoint: str | None) -> bool:
        manager = self.limit_manager
        return bool(manager.application_limits or manager.default_limits or manager._blueprint_limits
                    or self._meta_limits or self._in_memory_fallback or manager.has_hints(endpoint or ""))


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


def forget_inherited_connections(app: Flask) -> None:
    """In a process forked from one that loaded the app (gunicorn's preload): drop the pooled database connections
    the parent opened, without closing them (they are still the parent's), so this process opens its own."""
    if app.extensions.get("sqlalchemy") is not db:  # another app under the same settings (the benches' pages)
        return
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
