"""Every email leaves through the outbox: written with the change that causes it, sent by a worker.

`send_email()` adds a row to `outbox_emails` in the caller's transaction and sends nothing. If the
transaction rolls back, the email never existed; once it commits, the job queue is asked to deliver
it (elearn.jobs), and the scheduler's sweep catches any email whose job was lost (the broker was
down at commit time, a worker died). `deliver()` is the one place that talks to a mail backend: it
claims the row, sends, and records the outcome, so a page never waits for, or fails with, SMTP.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import OutboxEmail

log = logging.getLogger(__name__)

NEW_IN_SESSION = "outbox_new"  # Session.info key: ids of emails queued in the open transaction
MAX_ATTEMPTS = 8  # then the email is failed, shown to admins, and retried only by hand
FIRST_RETRY = timedelta(seconds=30)  # doubled after each failure: 30 s, 1 min, 2 min … about 1 h in all
LAST_RETRY = timedelta(hours=1)


def check_headers(to: str, subject: str) -> None:
    """Refuse header values with line breaks (header injection): ValueError."""
    for value in (to, subject):
        if "\r" in value or "\n" in value:
            raise ValueError("line breaks are not allowed in email headers")


def build_message(to: str, subject: str, body: str, *, message_id: str | None = None) -> EmailMessage:
    """Build a plain-text message; header values with line breaks are refused (header injection)."""
    check_headers(to, subject)
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="elearn.invalid")
    message.set_content(body)
    return message


def send_email(to: str, subject: str, body: str) -> None:
    """Queue one email in the current transaction; it is sent after the transaction commits.

    Raises ValueError at once for a header with a line break, so a bad address fails the change
    that asked for it instead of failing later in a worker.
    """
    queue_emails([(to, subject, body)])


def queue_emails(emails: Sequence[tuple[str, str, str]]) -> list[int]:
    """Queue many emails (to, subject, body) in the current transaction with one INSERT; their ids.

    The same rule as send_email (which is this with one email): headers checked first, nothing sent before the
    commit. A CSV import queues thousands this way instead of one ORM flush each.
    """
    for to, subject, _ in emails:
        check_headers(to, subject)
    if not emails:
        return []
    now = now_utc()
    # One executemany without RETURNING (drivers send RETURNING as one large statement per thousand rows, slow
    # to build), then the ids read back by their creation time. Another transaction's email committed in the
    # same microsecond would be read back too: its extra delivery job finds it claimed or sent (deliver()).
    db.session.execute(insert(OutboxEmail).execution_options(render_nulls=True), [
        {"to_address": to, "subject": subject, "body": body, "created_at": now, "next_attempt_at": now,
         "attempts": 0} for to, subject, body in emails])
    queued = db.session.info.setdefault(NEW_IN_SESSION, [])
    ids = [outbox_id for outbox_id in db.session.scalars(select(OutboxEmail.id).where(
        OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None), OutboxEmail.next_attempt_at == now,
        OutboxEmail.created_at == now).order_by(OutboxEmail.id)) if outbox_id not in queued]
    queued.extend(ids)
    log.info("%s email(s) queued: %s", len(ids), emails[0][1])
    return ids


def deliver(outbox_id: int) -> str:
    """Send one queued email if it is due and no one else is sending it; returns what happened.

    Runs in its own short transactions, never in the caller's session: the job may run inline right
    after a page's commit (no broker configured), when that session can no longer be used.
    """
    with Session(db.engine) as session:
        email = _claim(session, outbox_id)
        if email is None:
            return "skipped"
        try:
            _transmit(build_message(email.to_address, email.subject, email.body,
                                    message_id=f"<outbox-{email.id}@elearn.invalid>"))
        except Exception as error:  # noqa: BLE001 - any failure of the backend is retried, never lost
            return _record_failure(session, email, error)
        session.execute(update(OutboxEmail).where(OutboxEmail.id == email.id)
                        .values(sent_at=now_utc(), claimed_until=None, body=""))
        session.commit()
        log.info("email %s sent via %s", email.id, current_app.config["MAIL_BACKEND"])
        return "sent"


def list_due(limit: int = 500) -> list[int]:
    """Emails waiting to be sent whose time has come and that no worker holds: what the sweep re-queues."""
    now = now_utc()
    return list(db.session.scalars(
        select(OutboxEmail.id).where(*_is_due(now)).order_by(OutboxEmail.next_attempt_at).limit(limit)))


def retry_failed(outbox_id: int) -> bool:
    """Put a failed email back in the queue with a fresh set of attempts (an admin's retry). Flush only."""
    result = db.session.execute(
        update(OutboxEmail).where(OutboxEmail.id == outbox_id, OutboxEmail.failed_at.is_not(None),
                                  OutboxEmail.sent_at.is_(None))
        .values(failed_at=None, attempts=0, next_attempt_at=now_utc(), claimed_until=None)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    db.session.info.setdefault(NEW_IN_SESSION, []).append(outbox_id)
    return True


def claim_period() -> timedelta:
    """How long a worker holds an email it is sending: longer than SMTP's timeout, so a claim outlives a slow
    send, but not a dead worker (MAIL_CLAIM_SECONDS)."""
    return timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])


def take_new_in_session(session: Session) -> Sequence[int]:
    """The ids queued in a transaction that just committed (and forget them)."""
    return session.info.pop(NEW_IN_SESSION, [])


def forget_new_in_session(session: Session) -> None:
    """After a rollback the queued rows are gone: nothing to deliver."""
    session.info.pop(NEW_IN_SESSION, None)


# --- inside deliver() ------------------------------------------------------------------------------


def _is_due(now: datetime) -> tuple:  # type: ignore[type-arg]
    return (OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None), OutboxEmail.next_attempt_at <= now,
            or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now))


def _claim(session: Session, outbox_id: int) -> OutboxEmail | None:
    """Take the email for claim_period(), or None when it is sent, failed, not yet due, or held by another worker.

    The conditional UPDATE is the lock: of two workers given the same id, the database lets one claim it.
    """
    now = now_utc()
    claimed = session.execute(
        update(OutboxEmail).where(OutboxEmail.id == outbox_id, *_is_due(now))
        .values(claimed_until=now + claim_period(), attempts=OutboxEmail.attempts + 1)
    )
    session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(OutboxEmail, outbox_id)


def _record_failure(session: Session, email: OutboxEmail, error: Exception) -> str:
    now = now_utc()
    reason = f"{type(error).__name__}: {error}"[:500]
    if email.attempts >= MAX_ATTEMPTS:
        values: dict[str, object] = {"failed_at": now}
        log.error("email %s failed after %s attempts: %s", email.id, email.attempts, reason)
        outcome = "failed"
    else:
        delay = min(FIRST_RETRY * 2 ** (email.attempts - 1), LAST_RETRY)
        values = {"next_attempt_at": now + delay}
        log.warning("email %s not sent (attempt %s), retrying in %s: %s", email.id, email.attempts, delay, reason)
        outcome = "retry"
    session.execute(update(OutboxEmail).where(OutboxEmail.id == email.id)
                    .values(claimed_until=None, last_error=reason, **values))
    session.commit()
    return outcome


def _transmit(message: EmailMessage) -> None:
    """Hand one message to the configured backend: smtp, folder (development) or memory (tests)."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "memory":
        current_app.extensions.setdefault("outbox", []).append(message)
    elif backend == "folder":
        _write_to_folder(message)
    elif backend == "smtp":
        _send_by_smtp(message)
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r}")


def _write_to_folder(message: EmailMessage) -> None:
    folder = Path(current_app.config["MAIL_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{now_utc():%Y%m%dT%H%M%S%f}.eml"
    (folder / name).write_bytes(bytes(message))
    log.info("development email written to %s", folder / name)


def _send_by_smtp(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
