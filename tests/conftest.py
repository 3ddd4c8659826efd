"""Shared fixtures: the app on a migrated database, a clean database per test, clients, makers and the cast."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Self

import pytest
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, text

from elearn import create_app
from elearn.auth.sessions import start_session
from elearn.extensions import db as _db
from elearn.extensions import limiter
from elearn.models import Course, Organisation, Role, User
from tests.makers import Makers

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
WRITES = {"INSERT", "UPDATE", "DELETE"}


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as in production.

    The tests hold an app context (to call services); Flask would reuse it for each request,
    sharing `g`, the logged-in user and the database session between requests. Hiding it makes
    every request start clean. Afterwards the test's own objects are expired, so they read what
    the request committed.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("buffered", True)  # a streamed body is read here, inside the request's own contexts
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            _db.session.expire_all()


def _reset_postgres_schema() -> None:
    with _db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def _sqlite_file_url() -> str:
    # A file, not :memory:, so each request gets its own connection and transactions behave as in production.
    folder = tempfile.mkdtemp(prefix="elearn-test-db-")
    return f"sqlite:///{folder}/test.db"


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    """The app with the schema built by the migrations: the only schema path."""
    overrides = {} if os.environ.get("TEST_DATABASE_URL") else {"SQLALCHEMY_DATABASE_URI": _sqlite_file_url()}
    app = create_app("testing", **overrides)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if ON_POSTGRES:
            _reset_postgres_schema()
        upgrade()
        yield app
        _db.session.remove()
        _db.engine.dispose()  # close pooled connections before the interpreter warns about them


@pytest.fixture(autouse=True)
def db(app: Flask) -> Iterator[object]:
    """The database; every table is emptied after each test, so real commits stay observable."""
    yield _db
    _db.session.rollback()
    _db.session.remove()
    with _db.engine.begin() as connection:
        for table in reversed(_db.metadata.sorted_tables):
            connection.execute(table.delete())
    app.extensions["outbox"] = []


@pytest.fixture(autouse=True)
def rate_limits_as_configured(app: Flask) -> Iterator[None]:
    """Flask-Limiter keeps one process-wide on/off flag and store: an app built with limits on leaves them on.

    Each test starts and ends with the test setting (off) and empty counters.
    """

    def restore() -> None:
        limiter.enabled = app.config["RATELIMIT_ENABLED"]
        if limiter._storage is not None:  # None until some app has been built with limits on
            limiter.reset()

    restore()
    yield
    restore()


@pytest.fixture
def make_app(app: Flask):  # type: ignore[no-untyped-def]
    """Build another app on the test database with config overrides; its connections are closed afterwards."""
    made: list[Flask] = []

    def build(**overrides):  # type: ignore[no-untyped-def]
        overrides.setdefault("SQLALCHEMY_DATABASE_URI", app.config["SQLALCHEMY_DATABASE_URI"])
        other = create_app("testing", **overrides)
        other.test_client_class = IsolatedClient
        made.append(other)
        return other

    yield build
    for other in made:
        with other.app_context():
            _db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def other_browser(app: Flask) -> FlaskClient:
    """A second test client with its own cookies: another person at another computer."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def outbox(app: Flask) -> list:
    """Emails sent during the test."""
    return app.extensions.setdefault("outbox", [])


@pytest.fixture
def make(app: Flask) -> Makers:
    """Builders for committed test objects: make.user(), make.course(), make.enrolment() …"""
    return Makers(app)


@dataclass(frozen=True)
class Cast:
    """The personas of every feature's tests: two organisations, each with two learners and a manager, and a
    platform admin; managers and admin have two-factor sign-in set up. Its users' password is `make.PASSWORD`.

    A test that needs someone else (a leaver, a manager without two-factor sign-in, a third organisation)
    builds them with `make`.
    """

    org_a: Organisation  # Alder Primary
    learner_a: User  # Ann Learner
    second_learner_a: User  # Abe Learner
    manager_a: User  # Mo Manager
    org_b: Organisation  # Birch Academy
    learner_b: User  # Bea Learner
    second_learner_b: User  # Bo Learner
    manager_b: User  # Max Manager
    admin: User  # Ada Admin, of no organisation

    def persona(self, name: str) -> User | None:
        """A persona by field name, for tables of personas; "anonymous" is nobody."""
        return None if name == "anonymous" else getattr(self, name)


@pytest.fixture
def cast(make: Makers) -> Cast:
    """The one cast (see Cast), committed."""
    org_a, org_b = make.org(name="Alder Primary"), make.org(name="Birch Academy")

    def person(name: str, org: Organisation | None, domain: str, role: Role = Role.LEARNER) -> User:
        user = make.user(name=name, email=f"{name.lower().replace(' ', '.')}@{domain}", role=role, org=org)
        return user if role == Role.LEARNER else make.two_factor_done(user)

    return Cast(
        org_a=org_a,
        learner_a=person("Ann Learner", org_a, "alder.example"),
        second_learner_a=person("Abe Learner", org_a, "alder.example"),
        manager_a=person("Mo Manager", org_a, "alder.example", Role.MANAGER),
        org_b=org_b,
        learner_b=person("Bea Learner", org_b, "birch.example"),
        second_learner_b=person("Bo Learner", org_b, "birch.example"),
        manager_b=person("Max Manager", org_b, "birch.example", Role.MANAGER),
        admin=person("Ada Admin", None, "example.org", Role.ADMIN),
    )


@pytest.fixture
def course(make: Makers) -> Course:
    """The sample course (fixture "sample-course": 6 questions, 4 drawn per attempt), synced and published."""
    return make.course()


@pytest.fixture
def sign_in(client: FlaskClient):  # type: ignore[no-untyped-def]
    """Put a user (or nobody) in a client's session, as a completed login does (password and any second factor).

    For tests about what a signed-in person may do; signing in itself is tested in tests/auth through login_as.
    """

    keys: dict[int, str] = {}  # one server-side session per user and test, as one browser would keep

    def sign(user: User | None, via: FlaskClient | None = None) -> User | None:
        with (via or client).session_transaction() as session:
            session.clear()
            if user is not None:
                if user.id not in keys:
                    keys[user.id] = start_session(user, user_agent=None, ip=None).key
                session["_user_id"] = keys[user.id]
                session["_fresh"] = True
        return user

    return sign


@pytest.fixture
def login_as(client: FlaskClient, make: Makers):  # type: ignore[no-untyped-def]
    """Log the test client in through the real forms; managers and admins get two-factor sign-in set up first."""

    def login(user, via=None):  # type: ignore[no-untyped-def]
        browser = via or client
        totp = make.two_factor(user) if user.needs_two_factor else None
        response = browser.post("/login", data={"email": user.email, "password": make.PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        if totp is not None:
            response = browser.post("/login/two-factor", data={"code": make.next_totp_code(user, totp)})
            assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


class QueryCount(int):
    """A number of SQL statements that, when an assertion on it fails, shows the statements themselves."""

    statements: tuple[str, ...]

    def __new__(cls, statements: list[str]) -> Self:
        count = super().__new__(cls, len(statements))
        count.statements = tuple(statements)
        return count

    def __repr__(self) -> str:
        # One line: pytest escapes newlines in an assertion's explanation.
        listing = " ".join(f"[{n}] {' '.join(sql.split())}" for n, sql in enumerate(self.statements, 1))
        return f"{int(self)} statements: {listing}"


class QueryCounter:
    """The statements run inside a `with count_queries() as counter:` block."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> QueryCount:
        return QueryCount(self.statements)

    @property
    def writes(self) -> list[str]:
        """The INSERT, UPDATE and DELETE statements among them."""
        return [s for s in self.statements if s.lstrip().split(None, 1)[0].upper() in WRITES]


@pytest.fixture
def count_queries(app: Flask):  # type: ignore[no-untyped-def]
    """Count the SQL statements run inside a with-block: `with count_queries() as counter: …; counter.count`.

    A failed budget (`assert counter.count <= 8`) prints every statement that was run; `counter.writes`
    lists the INSERT, UPDATE and DELETE statements among them.
    """

    @contextmanager
    def counting():  # type: ignore[no-untyped-def]
        counter = QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            counter.statements.append(statement)

        event.listen(_db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(_db.engine, "before_cursor_execute", before)

    return counting
