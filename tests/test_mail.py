"""Every email leaves through send_email(), whatever the backend."""

from __future__ import annotations

import pytest

from elearn.mail import send_email


def test_the_memory_backend_keeps_the_message(outbox):
    send_email("jo@example.org", "Hello", "Body text")
    assert outbox[-1]["To"] == "jo@example.org"
    assert outbox[-1]["Subject"] == "Hello"


@pytest.mark.parametrize(("to", "subject"), [
    ("jo@example.org\r\nBcc: x@evil.example", "Hello"),
    ("jo@example.org", "Hello\nBcc: x@evil.example"),
])
def test_header_injection_is_refused(outbox, to, subject):
    with pytest.raises(ValueError, match="line breaks"):
        send_email(to, subject, "Body")
    assert outbox == []


def test_the_folder_backend_writes_an_eml_file(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "folder")
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    send_email("jo@example.org", "Hello", "Body text")
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    assert b"Subject: Hello" in files[0].read_bytes()


def test_the_smtp_backend_sends_through_the_configured_server(app, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):  # type: ignore[no-untyped-def]
            sent.append(("connect", host, port))

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            return False

        def starttls(self):  # type: ignore[no-untyped-def]
            sent.append(("starttls",))

        def login(self, user, password):  # type: ignore[no-untyped-def]
            sent.append(("login", user))

        def send_message(self, message):  # type: ignore[no-untyped-def]
            sent.append(("send", message["To"]))

    monkeypatch.setattr("elearn.mail.smtplib.SMTP", FakeSMTP)
    for key, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "smtp.example.org", "MAIL_PORT": 587,
                       "MAIL_USERNAME": "elearn", "MAIL_PASSWORD": "secret", "MAIL_USE_TLS": True}.items():
        monkeypatch.setitem(app.config, key, value)
    send_email("jo@example.org", "Hello", "Body text")
    assert sent == [("connect", "smtp.example.org", 587), ("starttls",), ("login", "elearn"), ("send", "jo@example.org")]
