"""Faults (SECURITY-TESTS F1, F2, F3, F7, F8): the database, the mail server or Redis going away mid-request.

A database fault is an SQLAlchemy event that raises OperationalError, as a dropped connection does, on a
chosen statement or on COMMIT. Each case asserts a 503 (never a 500), the database exactly as before
(fingerprint), and that the next request, with the fault gone, works.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from elearn.certificates.codes import format_code
from elearn.extensions import db, limiter
from elearn.models import Attempt, Certificate, Enrolment, LessonProgress, User
from tests.assessment.helpers import form_data, right, sheet
from tests.conftest import ON_POSTGRES
from tests.security.helpers import changed_tables, fingerprint


class ConnectionLost(Exception):
    """What the driver would raise: the server closed the connection."""


@contextmanager
def database_fails(*, on: str) -> Iterator[list[str]]:
    """Raise OperationalError on the first statement matching the regex `on`, or on COMMIT when on="COMMIT"."""
    hits: list[str] = []
    pattern = re.compile(on, re.IGNORECASE)

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if on != "COMMIT" and pattern.search(statement):
            hits.append(statement)
            raise OperationalError(statement, parameters, ConnectionLost("server closed the connection unexpectedly"))

    def on_commit(conn):  # type: ignore[no-untyped-def]
        hits.append("COMMIT")
        raise OperationalError("COMMIT", {}, ConnectionLost("server closed the connection unexpectedly"))

    if on == "COMMIT":
        event.listen(db.engine, "commit", on_commit)
    else:
        event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield hits
    finally:
        if on == "COMMIT":
            event.remove(db.engine, "commit", on_commit)
        else:
            event.remove(db.engine, "before_cursor_execute", before)


def assert_calm_503(response) -> None:  # type: ignore[no-untyped-def]
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    assert "briefly unavailable" in body
    assert "Traceback" not in body and "OperationalError" not in body and "server closed" not in body


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model)) or 0


# --- F1: unreachable at the start of a request ----------------------------------------------------


def test_an_unreachable_database_gives_a_calm_503_and_an_unhealthy_health_check(make_app, tmp_path):
    down = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no-such-folder/elearn.db")
    client = down.test_client()
    assert_calm_503(client.get("/courses"))
    assert_calm_503(client.post("/login", data={"email": "a@example.org", "password": "whatever it is"}))
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "unreachable"


# --- F2: lost mid-request; nothing half-written; the next request works ------------------------------


@pytest.mark.parametrize("on", ["COMMIT", r"^\s*UPDATE lesson_progress"])
def test_lesson_completion_when_the_database_goes_away(on, client, make, login_as):
    enrolment = make.enrolment(lessons_done=0)
    login_as(enrolment.user)
    client.get("/courses/sample-course/lessons/1")  # the visit "Mark complete" needs (elearn/learning/service.py)
    before = fingerprint()
    with database_fails(on=on) as hits:
        response = client.post("/courses/sample-course/lessons/1/complete")
    assert hits, "the fault never fired"
    assert_calm_503(response)
    assert changed_tables(before, fingerprint()) == []
    assert client.post("/courses/sample-course/lessons/1/complete").status_code == 302  # recovered
    assert count(LessonProgress) == 1


@pytest.mark.parametrize("on", ["COMMIT", r"^\s*INSERT INTO users", r"^\s*INSERT INTO audit_events"])
def test_registration_when_the_database_goes_away(on, client, outbox):
    # The account is made behind the emailed link (elearn/auth/registration.py): that is the step that writes.
    client.post("/register", data={"display_name": "Rita Register", "email": "rita@example.org"})
    link = "/register/" + outbox[-1].get_content().split("/register/")[1].split()[0]
    form = {"display_name": "Rita Register", "password": "a long test passphrase",
            "confirm": "a long test passphrase", "accept": "y"}
    before = fingerprint()
    with database_fails(on=on) as hits:
        response = client.post(link, data=form)
    assert hits
    assert_calm_503(response)
    assert changed_tables(before, fingerprint()) == []
    assert client.post(link, data=form).status_code == 302
    assert count(User) == 1


@pytest.mark.parametrize("on", ["COMMIT", r"^\s*INSERT INTO certificates", r"^\s*UPDATE enrolments"])
def test_a_passing_submission_when_the_database_goes_away_is_all_or_nothing(on, client, make, login_as):
    """A crash between the pass and the certificate rolls both back: the attempt stays open with its answers;
    the retry passes it and issues exactly one certificate (SECURITY-TESTS F2, F3)."""
    enrolment = make.enrolment(lessons_done="all")
    login_as(enrolment.user)
    attempt_id = int(re.search(r"/attempts/(\d+)", client.post("/courses/sample-course/assessment/start").location)[1])
    attempt = db.session.get(Attempt, attempt_id)
    assert client.post(f"/attempts/{attempt_id}/all", data=form_data(sheet(attempt, right))).status_code in (200, 302)
    before = fingerprint()
    with database_fails(on=on) as hits:
        response = client.post(f"/attempts/{attempt_id}/submit")
    assert hits
    assert_calm_503(response)
    assert changed_tables(before, fingerprint()) == []
    db.session.refresh(attempt)
    assert attempt.submitted_at is None and attempt.passed is None and count(Certificate) == 0
    assert client.post(f"/attempts/{attempt_id}/submit").status_code == 302  # the retry, after recovery
    db.session.refresh(attempt)
    assert attempt.passed is True
    assert db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt_id)).all().__len__() == 1
    assert db.session.get(Enrolment, enrolment.id).passed_at is not None


def test_a_name_correction_when_the_database_goes_away_changes_neither_name(client, make, login_as):
    certificate = make.certificate()
    user = certificate.user
    login_as(user)
    before = fingerprint()
    with database_fails(on="COMMIT"):
        response = client.post("/account/name", data={"display_name": "Corrected Name"})
    assert_calm_503(response)
    assert changed_tables(before, fingerprint()) == []
    db.session.refresh(user)
    db.session.refresh(certificate)
    assert user.display_name == certificate.learner_name != "Corrected Name"
    assert client.post("/account/name", data={"display_name": "Corrected Name"}).status_code == 302


@pytest.mark.skipif(not ON_POSTGRES, reason="kills the pooled server connections: PostgreSQL only")
def test_pooled_connections_killed_by_the_server_are_replaced_without_an_error(client, make):
    """pool_pre_ping: after a database restart (every backend terminated) the next request just works."""
    make.course()
    assert client.get("/courses").status_code == 200  # leaves a connection in the pool
    db.session.close()  # the test's own connection goes back to the pool too, as at the end of a request
    with db.engine.connect() as killer:
        killed = killer.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    assert killed >= 1
    assert client.get("/courses").status_code == 200
    assert client.get("/healthz").status_code == 200


# --- F3: repair — every passed attempt gets exactly one certificate -----------------------------------


def _passed_without_certificate(make):  # type: ignore[no-untyped-def]
    """A pass whose certificate is missing (written by an older release, a restore or a hand edit)."""
    certificate = make.certificate()
    attempt_id, user = certificate.attempt_id, certificate.user
    db.session.delete(certificate)
    db.session.commit()
    return attempt_id, user


def test_flask_certificates_repair_issues_exactly_one_and_is_idempotent(runner, make):
    attempt_id, _ = _passed_without_certificate(make)
    make.certificate()  # a pass that has its certificate is left alone
    dry = runner.invoke(args=["certificates", "repair", "--dry-run"])
    assert dry.exit_code == 0 and f"would issue a certificate for attempt {attempt_id}" in dry.output
    assert "would issue 1 missing certificate(s)" in dry.output
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    done = runner.invoke(args=["certificates", "repair"])
    assert done.exit_code == 0 and f"issued a certificate for attempt {attempt_id}" in done.output
    again = runner.invoke(args=["certificates", "repair"])
    assert "issued 0 missing certificate(s)" in again.output
    assert len(db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt_id)).all()) == 1
    assert count(Certificate) == 2


def test_my_certificates_only_reads_the_repair_command_issues_what_is_missing(client, runner, make, sign_in,
                                                                            count_queries):
    attempt_id, user = _passed_without_certificate(make)
    sign_in(user)
    with count_queries() as counter:
        assert client.get("/my-certificates").status_code == 200
    assert counter.writes == [] and count(Certificate) == 0
    assert runner.invoke(args=["certificates", "repair"]).exit_code == 0
    certificate = db.session.scalars(select(Certificate).where(Certificate.attempt_id == attempt_id)).one()
    assert format_code(certificate.code) in client.get("/my-certificates").get_data(as_text=True)


def test_the_repair_costs_one_query_when_nothing_is_missing(make, count_queries):
    from elearn.certificates.service import repair_missing_certificates

    user = make.certificate().user
    assert user.id
    with count_queries() as counter:
        assert repair_missing_certificates(user=user) == []
    assert counter.count == 1


# --- F8: the mail server is down during a password reset ----------------------------------------------


def test_smtp_down_during_a_reset_gives_the_same_page_as_an_unknown_email(make_app, make):
    down = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_USE_TLS=False)
    user = make.user()
    client = down.test_client()
    known = client.post("/reset-password", data={"email": user.email})
    unknown = client.post("/reset-password", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda page: re.sub(r"[\w.+-]+@[\w.-]+", "EMAIL", page.get_data(as_text=True))  # noqa: E731
    assert strip(known) == strip(unknown)


# --- F7: Redis (the rate-limit store) is down -------------------------------------------------------------


def test_redis_down_keeps_the_sign_in_limit_in_process_memory(make_app, make):
    """RATELIMIT_IN_MEMORY_FALLBACK_ENABLED (config.py): with Redis unreachable the app still serves, and the
    same limits hold per process instead of silently switching off."""
    down = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1",
                    LOGIN_RATE_LIMIT_PER_IP="3 per minute")
    try:
        user = make.user()
        client = down.test_client()
        statuses = [client.post("/login", data={"email": user.email, "password": "wrong password!"}).status_code
                    for _ in range(5)]
        assert 500 not in statuses
        assert statuses[:3] == [422, 422, 422] and statuses[3:] == [429, 429]
        assert client.get("/courses").status_code == 200
    finally:
        make_app(RATELIMIT_ENABLED=True)  # put the shared limiter back on in-memory storage (conftest turns it off)
        limiter._storage_dead = False
