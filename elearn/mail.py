"""Every email leaves through send_email(), whatever the backend."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

from elearn.db import now_utc

log = logging.getLogger(__name__)


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """Build a plain-text message; header values with line breaks are refused (header injection)."""
    for value in (to, subject):
        if "\r" in value or "\n" in value:
            raise ValueError("line breaks are not allowed in email headers")
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="elearn.invalid")
    message.set_content(body)
    return message


def send_email(to: str, subject: str, body: str) -> None:
    """Send one email through the configured backend: smtp, folder (development) or memory (tests)."""
    message = build_message(to, subject, body)
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "memory":
        current_app.extensions.setdefault("outbox", []).append(message)
    elif backend == "folder":
        _write_to_folder(message)
    elif backend == "smtp":
        _send_by_smtp(message)
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r}")
    log.info("email sent via %s: %s", backend, subject)


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
