"""The app factory, settings, error pages and the health check."""

from __future__ import annotations

import re

import pytest

from config import ConfigError
from elearn import create_app


def test_production_refuses_to_start_without_secret_key_and_database_url():
    with pytest.raises(ConfigError, match="SECRET_KEY, DATABASE_URL"):
        create_app("production", SECRET_KEY=None, SQLALCHEMY_DATABASE_URI=None)


def test_production_starts_with_its_required_settings():
    app = create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEBUG"] is False


def test_unknown_configuration_name_is_refused():
    with pytest.raises(ValueError, match="unknown configuration"):
        create_app("staging")


def test_development_default_is_sqlite_in_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app("development")
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/elearn.db")


def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


DEAD_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:9/none"  # port 9 is closed: refused at once


def test_healthz_is_503_when_the_database_is_unreachable(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI=DEAD_DATABASE)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_a_page_that_needs_the_database_answers_503_not_500_when_it_is_down(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI=DEAD_DATABASE)
    response = app.test_client().get("/courses")
    assert response.status_code == 503
    assert "briefly unavailable" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_unknown_page_gets_the_custom_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "<title>Page not found – elearn</title>" in body
    assert 'lang="en-GB"' in body


def test_forbidden_gets_the_custom_403(make_app):
    from flask import abort

    app = make_app()

    @app.route("/_test_forbidden")
    def forbidden():  # pragma: no cover - exercised through the client
        abort(403)

    response = app.test_client().get("/_test_forbidden")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)


def test_an_unexpected_error_gets_the_custom_500_without_a_traceback(make_app):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/_test_crash")
    def crash():
        raise RuntimeError("boom")

    response = app.test_client().get("/_test_crash")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Sorry, something went wrong" in body
    assert "boom" not in body and "Traceback" not in body


def test_every_response_carries_baseline_security_headers(client):
    response = client.get("/courses")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


PUBLIC_PAGES = ["/", "/courses", "/login", "/register", "/reset-password", "/worried-about-a-child",
                "/accessibility", "/privacy"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_a_title_a_language_and_labelled_fields(client, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert re.search(r"<title>[^<]+ – elearn</title>", body)
    assert '<html lang="en-GB">' in body
    assert "<script" not in body  # the pages work without JavaScript
    for field_id in re.findall(r'<input[^>]*\bid="([^"]+)"', body):
        tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', body).group(0)
        if 'type="hidden"' in tag or 'type="submit"' in tag:
            continue
        assert f'for="{field_id}"' in body, f"field {field_id} on {path} has no label"
