"""Every email goes through the outbox: queued with the change that causes it, sent once after the commit."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy import select

from elearn import mail
from elearn.db import now_utc
from elearn.extensions import db
from elearn.jobs.tasks import sweep_outbox
from elearn.mail import MAX_ATTEMPTS, deliver, retry_failed, send_email
from elearn.models import OutboxEmail


class StillClock:
    """The outbox's clock, standing still until a test moves it."""

    def __init__(self) -> None:
        self.now = now_utc()

    def advance(self, step: timedelta) -> None:
        self.now += step


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    still = StillClock()
    monkeypatch.setattr(mail, "now_utc", lambda: still.now)
    return still


def stored() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def test_an_email_is_sent_only_once_its_transaction_commits(outbox):
    send_email("jo@example.org", "Hello", "Body text")
    assert outbox == []  # queued, not sent: the change that caused it might still roll back
    db.session.commit()
    assert [(m["To"], m["Subject"]) for m in outbox] == [("jo@example.org", "Hello")]
    assert outbox[0].get_content().strip() == "Body text"
    [row] = stored()
    assert row.sent_at is not None and row.attempts == 1
    assert row.body == ""  # a reset or invitation link does not outlive its delivery


def test_a_rolled_back_change_sends_nothing(outbox):
    send_email("jo@example.org", "Hello", "Body text")
    db.session.rollback()
    db.session.commit()
    assert outbox == [] and stored() == []


@pytest.mark.parametrize(("to", "subject"), [
    ("jo@example.org\r\nBcc: x@evil.example", "Hello"),
    ("jo@example.org", "Hello\nBcc: x@evil.example"),
])
def test_header_injection_is_refused_when_queued(outbox, to, subject):
    with pytest.raises(ValueError, match="line breaks"):
        send_email(to, subject, "Body")
    db.session.commit()
    assert outbox == [] and stored() == []


def test_an_email_is_delivered_once_however_often_its_job_runs(outbox):
    send_email("jo@example.org", "Hello", "Body text")
    db.session.commit()
    [row] = stored()
    assert deliver(row.id) == "skipped"  # a duplicate job, or the sweep racing the first job
    assert sweep_outbox() == 0
    assert len(outbox) == 1


def test_the_folder_backend_writes_an_eml_file(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "folder")
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    send_email("jo@example.org", "Hello", "Body text")
    db.session.commit()
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    assert b"Subject: Hello" in files[0].read_bytes()


class FakeSMTP:
    """An SMTP server that records what it is asked, or refuses connections while `down`."""

    down = False
    sent: ClassVar[list[tuple[str, ...]]] = []

    def __init__(self, host, port, timeout):  # type: ignore[no-untyped-def]
        if FakeSMTP.down:
            raise ConnectionRefusedError("connection refused")
        FakeSMTP.sent.append(("connect", host, str(port)))

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc):  # type: ignore[no-untyped-def]
        return False

    def starttls(self):  # type: ignore[no-untyped-def]
        FakeSMTP.sent.append(("starttls",))

    def login(self, user, password):  # type: ignore[no-untyped-def]
        FakeSMTP.sent.append(("login", user))

    def send_message(self, message):  # type: ignore[no-untyped-def]
        FakeSMTP.sent.append(("send", message["To"]))


@pytest.fixture
def smtp(app, monkeypatch):  # type: ignore[no-untyped-def]
    FakeSMTP.down, FakeSMTP.sent = False, []
    monkeypatch.setattr("elearn.mail.smtplib.SMTP", FakeSMTP)
    for key, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "smtp.example.org", "MAIL_PORT": 587,
                       "MAIL_USERNAME": "elearn", "MAIL_PASSWORD": "secret", "MAIL_USE_TLS": True}.items():
        monkeypatch.setitem(app.config, key, value)
    return FakeSMTP


def test_the_smtp_backend_sends_through_the_configured_server(smtp):
    send_email("jo@example.org", "Hello", "Body text")
    db.session.commit()
    assert smtp.sent == [("connect", "smtp.example.org", "587"), ("starttls",), ("login", "elearn"),
                         ("send", "jo@example.org")]


def test_smtp_down_is_retried_with_back_off_and_the_email_goes_once_it_returns(smtp, clock):
    smtp.down = True
    send_email("jo@example.org", "Hello", "Body text")
    db.session.commit()  # the commit itself succeeds: the caller's page answers normally
    [row] = stored()
    assert row.sent_at is None and row.attempts == 1 and "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at == clock.now + mail.FIRST_RETRY
    assert sweep_outbox() == 0  # not due yet
    clock.advance(mail.FIRST_RETRY)
    assert sweep_outbox() == 1
    assert stored()[0].next_attempt_at == clock.now + 2 * mail.FIRST_RETRY  # doubled
    smtp.down = False
    clock.advance(2 * mail.FIRST_RETRY)
    sweep_outbox()
    sweep_outbox()
    assert smtp.sent.count(("send", "jo@example.org")) == 1
    assert stored()[0].sent_at is not None


def test_after_its_last_attempt_an_email_is_failed_until_an_admin_retries_it(smtp, clock):
    smtp.down = True
    send_email("jo@example.org", "Hello", "Body text")
    db.session.commit()
    for _ in range(MAX_ATTEMPTS):
        clock.advance(mail.LAST_RETRY)
        sweep_outbox()
    [row] = stored()
    assert row.failed_at is not None and row.attempts == MAX_ATTEMPTS and row.body == "Body text"
    clock.advance(timedelta(days=1))
    assert sweep_outbox() == 0  # failed emails wait for a person
    smtp.down = False
    assert retry_failed(row.id) is True
    db.session.commit()
    assert smtp.sent.count(("send", "jo@example.org")) == 1
    assert retry_failed(row.id) is False  # sent: nothing to retry


def test_an_email_held_by_a_worker_that_died_is_sent_after_its_claim_lapses(outbox, clock):
    send_email("jo@example.org", "Hello", "Body text")
    db.session.info.pop(mail.NEW_IN_SESSION)  # as if the broker lost the job
    db.session.commit()
    [row] = stored()
    row.claimed_until, row.attempts = clock.now + mail.claim_period(), 1  # a worker took it, then died mid-send
    db.session.commit()
    assert sweep_outbox() == 0 and outbox == []
    clock.advance(mail.claim_period() + timedelta(seconds=1))
    assert sweep_outbox() == 1
    assert len(outbox) == 1


def test_smtp_errors_of_every_kind_are_retried(smtp, monkeypatch):
    def refuse(self, message):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPRecipientsRefused({"jo@example.org": (550, b"mailbox unavailable")})

    monkeypatch.setattr(FakeSMTP, "send_message", refuse)
    send_email("jo@example.org", "Hello", "Body text")
    db.session.commit()
    assert "SMTPRecipientsRefused" in stored()[0].last_error
