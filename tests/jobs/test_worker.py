"""A real Celery worker process against a real Redis and a real SMTP server: what survives a fault.

These run when TEST_REDIS_URL names a Redis (CI sets it; .ci/run). Each test gets an empty Redis
database, an SMTP server (aiosmtpd) that records what it accepts, and worker processes started
with `celery -A worker worker`, the same command production runs.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import select

from elearn.extensions import db
from elearn.jobs.tasks import sweep_outbox
from elearn.mail import MAX_ATTEMPTS
from elearn.models import FailedJob, Invitation, OutboxEmail

REDIS_URL = os.environ.get("TEST_REDIS_URL")
ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="set TEST_REDIS_URL to run a real worker against Redis")


class Sink:
    """An aiosmtpd handler: keeps each accepted message; `stall` holds a sender at MAIL FROM."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.stall = False

    async def handle_MAIL(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]  # noqa: N802 - aiosmtpd names its hooks
        while self.stall:
            await asyncio.sleep(0.1)
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    with socket.socket() as probe:  # a free port (aiosmtpd checks its port by connecting, so 0 will not do)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    handler.stall = False
    controller.stop()


@pytest.fixture
def broker_url() -> Iterator[str]:
    url = f"{REDIS_URL.rstrip('/').rsplit('/', 1)[0]}/14"  # type: ignore[union-attr]
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture
def start_worker(app, broker_url, sink, tmp_path) -> Iterator[Callable[..., subprocess.Popen]]:  # type: ignore[no-untyped-def]
    started: list[subprocess.Popen] = []
    logs: list[object] = []
    _, smtp_port = sink

    def start(**settings: str) -> subprocess.Popen:
        env = {**os.environ, "ELEARN_CONFIG": "development", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "CELERY_BROKER_URL": broker_url, "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1",
               "MAIL_PORT": str(smtp_port), "MAIL_USE_TLS": "0", "LOG_FORMAT": "text", **settings}
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 - closed after the test
        logs.append(log)
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=solo", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    for log in logs:
        log.close()  # type: ignore[attr-defined]


@pytest.fixture
def queued_app(make_app, broker_url, sink):  # type: ignore[no-untyped-def]
    """The web app as production runs it: jobs go to Redis, a worker process sends the mail."""
    _, smtp_port = sink
    return make_app(CELERY_BROKER_URL=broker_url, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1",
                    MAIL_PORT=smtp_port, MAIL_USE_TLS=False)


def wait_for(check: Callable[[], object], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        db.session.rollback()
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


def outbox_rows() -> list[OutboxEmail]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def invite(app, cast, login_as, email: str = "new.teacher@example.org"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    login_as(cast.manager_a, via=client)
    started = time.monotonic()
    response = client.post("/manage/people/invite", data={"display_name": "New Teacher", "email": email})
    return response, time.monotonic() - started


def test_a_worker_sends_the_invitation_the_page_queued(queued_app, cast, login_as, sink, start_worker):
    handler, _ = sink
    start_worker()
    response, _ = invite(queued_app, cast, login_as)
    assert response.status_code == 302
    wait_for(lambda: len(handler.messages) == 1)
    assert b"You are invited to join" in handler.messages[0]
    assert outbox_rows()[0].sent_at is not None


def test_with_the_broker_down_the_page_works_and_the_email_goes_once_it_is_back(
        make_app, queued_app, cast, login_as, sink, start_worker):
    handler, smtp_port = sink
    broker_down = make_app(CELERY_BROKER_URL="redis://127.0.0.1:1/0", MAIL_BACKEND="smtp",
                           MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port, MAIL_USE_TLS=False)
    response, seconds = invite(broker_down, cast, login_as)
    assert response.status_code == 302 and seconds < 5
    assert db.session.scalar(select(Invitation.email)) == "new.teacher@example.org"
    [row] = outbox_rows()
    assert row.sent_at is None and row.attempts == 0 and handler.messages == []
    start_worker()  # the broker is back: the scheduler's sweep queues what the page could not
    with queued_app.app_context():
        assert sweep_outbox() == 1
    wait_for(lambda: len(handler.messages) == 1)
    time.sleep(1)
    assert len(handler.messages) == 1


def test_a_worker_killed_mid_send_leaves_the_email_to_another_and_it_goes_once(
        queued_app, cast, login_as, sink, start_worker):
    handler, _ = sink
    handler.stall = True  # the SMTP server holds the sender at MAIL FROM
    first = start_worker(MAIL_CLAIM_SECONDS="3")
    invite(queued_app, cast, login_as)
    wait_for(lambda: outbox_rows()[0].claimed_until is not None)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    handler.stall = False
    assert handler.messages == []
    start_worker(MAIL_CLAIM_SECONDS="3")
    time.sleep(3.5)  # the dead worker's claim lapses
    with queued_app.app_context():
        assert sweep_outbox() == 1
    wait_for(lambda: len(handler.messages) == 1)
    time.sleep(1)
    assert len(handler.messages) == 1
    assert outbox_rows()[0].attempts == 2


def test_smtp_refusing_connections_is_retried_then_failed_and_shown_to_admins(
        queued_app, cast, login_as, start_worker, client):
    start_worker(MAIL_PORT="1")  # nothing listens there: connection refused
    invite(queued_app, cast, login_as)
    wait_for(lambda: outbox_rows()[0].attempts == 1 and outbox_rows()[0].claimed_until is None)
    row = outbox_rows()[0]
    assert row.sent_at is None and "ConnectionRefusedError" in row.last_error
    row.attempts, row.next_attempt_at = MAX_ATTEMPTS - 1, row.created_at  # as if the back-off had run its course
    db.session.commit()
    with queued_app.app_context():
        sweep_outbox()
    wait_for(lambda: outbox_rows()[0].failed_at is not None)
    login_as(cast.admin, via=client)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "new.teacher@example.org" in page and "ConnectionRefusedError" in page


def test_a_job_that_raises_on_a_worker_is_recorded_and_shown_to_admins(
        queued_app, cast, login_as, start_worker, client):
    start_worker()
    with queued_app.app_context():  # a job sent with an argument it does not take: it raises on the worker
        queued_app.extensions["celery"].send_task("elearn.jobs.tasks.prune_audit_log", args=[30])

    def recorded() -> FailedJob | None:
        return db.session.scalar(select(FailedJob))

    wait_for(recorded)
    failure = recorded()
    assert failure is not None and failure.args == [30] and failure.error.startswith("TypeError")
    login_as(cast.admin, via=client)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "Pruning the audit log" in page and "TypeError" in page
