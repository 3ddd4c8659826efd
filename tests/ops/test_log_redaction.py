"""No live tokens in logs: password-reset and invitation tokens (and certificate codes) never reach the JSON
request log, Flask's error log or gunicorn's access log, and no query string is logged at all."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest

from elearn.models import Role
from elearn.people.invitations import invite_person
from tests.ops.gunicorn_settings import load_gunicorn_config

TOKEN = "Xq7tLk2vPz9RwYb4NcM8sJd3"  # stands in for a live token wherever the route does not check it


def _token_after(outbox, marker: str) -> str:  # type: ignore[no-untyped-def]
    return outbox[-1].get_content().split(marker)[1].split()[0]


def _logged(caplog) -> str:  # type: ignore[no-untyped-def]
    """Everything the app logged: each record's message and every extra field it carries."""
    return "\n".join(f"{record.getMessage()} {record.__dict__}" for record in caplog.records)


def test_a_live_password_reset_token_never_reaches_the_request_log(client, make, outbox, caplog):
    user = make.user()
    client.post("/reset-password", data={"email": user.email})
    token = _token_after(outbox, "/reset-password/")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="elearn"):
        assert client.get(f"/reset-password/{token}").status_code == 200
        client.post(f"/reset-password/{token}", data={"password": "a brand new passphrase",
                                                      "confirm": "a brand new passphrase"})
    assert token not in _logged(caplog)
    paths = [record.path for record in caplog.records if record.name == "elearn.request"]
    assert paths == ["/reset-password/[redacted]", "/reset-password/[redacted]"]


def test_a_live_invitation_token_never_reaches_the_request_log(client, make, outbox, caplog):
    org = make.org()
    manager = make.user(role=Role.MANAGER, org=org)
    invite_person(org, "Ivy Invitee", "ivy@alder.sch.uk", group_id=None, actor=manager)
    token = _token_after(outbox, "/invitations/")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="elearn"):
        assert client.get(f"/invitations/{token}").status_code == 200
        client.post(f"/invitations/{token}", data={"display_name": "Ivy", "password": "short"})
    assert token not in _logged(caplog)
    assert {record.path for record in caplog.records if record.name == "elearn.request"} == {"/invitations/[redacted]"}


def test_the_query_string_is_never_in_the_request_log(client, caplog):
    """/login?next=/invitations/<token> is the link an invitee who already has an account follows."""
    with caplog.at_level(logging.INFO, logger="elearn"):
        client.get(f"/login?next=/invitations/{TOKEN}")
        client.get(f"/verify?code={TOKEN}")
    assert TOKEN not in _logged(caplog)
    assert [record.path for record in caplog.records if record.name == "elearn.request"] == ["/login", "/verify"]


def test_an_error_on_a_token_page_is_logged_without_the_token(make_app, monkeypatch, caplog):
    """Flask's own "Exception on <path>" line, written when a view fails."""
    from elearn.auth import service

    def broken(token: str) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service, "find_valid_reset_token", broken)
    app = make_app(TESTING=False)  # as in production: the 500 page, and Flask logs the exception
    with caplog.at_level(logging.ERROR, logger="elearn"):
        assert app.test_client().get(f"/reset-password/{TOKEN}").status_code == 500
    assert "Exception on /reset-password/[redacted] [GET]" in caplog.text
    assert TOKEN not in _logged(caplog)


@pytest.mark.parametrize(("path", "expected"), [
    (f"/reset-password/{TOKEN}",             "/reset-password/[redacted]"),
    (f"/invitations/{TOKEN}",                "/invitations/[redacted]"),
    (f"/verify/{TOKEN}",                     "/verify/[redacted]"),
    (f"/verify/{TOKEN}/more/parts",          "/verify/[redacted]"),       # <path:code> may hold slashes
    (f"/invitations/{TOKEN}/",               "/invitations/[redacted]"),
    (f"//invitations//{TOKEN}",              "//invitations//[redacted]"),  # Werkzeug merges the slashes: still the route
    (f"/Reset-Password/{TOKEN}",             "/Reset-Password/[redacted]"),
    ("/reset-password",                      "/reset-password"),           # the request form carries no token
    ("/verify",                              "/verify"),
    ("/invitations/",                        "/invitations/"),
    ("/manage/invitations/12/resend",        "/manage/invitations/12/resend"),  # an id, not a secret
    ("/courses/safeguarding-essentials/lessons/3", "/courses/safeguarding-essentials/lessons/3"),
    ("",                                     ""),
])
def test_redact_path(path, expected):
    from elearn.ops.redaction import redact_path

    assert redact_path(path) == expected


@pytest.mark.parametrize(("url", "expected"), [
    (f"https://elearn.example.org/reset-password/{TOKEN}", "https://elearn.example.org/reset-password/[redacted]"),
    (f"https://elearn.example.org/login?next=%2Finvitations%2F{TOKEN}", "https://elearn.example.org/login?[redacted]"),
    (f"https://elearn.example.org/%69nvitations/{TOKEN}", "https://elearn.example.org/invitations/[redacted]"),
    ("https://elearn.example.org/courses", "https://elearn.example.org/courses"),
    ("-", "-"),
    ("/invitations/" + TOKEN, "/invitations/[redacted]"),
    (f"elearn.example.org/invitations/{TOKEN}", "[redacted]"),
    (f"javascript:{TOKEN}", "[redacted]"),
])
def test_redact_url(url, expected):
    from elearn.ops.redaction import redact_url

    assert redact_url(url) == expected


# Arguments in URL paths that are not secrets; any other non-number argument must be redacted from logs.
# name: a sign-in provider's ("microsoft", "google"); file: a signed return's export ("measures.csv"); table: a
# published Table Schema's name; fmt: a download's format ("csv", "xlsx").
PUBLIC_ARGUMENTS = {"slug", "stage", "filename", "name", "file", "table", "fmt"}


def test_every_route_with_a_secret_in_its_path_is_redacted(app):
    """A new route with a token, code or key in its path fails here until redact_path covers it."""
    from werkzeug.routing import IntegerConverter

    from elearn.ops.redaction import redact_path

    adapter = app.url_map.bind("elearn.test")
    checked = []
    for rule in app.url_map.iter_rules():
        secret = {name for name, converter in rule._converters.items()
                  if not isinstance(converter, IntegerConverter) and name not in PUBLIC_ARGUMENTS}
        if not secret:
            continue
        values = {name: ("1" if isinstance(rule._converters[name], IntegerConverter) else f"value-of-{name}")
                  for name in rule.arguments}
        values.update({name: TOKEN for name in secret})
        path = adapter.build(rule.endpoint, values, force_external=False)
        assert TOKEN not in redact_path(path), rule.rule
        checked.append(rule.rule)
    assert {"/reset-password/<token>", "/invitations/<token>", "/verify/<path:code>"} <= set(checked)


# --- gunicorn's access log ----------------------------------------------------------------------------------


def _environ(method: str, path: str, query: str = "", referer: str | None = None) -> dict[str, object]:
    """The WSGI environ gunicorn builds (gunicorn/http/wsgi.py), after Werkzeug has added its request to it."""
    raw_uri = path + (f"?{query}" if query else "")
    environ: dict[str, object] = {
        "REQUEST_METHOD": method, "RAW_URI": raw_uri, "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "werkzeug.request": f"<Request 'http://elearn.test{raw_uri}' [{method}]>",
    }
    if referer:
        environ["HTTP_REFERER"] = referer
    return environ


def _access_line(monkeypatch, environ: dict[str, object], fmt: str | None = None) -> str:  # type: ignore[no-untyped-def]
    config = load_gunicorn_config(monkeypatch)
    if fmt:
        config.set("access_log_format", fmt)
    logger = config.logger_class(config)
    written = io.StringIO()
    logger.access_log.handlers = [logging.StreamHandler(written)]
    headers = [("Referer", environ["HTTP_REFERER"])] if "HTTP_REFERER" in environ else []
    response = SimpleNamespace(status="200 OK", headers=[("X-Request-ID", "rid-1")], sent=1234)
    logger.access(response, SimpleNamespace(headers=headers), environ, timedelta(milliseconds=12))
    return written.getvalue()


def test_gunicorn_logs_the_request_line_without_the_token(monkeypatch):
    line = _access_line(monkeypatch, _environ("POST", f"/reset-password/{TOKEN}"))
    assert '"POST /reset-password/[redacted] HTTP/1.1" 200' in line and "rid=rid-1" in line
    assert TOKEN not in line


def test_gunicorn_logs_no_query_string(monkeypatch):
    line = _access_line(monkeypatch, _environ("GET", "/login", query=f"next=%2Finvitations%2F{TOKEN}"))
    assert '"GET /login?[redacted] HTTP/1.1"' in line
    assert TOKEN not in line


def test_no_gunicorn_log_format_can_print_the_token(monkeypatch):
    """Whatever an operator puts in access_log_format: the path, query, referrer, raw URI or the environ."""
    every_atom = ('%(h)s %(r)s %(U)s %(q)s %(f)s %({referer}i)s %({raw_uri}e)s %({path_info}e)s %({query_string}e)s '
                  '%({http_referer}e)s %({werkzeug.request}e)s')
    environ = _environ("GET", f"/invitations/{TOKEN}", query=f"again={TOKEN}",
                       referer=f"https://elearn.example.org/invitations/{TOKEN}")
    line = _access_line(monkeypatch, environ, fmt=every_atom)
    assert TOKEN not in line
    assert "/invitations/[redacted]" in line


def test_gunicorn_uses_the_redacting_logger(monkeypatch):
    from elearn.ops.access_log import RedactingLogger

    assert load_gunicorn_config(monkeypatch).logger_class is RedactingLogger
