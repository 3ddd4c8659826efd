"""A learner who has passed the sample course through the real assessment, with a certificate."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from elearn.assessment import service as assessment
from elearn.extensions import db
from elearn.models import Attempt, Certificate, Organisation, User
from tests.assessment.helpers import right, sheet


@dataclass
class Passed:
    user: User
    attempt: Attempt
    certificate: Certificate


@pytest.fixture
def pass_course(make):  # type: ignore[no-untyped-def]
    """pass_course(org=…, name=…): a learner who answered every question right and holds the certificate."""

    def build(*, org: Organisation | None = None, name: str = "Grace Hopper",
              email: str | None = None) -> Passed:
        user = make.user(name=name, email=email, org=org)
        enrolment = make.enrolment(user=user, course=make.course(), lessons_done="all")
        attempt = assessment.start_attempt(enrolment, actor=user)
        assessment.save_answers(attempt, sheet(attempt, right), actor=user)
        assessment.submit_attempt(attempt, actor=user)
        certificate = db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)).one()
        return Passed(user, attempt, certificate)

    return build
