"""A course with a knowledge check, two organisations' people, and attempts built straight from the models."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import (
    Attempt,
    AttemptAnswer,
    AttemptQuestion,
    Course,
    CourseVersion,
    Option,
    Organisation,
    Question,
    Role,
    User,
)
from tests.assessment.helpers import set_course_option


@dataclass
class Cast:
    org_a: Organisation
    org_b: Organisation
    learner_a: User
    learner_b: User
    manager_a: User
    manager_b: User
    admin: User
    course: Course


def _second_factor(user: User) -> User:
    user.totp_enabled_at = now_utc()  # these tests are about the pages, not signing in
    db.session.commit()
    return user


@pytest.fixture
def course(make) -> Course:  # type: ignore[no-untyped-def]
    """The sample course (6 questions, 4 per attempt) with a 2-question knowledge check."""
    folder = make.course_folder()
    set_course_option(folder, "precheck_questions: 2")
    return make.course(folder=folder)


@pytest.fixture
def cast(make, course) -> Cast:  # type: ignore[no-untyped-def]
    org_a, org_b = make.org(name="Alder Primary"), make.org(name="Birch Academy")
    return Cast(
        org_a=org_a, org_b=org_b,
        learner_a=make.user(name="Ann Learner", org=org_a), learner_b=make.user(name="Bea Learner", org=org_b),
        manager_a=_second_factor(make.user(name="Mo Manager", role=Role.MANAGER, org=org_a)),
        manager_b=_second_factor(make.user(name="Max Manager", role=Role.MANAGER, org=org_b)),
        admin=_second_factor(make.user(name="Ada Admin", role=Role.ADMIN)),
        course=course,
    )


def questions_of(course: Course) -> list[Question]:
    return list(db.session.scalars(select(Question).join(CourseVersion).where(CourseVersion.course_id == course.id)
                                   .order_by(Question.position)))


def add_attempt(make, course: Course, user: User, marks: dict[Question, float], *,  # type: ignore[no-untyped-def]
                kind: str = "final", number: int = 1, submitted: bool = True) -> Attempt:
    """A submitted attempt with the given mark per question, its answers ticking the correct or a wrong option."""
    from elearn.learning import service as learning

    enrolment = learning.find_current_enrolment(course, actor=user) or make.enrolment(user=user, course=course,
                                                                                 lessons_done="all")
    marks = {question: float(mark) for question, mark in marks.items()}
    total = sum(marks.values())
    attempt = Attempt(enrolment_id=enrolment.id, user_id=user.id, version_id=enrolment.version_id, number=number,
                      kind=kind, started_at=now_utc() - timedelta(minutes=30),
                      submitted_at=now_utc() if submitted else None,
                      score_percent=Decimal(round(100 * total / len(marks), 2)) if submitted else None,
                      passed=(100 * total / len(marks) >= 80) if submitted and kind == "final" else None)
    db.session.add(attempt)
    db.session.flush()
    rng = random.Random(attempt.id)
    for position, (question, mark) in enumerate(marks.items(), start=1):
        options = list(db.session.scalars(select(Option).where(Option.question_id == question.id)
                                          .order_by(Option.position)))
        row = AttemptQuestion(attempt_id=attempt.id, question_id=question.id, position=position,
                              option_order=[o.id for o in options], answered_at=now_utc(),
                              mark=Decimal(str(mark)) if submitted else None)
        db.session.add(row)
        db.session.flush()
        pool = [o for o in options if o.is_correct == (mark >= 1)]
        db.session.add(AttemptAnswer(attempt_question_id=row.id, option_id=rng.choice(pool).id))
    db.session.commit()
    return attempt
