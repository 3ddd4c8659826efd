"""The app factory, settings, error pages and the health check."""

from __future__ import annotations

import re

import pytest

from config import ConfigError
from elearn import create_app


def test_production_refuses_to_start_without_secret_key_and_database_url():
    with pytest.raises(ConfigError, match="SECRET_KEY, DATABASE_URL"):
        create_app("production", SECRET_KEY=None, SQLALCHEMY_DATABASE_URI=None)


# What a real deployment sets besides SECRET_KEY and DATABASE_URL (see .env.example).
PRINTED = {"PUBLIC_BASE_URL": "https://training.northfield.sch.uk", "MAIL_SENDER": "Training <training@northfield.sch.uk>"}
# A production app built in a test is one process, with its rate-limit counters in memory (no Redis).
ONE_PROCESS = {"SINGLE_PROCESS": True}


def test_production_starts_with_its_required_settings():
    app = create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI="sqlite://", **PRINTED, **ONE_PROCESS)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEBUG"] is False


@pytest.mark.parametrize(("setting", "value", "problem"), [
    ("PUBLIC_BASE_URL", None, "PUBLIC_BASE_URL is not set"),
    ("PUBLIC_BASE_URL", "", "PUBLIC_BASE_URL is not set"),
    ("PUBLIC_BASE_URL", "http://training.northfield.sch.uk", "must be an https:// address"),
    ("PUBLIC_BASE_URL", "training.northfield.sch.uk", "must be an https:// address"),
    ("PUBLIC_BASE_URL", "https://127.0.0.1:5000", "points at this machine"),
    ("PUBLIC_BASE_URL", "https://127.8.0.1", "points at this machine"),
    ("PUBLIC_BASE_URL", "https://[::1]:8000", "points at this machine"),
    ("PUBLIC_BASE_URL", "https://localhost", "points at this machine"),
    ("PUBLIC_BASE_URL", "https://app.localhost", "points at this machine"),
    ("PUBLIC_BASE_URL", "https://0.0.0.0", "points at this machine"),
    ("MAIL_SENDER", None, "MAIL_SENDER is not set"),
    ("MAIL_SENDER", "elearn <no-reply@elearn.invalid>", "reserved for examples and tests"),
    ("MAIL_SENDER", "elearn <no-reply@example.org>", "reserved for examples and tests"),
    ("MAIL_SENDER", "noreply@school.test", "reserved for examples and tests"),
    ("MAIL_SENDER", "root@localhost", "reserved for examples and tests"),
    ("MAIL_SENDER", "elearn", "not an email address"),
])
def test_production_refuses_to_start_with_a_printed_setting_that_would_not_work(setting, value, problem):
    with pytest.raises(ConfigError, match=problem):
        create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI="sqlite://", **{**PRINTED, setting: value})


def test_production_does_not_fall_back_to_the_development_defaults(monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("MAIL_SENDER", raising=False)
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL is not set; MAIL_SENDER is not set"):
        create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI="sqlite://")


def test_production_reads_the_printed_settings_from_the_environment(monkeypatch):
    for name, value in PRINTED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SINGLE_PROCESS", "1")
    app = create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["PUBLIC_BASE_URL"] == PRINTED["PUBLIC_BASE_URL"]


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


def test_an_error_page_after_a_rollback_still_greets_the_signed_in_person(client, make, sign_in):
    sign_in(make.user(name="Rita Reader"))
    response = client.get("/courses/no-such-course")  # NotFound from the service, then a rollback
    assert response.status_code == 404 and "Rita Reader" in response.get_data(as_text=True)


def test_a_page_refused_before_the_view_still_greets_the_signed_in_person(make_app, make, sign_in):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    sign_in(make.user(name="Rita Reader"), via=client)
    response = client.post("/account/password", data={})  # refused by the CSRF check, before any view hook
    assert response.status_code == 400 and "Rita Reader" in response.get_data(as_text=True)


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


def test_readyz_is_ready_when_the_schema_is_at_the_migration_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["schema"] == "current"


def test_readyz_is_503_when_the_database_is_unreachable(make_app):
    assert make_app(SQLALCHEMY_DATABASE_URI=DEAD_DATABASE).test_client().get("/readyz").status_code == 503


def test_readyz_is_503_before_the_migrations_have_run(make_app, tmp_path):
    empty = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/empty.db")
    assert empty.test_client().get("/readyz").status_code == 503


def test_each_request_is_logged_once_with_its_id_user_status_and_duration(client, caplog):
    with caplog.at_level("INFO", logger="elearn.request"):
        response = client.get("/courses", headers={"X-Request-ID": "proxy-id-12345"})
    records = [r for r in caplog.records if r.name == "elearn.request"]
    assert len(records) == 1
    record = records[0]
    assert (record.request_id, record.status, record.user_id) == ("proxy-id-12345", 200, None)
    assert record.duration_ms >= 0
    assert response.headers["X-Request-ID"] == "proxy-id-12345"


def test_a_malformed_request_id_is_replaced(client, caplog):
    response = client.get("/courses", headers={"X-Request-ID": "bad id\\r\\n"})
    assert len(response.headers["X-Request-ID"]) == 32


def test_the_json_log_formatter_writes_one_object_per_line():
    import json
    import logging

    from elearn.ops.logging import JsonFormatter

    record = logging.LogRecord("elearn.request", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.request_id = "abc"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["request_id"] == "abc" and json.loads(line)["message"] == "GET /x"


def test_the_json_log_time_is_each_records_own_second():
    import json
    import logging

    from elearn.ops.logging import JsonFormatter

    formatter = JsonFormatter()

    def time_of(created: float) -> str:
        record = logging.LogRecord("elearn.request", logging.INFO, __file__, 1, "GET /x", (), None)
        record.created = created
        return json.loads(formatter.format(record))["time"]

    assert time_of(1_800_000_000.1) == time_of(1_800_000_000.9) == formatter.formatTime(
        logging.makeLogRecord({"created": 1_800_000_000.0}), "%Y-%m-%dT%H:%M:%S%z")
    assert time_of(1_800_000_001.0) != time_of(1_800_000_000.0)


def test_behind_a_trusted_proxy_the_client_address_comes_from_x_forwarded_for(make_app):
    app = make_app(TRUSTED_PROXY_COUNT=1)

    @app.route("/_test_remote")
    def remote():
        from flask import request

        return request.remote_addr or ""

    response = app.test_client().get("/_test_remote", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_data(as_text=True) == "203.0.113.9"


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(make_app):
    app = make_app()

    @app.route("/_test_remote")
    def remote():
        from flask import request

        return request.remote_addr or ""

    response = app.test_client().get("/_test_remote", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_data(as_text=True) == "127.0.0.1"


def test_production_uses_a_host_only_secure_session_cookie():
    app = create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI="sqlite://", **PRINTED, **ONE_PROCESS)
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-elearn"
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_backup_writes_a_consistent_sqlite_copy(runner, make, tmp_path, app):
    import sqlite3

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        result = runner.invoke(args=["backup", "--output", str(tmp_path / "b.db")])
        assert result.exit_code == 1 and "pg_dump" in result.output
        return
    make.user(email="kept@example.org")
    target = tmp_path / "copy.db"
    result = runner.invoke(args=["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT email FROM users").fetchall() == [("kept@example.org",)]
    copy.close()
    again = runner.invoke(args=["backup", "--output", str(target)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_postgresql_connections_do_not_switch_to_generic_prepared_plans(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI=DEAD_DATABASE)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"prepare_threshold": None}
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_sqlite_connections_get_no_postgresql_options(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db")
    assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert "pool_pre_ping" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]  # a file: no server to go away


def test_every_link_in_a_template_names_a_route_that_exists(app):
    """No template guards a link with has_endpoint(): a renamed route fails here instead of hiding the link."""
    from pathlib import Path

    root = Path(app.root_path)
    named = {(path.relative_to(root), endpoint)
             for path in root.rglob("*.html")
             for endpoint in re.findall(r"url_for\(\s*'([\w.]+)'", path.read_text(encoding="utf-8"))}
    assert named, "no url_for found: the pattern is wrong"
    missing = sorted(f"{path}: {endpoint}" for path, endpoint in named if endpoint not in app.view_functions)
    assert missing == []
    assert not any("has_endpoint" in path.read_text(encoding="utf-8") for path in root.rglob("*.html"))


def test_every_page_links_a_favicon_that_is_shipped(client):
    import re

    page = client.get("/courses").text
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert {icon.rsplit(".", 1)[1] for icon in icons} == {"ico", "svg"}
    for icon in icons:
        response = client.get(icon)
        assert response.status_code == 200 and response.data
        response.close()
