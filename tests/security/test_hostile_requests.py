"""Hostile requests against every route in app.url_map (SECURITY-TESTS B3, B4, B7, B9, C5, F9, H2).

Each test walks the URL map, so a new route is attacked the day it is added. For every route and
method it sends what no honest browser sends, as anonymous, learner_a and manager_a (and an admin for
the forms), and asserts a 4xx (never a 500) and, where nothing may change, the same database
fingerprint (row count and a hash of the rows of every table) before and after.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from elearn.extensions import db
from tests.security.helpers import (
    SCRIPT,
    TEXT_PAYLOADS,
    URL_VALUES,
    Route,
    changed_tables,
    converter_of,
    fill,
    fingerprint,
    forms_on,
    routes,
)

PERSONAS = ("anonymous", "learner_a", "manager_a")
REFUSED = {302, 308, 400, 403, 404, 405, 409, 413, 414, 415, 422, 429}
# URL arguments that name shared, public things (a course, a lesson number, a page of a flow) rather than
# something owned by a person or an organisation: they do not cross an ownership boundary.
SHARED_ARGUMENTS = {"slug": "sample-course", "position": 1, "stage": "before", "code": "ABCD-EFGH-JKLM",
                    "filename": "css/site.css", "token": "not-a-token",
                    "file": "measures.csv", "table": "training-return-measures"}  # a return's file, a published schema


@contextmanager
def writes_seen() -> Iterator[list[str]]:
    """The INSERT/UPDATE/DELETE statements run inside the block (to name the request that changed something)."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement.split("\n", 1)[0][:80])

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def own_values(world, route: Route) -> dict[str, object] | None:  # type: ignore[no-untyped-def]
    """URL arguments naming organisation A's objects (the persona's own world); None if an argument is unknown."""
    values: dict[str, object] = dict(SHARED_ARGUMENTS)
    values.update(world.objects_a)
    values["course_id"] = world.course.id
    values["version_id"] = world.course.versions[0].id if hasattr(world.course, "versions") else 1
    if route.endpoint.startswith("assessment."):
        values["attempt_id"] = world.objects_a["own_attempt_id"]
    if not set(route.rule.arguments) <= set(values):
        return None
    return values


def test_the_catalogue_reaches_every_feature(app):
    endpoints = {route.endpoint for route in routes(app)}
    assert len(endpoints) > 60
    for blueprint in ("auth", "account", "catalog", "learning", "assessment", "certificates", "people", "compliance",
                      "contacts", "training", "admin"):
        assert any(e.startswith(blueprint + ".") for e in endpoints), blueprint


# --- junk in the URL ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_junk_in_every_url_argument_is_refused_and_changes_nothing(persona, app, client, world, sign_in):
    """Ids like -1, 0, 20 digits, 'abc', '../../etc/passwd', %00 in every argument of every route: 3xx/4xx."""
    user = world.persona(persona)
    sign_in(user)  # the server-side session starts before the fingerprint
    before, failures = fingerprint(), []
    with writes_seen() as writes:
        for route in routes(app):
            if not route.rule.arguments:
                continue
            for junk in URL_VALUES:
                url = fill(route.rule, dict.fromkeys(route.rule.arguments, junk))
                sign_in(user)
                written = len(writes)
                response = client.open(url, method=route.method, data={"x": "1"})
                status = response.status_code
                if status not in REFUSED:
                    failures.append(f"{route} as {url} → {status}")
                elif status == 302 and persona == "anonymous" and "/login" not in response.location:
                    failures.append(f"{route} as {url} → 302 {response.location}")
                elif status in (302, 308) and not response.location.startswith(("/", "http://localhost/")):
                    failures.append(f"{route} as {url} → {status} off the site: {response.location}")
                if len(writes) > written and persona != "anonymous":
                    failures.append(f"{route} as {url} wrote {writes[written:]}")
    assert not failures, "\n".join(failures)
    assert changed_tables(before, fingerprint()) == []


QUERY_NAMES = ("org", "page", "group", "course", "user", "q", "status", "sort", "direction", "since", "until",
               "code", "next", "format", "id", "organisation", "action", "per_page")


@pytest.mark.parametrize("persona", ["learner_a", "manager_a", "admin"])
def test_junk_in_query_parameters_of_every_page_never_causes_a_500(persona, app, client, world, sign_in):
    """Filters, pages and organisation pickers read ids from the query string: junk there is refused too."""
    user = world.persona(persona)
    before, failures = fingerprint(), []
    for route in routes(app):
        values = own_values(world, route)
        if route.method != "GET" or values is None or route.endpoint == "static":
            continue
        for junk in ("99999999999999999999", "abc", "%00"):
            sign_in(user)
            response = client.get(fill(route.rule, values), query_string={name: junk for name in QUERY_NAMES})
            if response.status_code >= 500:
                failures.append(f"{route} ?…={junk} → {response.status_code}")
    assert not failures, "\n".join(failures)
    assert changed_tables(before, fingerprint()) == [] or persona != "anonymous"


# --- other users' and organisations' objects --------------------------------------------------------


def test_every_scoped_argument_has_an_object_of_organisation_b(app, world):
    """A new URL argument naming an owned object needs one in the world fixture, so the next test can aim at it."""
    scoped = {a for r in routes(app) for a in r.rule.arguments if converter_of(r.rule, a) == "DatabaseIdConverter"}
    shared = {"position", "course_id", "version_id"}
    missing = scoped - shared - set(world.objects_b)
    assert not missing, f"add an organisation-B object for {missing} in tests/security/conftest.py"


@pytest.mark.parametrize("persona", ["learner_a", "manager_a"])
def test_objects_of_another_user_or_organisation_are_not_found_and_unchanged(persona, app, client, world, sign_in):
    """learner_a and manager_a aim every route that names an owned object at organisation B's: refused, no change."""
    user = world.persona(persona)
    values: dict[str, object] = {**SHARED_ARGUMENTS, "course_id": world.course.id, "version_id": 1}
    values.update(world.objects_b)
    sign_in(user)  # the server-side session starts before the fingerprint
    before, failures, checked = fingerprint(), [], 0
    with writes_seen() as writes:
        for route in routes(app):
            owned = set(route.rule.arguments) & set(world.objects_b)
            if not owned:
                continue
            missing = set(route.rule.arguments) - set(values)
            assert not missing, f"{route}: no value for {missing}"
            url = fill(route.rule, values)
            for body in ({}, {"display_name": "Hijacked", "reason": "x", "role": "admin", "group_ids": "1",
                              "course_id": str(world.course.id), "org_id": str(world.cast.org_a.id)}):
                if route.method == "GET" and body:
                    continue
                sign_in(user)
                written = len(writes)
                response = client.open(url, method=route.method, data=body)
                checked += 1
                if response.status_code not in REFUSED - {302}:
                    failures.append(f"{route} as {url} → {response.status_code}")
                if len(writes) > written:
                    failures.append(f"{route} as {url} wrote {writes[written:]}")
    assert checked > 40
    assert not failures, "\n".join(failures)
    assert changed_tables(before, fingerprint()) == []


# --- bodies no browser sends ------------------------------------------------------------------------


LARGE = ("over the size limit", "one field near the size limit")


def hostile_bodies(app) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    limit = app.config["MAX_CONTENT_LENGTH"]
    boundary = "----hostile"
    multipart = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"\r\n"
                 f"Content-Type: text/plain\r\n\r\nroot:x:0:0\r\n--{boundary}--\r\n").encode()
    return {
        "over the size limit": {"data": b"display_name=" + b"A" * limit, "content_type": "application/x-www-form-urlencoded"},
        "one field near the size limit": {"data": {"display_name": "A" * (limit - 1024)}},
        "invalid UTF-8": {"data": b"email=%ff%fe%fd&password=\xff\xfe\xc0\xaf&display_name=\xed\xa0\x80",
                          "content_type": "application/x-www-form-urlencoded"},
        "duplicated parameters": {"data": b"email=a%40example.org&email=b%40example.org&csrf_token=x&csrf_token=y"
                                          b"&answer-1=1&answer-1=2&answer-1=999",
                                  "content_type": "application/x-www-form-urlencoded"},
        "too many fields": {"data": "&".join(f"f{i}=1" for i in range(app.config["MAX_FORM_PARTS"] + 100)).encode(),
                            "content_type": "application/x-www-form-urlencoded"},
        "too many multipart parts": {"data": {f"f{i}": "1" for i in range(app.config["MAX_FORM_PARTS"] + 100)},
                                     "content_type": "multipart/form-data"},
        "JSON instead of a form": {"data": b'{"email": ["a"], "role": "admin", "passed": true}',
                                   "content_type": "application/json"},
        "a file named ../../etc/passwd": {"data": multipart, "content_type": f"multipart/form-data; boundary={boundary}"},
        "an 8 kB query string": {"data": {"x": "1"}, "query_string": "q=" + "%41" * 2700},
        "a wrong CSRF token": {"data": {"csrf_token": "forged.token.value", "display_name": "x"}},
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_hostile_bodies_are_refused_with_csrf_on_and_change_nothing(persona, make_app, world, sign_in):
    """The production setting (CSRF on): every POST route, every hostile body → 400 or 413, nothing written."""
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    user = world.persona(persona)
    sign_in(user, via=client)  # the server-side session starts before the fingerprint
    before, failures = fingerprint(), []
    for route in routes(csrf_app):
        if route.method != "POST":
            continue
        url = fill(route.rule, own_values(world, route) or dict.fromkeys(route.rule.arguments, 1))
        for kind, body in hostile_bodies(csrf_app).items():
            if kind in LARGE and persona != "anonymous":
                continue  # the size is checked before anyone is looked up: once is enough
            sign_in(user, via=client)
            response = client.post(url, **body)
            expected = {413} if kind in ("over the size limit", "too many multipart parts") else {400, 413}
            if response.status_code not in expected:
                failures.append(f"{route} {kind} → {response.status_code}")
            elif response.status_code == 400 and "CSRF" not in response.get_data(as_text=True):
                failures.append(f"{route} {kind} → 400 without saying why")
    assert not failures, "\n".join(failures)
    assert changed_tables(before, fingerprint()) == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_hostile_bodies_past_the_csrf_check_never_cause_a_500(persona, app, client, world, sign_in):
    """With the CSRF check out of the way (as the test config has it), the views themselves meet the bodies."""
    user = world.persona(persona)
    failures = []
    for route in routes(app):
        values = own_values(world, route)
        if values is None:
            continue
        url = fill(route.rule, values)
        for kind, body in hostile_bodies(app).items():
            if (route.method == "GET" and kind != "an 8 kB query string") or (kind in LARGE and persona != "learner_a"):
                continue
            sign_in(user)
            response = client.open(url, method=route.method, **body)
            if response.status_code >= 500:
                failures.append(f"{route} {kind} → {response.status_code}")
            elif kind == "over the size limit" and route.method == "POST" and response.status_code not in REFUSED:
                failures.append(f"{route} {kind} → {response.status_code}, not refused")
    assert not failures, "\n".join(failures)


# --- script and SQL in every field of every form ------------------------------------------------------


@pytest.mark.parametrize("persona", [*PERSONAS, "admin"])
def test_script_and_sql_in_every_text_field_of_every_form(persona, app, client, world, sign_in):
    """GET every page, find its POST forms, and send each payload in every text field (and, as wrong types, in
    the choices too): never a 500, and the script never comes back unescaped."""
    user = world.persona(persona)
    failures, forms_seen = [], set()
    for route in routes(app):
        values = own_values(world, route)
        if route.method != "GET" or values is None or route.endpoint in ("static", "privacy.export_data"):
            continue
        sign_in(user)
        page = client.get(fill(route.rule, values))
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        for form in forms_on(page.get_data(as_text=True), page.request.path):
            if (form.action, tuple(form.text_fields)) in forms_seen or not (form.text_fields or form.choice_fields):
                continue
            forms_seen.add((form.action, tuple(form.text_fields)))
            for name, payload in TEXT_PAYLOADS.items():
                for wrong_types in (False, True):
                    data = {k: list(v) for k, v in form.fields.items()}
                    for field_name in form.text_fields + (form.choice_fields if wrong_types else []):
                        data[field_name] = [payload]
                    sign_in(user)
                    response = client.post(form.action, data=data)
                    body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
                    if response.status_code >= 500:
                        failures.append(f"{form.action} ({route.endpoint}) {name}{' in choices' if wrong_types else ''}"
                                        f" → {response.status_code}")
                    elif SCRIPT in body:
                        failures.append(f"{form.action} {name}: the script came back unescaped")
    assert forms_seen, "no forms found: the parser or the pages changed"
    assert not failures, "\n".join(failures)


# --- files that must never be served -------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/.git/config", "/.env", "/config.py", "/static/../config.py", "/static/..%2fconfig.py",
    "/static/%2e%2e/config.py", "/static/../../config.py", "/static/..%5cconfig.py", "/static/%00",
    "/gunicorn.conf.py", "/instance/elearn.db", "/migrations/env.py", "/courses/../config.py",
    "/static/../../../../etc/passwd", "/wsgi.py", "/.git/HEAD", "/static/.git/config",
])
def test_source_and_secrets_are_not_served(client, path):
    response = client.get(path)
    assert response.status_code == 404, path
    body = response.get_data(as_text=True)
    assert "SECRET_KEY" not in body and "[core]" not in body and "root:" not in body


def test_production_shows_generic_error_pages_and_no_debugger(app):
    from elearn import create_app

    prod = create_app("production", SECRET_KEY="x" * 64, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      PUBLIC_BASE_URL="https://training.northfield.sch.uk", MAIL_SENDER="training@northfield.sch.uk",
                      SINGLE_PROCESS=True)
    try:
        assert prod.debug is False and prod.testing is False and not prod.config.get("PROPAGATE_EXCEPTIONS")

        def boom() -> str:
            raise RuntimeError("secret detail: /srv/elearn/config.py line 42")

        prod.add_url_rule("/__boom", view_func=boom)
        client = prod.test_client()
        response = client.get("/__boom")
        body = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "Sorry, something went wrong" in body
        assert "Traceback" not in body and "secret detail" not in body and "RuntimeError" not in body
        missing = client.get("/no-such-page")
        assert missing.status_code == 404 and "werkzeug" not in missing.get_data(as_text=True).lower()
        assert "Server" not in response.headers or not re.search(r"\d", response.headers["Server"])
    finally:
        with prod.app_context():
            db.engine.dispose()


def test_gunicorn_sends_no_version_in_its_server_header():
    """gunicorn's `Server:` header is the bare name (gunicorn >= 20 dropped the version); werkzeug's only runs in dev."""
    import gunicorn
    from gunicorn.http import wsgi

    assert gunicorn.SERVER == "gunicorn"
    response = wsgi.Response.__new__(wsgi.Response)
    response.version = gunicorn.SERVER
    assert not re.search(r"\d", response.version)
