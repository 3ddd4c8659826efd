"""A real server for the browser tests: the app on a free loopback port, on a fresh SQLite file.

Used by the pytest fixtures (conftest.py) and by `make screenshots` (screenshots.py). CSRF is on,
as in production; rate limits are off so that one journey after another is not slowed down.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from elearn import create_app
from elearn.content.loader import load_course
from elearn.content.sync import sync_courses
from elearn.db import now_utc
from elearn.extensions import db
from elearn.learning import service as learning

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_COURSE = ROOT / "tests" / "content" / "fixtures" / "sample-course"
REAL_COURSE = ROOT / "courses" / "fgm-awareness"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "a long browser-test passphrase"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


class QuietHandler(WSGIRequestHandler):
    """No access log line per request: the app's own request log is enough."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class LessonClock:
    """The live server's lesson timer: real time plus an offset a journey moves forward, so a lesson's
    min_minutes can pass without waiting (the server thread shares this process's learning service)."""

    offset: timedelta = timedelta()

    def __call__(self) -> datetime:
        return now_utc() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@dataclass
class LiveServer:
    app: Flask
    url: str
    server: BaseWSGIServer
    folder: Path
    serial: list[int] = field(default_factory=lambda: [0])
    lesson_clock: LessonClock = field(default_factory=LessonClock)

    def unique_email(self, who: str) -> str:
        self.serial[0] += 1
        return f"{who}{self.serial[0]}@example.org"

    @contextmanager
    def context(self) -> Iterator[None]:
        """An app context of the live app, to read or prepare data with the services."""
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    def outbox(self) -> list[Any]:
        return self.app.extensions.setdefault("outbox", [])


def _sync(folders: list[Path]) -> None:
    parsed_courses = []
    for folder in folders:
        parsed, faults = load_course(folder)
        assert not faults, faults
        assert parsed is not None
        parsed_courses.append(parsed)
    sync_courses(parsed_courses)


@contextmanager
def live_server() -> Iterator[LiveServer]:
    """Migrate a fresh database, load the sample course and one real course, and serve in a thread."""
    folder = Path(tempfile.mkdtemp(prefix="elearn-browser-"))
    server: BaseWSGIServer | None = None
    clock = LessonClock()
    real_clock, learning.now_utc = learning.now_utc, clock  # type: ignore[assignment]
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/browser.db",
                     WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
    try:
        with app.app_context():
            upgrade()
            _sync([SAMPLE_COURSE, REAL_COURSE])
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        url = f"http://127.0.0.1:{server.server_port}"
        app.config["PUBLIC_BASE_URL"] = url  # invitation links and certificate QR codes point here
        thread = threading.Thread(target=server.serve_forever, name="elearn-live-server", daemon=True)
        thread.start()
        yield LiveServer(app=app, url=url, server=server, folder=folder, lesson_clock=clock)
    finally:
        learning.now_utc = real_clock  # type: ignore[assignment]
        if server is not None:
            server.shutdown()
            server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def answer_key(live: LiveServer, attempt_id: int) -> dict[int, set[str]]:
    """For each question position of an attempt, the texts of its correct options (read from the database)."""
    from elearn.models import AttemptQuestion, Option

    with live.context():
        rows = db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)).all()
        key: dict[int, set[str]] = {}
        for row in rows:
            options = db.session.scalars(select(Option).where(Option.question_id == row.question_id)).all()
            key[row.position] = {o.text for o in options if o.is_correct}
        return key
