"""Keyword-only builders that return committed objects."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path

import pyotp
from flask import Flask
from sqlalchemy import select

from elearn.auth import two_factor
from elearn.auth.service import register_user
from elearn.content.loader import load_course
from elearn.content.sync import sync_courses
from elearn.db import now_utc
from elearn.extensions import db
from elearn.learning import service as learning
from elearn.models import Course, Enrolment, Organisation, Role, User

FIXTURES = Path(__file__).parent / "content" / "fixtures"
_serial = itertools.count(1)


class Makers:
    PASSWORD = "a long test passphrase"

    def __init__(self, app: Flask) -> None:
        self.app = app

    def org(self, *, name: str | None = None) -> Organisation:
        n = next(_serial)
        org = Organisation(name=name or f"Organisation {n}", slug=f"org-{n}")
        db.session.add(org)
        db.session.commit()
        return org

    def user(self, *, email: str | None = None, name: str = "Test Learner", role: Role = Role.LEARNER,
             org: Organisation | None = None, password: str | None = None) -> User:
        return register_user(name, email or f"user{next(_serial)}@example.org", password or self.PASSWORD,
                             role=role, organisation_id=org.id if org else None)

    def two_factor(self, user: User) -> pyotp.TOTP:
        """Switch two-factor sign-in on for a user (once) and return their code generator."""
        if not user.has_two_factor:
            secret = two_factor.start_setup(user)
            two_factor.confirm_setup(user, secret, pyotp.TOTP(secret).now())
        return pyotp.TOTP(user.totp_secret)

    @staticmethod
    def next_totp_code(user: User, totp: pyotp.TOTP) -> str:
        """A code for a time step not used yet, so consecutive logins in one test each succeed."""
        db.session.refresh(user)
        step = max(totp.timecode(now_utc()), (user.totp_last_step or 0) + 1)
        return totp.generate_otp(step)

    def course_folder(self, *, slug: str = "sample-course", source: str = "sample-course") -> Path:
        """A writable copy of a fixture course, for tests that edit course files."""
        target = Path(tempfile.mkdtemp(prefix="elearn-course-")) / slug
        shutil.copytree(FIXTURES / source, target)
        return target

    def course(self, *, slug: str = "sample-course", folder: Path | None = None) -> Course:
        """Sync a fixture course and return it."""
        parsed, faults = load_course(folder or self.course_folder(slug=slug))
        assert not faults, faults
        assert parsed is not None
        sync_courses([parsed])
        return db.session.scalars(select(Course).where(Course.slug == parsed.slug)).one()

    def enrolment(self, *, user: User | None = None, course: Course | None = None,
                  lessons_done: int | str = 0) -> Enrolment:
        """Enrol a learner; `lessons_done` may be a number or "all"."""
        user = user or self.user()
        course = course or self.course()
        enrolment = learning.enrol(course, actor=user)
        lessons = learning.list_lessons(enrolment)
        count = len(lessons) if lessons_done == "all" else int(lessons_done)
        for lesson in lessons[:count]:
            learning.record_lesson_complete(enrolment, lesson, actor=user)
        return enrolment
