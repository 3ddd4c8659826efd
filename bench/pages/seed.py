"""Seed a bench database for the page pairing: the real courses, and learners part-way, finished and mid-attempt.

Prints a JSON object naming each learner page to measure with the session cookie that opens it, so the load
tool needs no sign-in (Argon2 and the sign-in limit are not what this bench measures). Run with the same
environment as the server (DATABASE_URL, SECRET_KEY, ELEARN_CONFIG): `python bench/pages/seed.py`.

- "reader": enrolled on the first course with the first two lessons done and every lesson already opened, so a
  lesson page view is a read that writes only the time on it (as a learner re-reading);
- "passer": passed the first course (a result page and a certificate);
- "taker": an open attempt on the first course (a question page).
"""

from __future__ import annotations

import json
import sys

from flask import Flask
from sqlalchemy import select

from elearn import create_app
from elearn.assessment import service as assessment
from elearn.auth.service import find_user_by_email, register_user
from elearn.auth.sessions import start_session
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import Attempt, AttemptQuestion, Option, User

COURSE = "safeguarding-essentials"
PASSWORD = "bench-pages-passphrase-2026"  # noqa: S105 - a throwaway bench database
USER_AGENT = "elearn-bench-pages"  # the load tool sends this User-Agent


def _learner(name: str) -> User:
    email = f"{name}@pages.elearn.test"
    return find_user_by_email(email) or register_user(f"Bench {name.title()}", email, PASSWORD)


def _cookie(app: Flask, key: str, path: str) -> str:
    """The session cookie a browser holds after signing in and opening `path` once: the server-side session `key`
    signed as a completed sign-in sets it, then as the first page view updates it (Flask-Login's session
    protection adds the browser's identifier), so that later views with it change nothing. Outside the seeding's
    app context: each request has its own, as under gunicorn."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    name = app.config["SESSION_COOKIE_NAME"]
    browser = app.test_client()
    browser.set_cookie(name, serializer.dumps({"_user_id": key, "_fresh": True}))
    response = browser.get(path, headers={"User-Agent": USER_AGENT}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    cookie = browser.get_cookie(name)
    assert cookie is not None
    return f"{name}={cookie.value}"


def _right_answers(attempt: Attempt) -> dict[int, list[int]]:
    """Position -> the numbers (as shown, 1-based) of the correct options: the bench learner knows the answers."""
    rows = db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id))
    correct = set(db.session.scalars(select(Option.id).where(Option.is_correct.is_(True))))
    return {row.position: [n for n, option_id in enumerate(row.option_order, start=1) if option_id in correct]
            for row in rows}


def main() -> None:
    app = create_app()
    with app.app_context():
        course = learning.get_published_course(COURSE)
        reader, passer, taker = _learner("reader"), _learner("passer"), _learner("taker")
        enrolment = learning.enrol(course, actor=reader)
        lessons = learning.list_lessons(enrolment)
        for lesson in lessons[:2]:
            learning.record_lesson_read(enrolment, lesson, actor=reader)
        for lesson in lessons:
            learning.open_lesson(enrolment, lesson, actor=reader)
        results = {}
        for user in (passer, taker):
            enrolment = learning.enrol(course, actor=user)
            for lesson in learning.list_lessons(enrolment):
                learning.record_lesson_read(enrolment, lesson, actor=user)
            attempt = assessment.start_attempt(enrolment, actor=user)
            if user is passer:
                assessment.save_answers(attempt, _right_answers(attempt), actor=user)
                assessment.submit_attempt(attempt, actor=user)
            results[user.id] = attempt.id
        pages = {
            "catalogue": ("/courses", reader),
            "course page": (f"/courses/{COURSE}", reader),
            "lesson": (f"/courses/{COURSE}/lessons/2", reader),
            "my learning": ("/my-learning", reader),
            "question": (f"/attempts/{results[taker.id]}/questions/1", taker),
            "result": (f"/attempts/{results[passer.id]}/result", passer),
        }
        keys = {name: (path, start_session(user, user_agent=USER_AGENT, ip="127.0.0.1").key)
                for name, (path, user) in pages.items()}
    found = {name: {"path": path, "cookie": _cookie(app, key, path)} for name, (path, key) in keys.items()}
    json.dump({"user_agent": USER_AGENT, "pages": found}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
