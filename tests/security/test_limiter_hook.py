"""The limiter skips its before-request pass only when nothing could be checked there (elearn/extensions.Limiter).

Each test builds its own limiter on a small Flask app: the app's limiter is process-wide, and default limits set
on it would stay for every later test.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter.util import get_remote_address

from elearn.extensions import Limiter


def _app(**limiter_settings: object) -> tuple[Flask, Limiter]:
    app = Flask(__name__)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", **limiter_settings)  # type: ignore[arg-type]

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    @app.get("/limited")
    @limiter.limit("2 per minute")
    def limited() -> str:
        return "limited"

    return app, limiter


def _statuses(app: Flask, path: str, times: int) -> list[int]:
    client = app.test_client()
    return [client.get(path).status_code for _ in range(times)]


def test_a_route_with_its_own_limit_is_still_limited():
    app, _ = _app()
    assert _statuses(app, "/limited", 3) == [200, 200, 429]


def test_a_route_without_a_limit_is_not_counted():
    app, limiter = _app()
    assert _statuses(app, "/plain", 5) == [200] * 5
    assert not limiter._limits_before_view("plain")


def test_default_limits_still_apply_to_every_route():
    app, limiter = _app(default_limits=["2 per minute"])
    assert limiter._limits_before_view("plain")
    assert _statuses(app, "/plain", 3) == [200, 200, 429]


def test_application_limits_still_apply_to_every_route():
    app, _ = _app(application_limits=["3 per minute"])
    assert _statuses(app, "/plain", 2) + _statuses(app, "/limited", 2) == [200, 200, 200, 429]
