"""The manager area's personas: two organisations with learners and a manager each, a platform admin, and a course.

Shared by the tests of every feature under /manage (manage, people, compliance, contacts, training): each of
their conftest.py files imports the `cast` fixture from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import Course, Organisation, Role, User


@dataclass
class Cast:
    org_a: Organisation
    org_b: Organisation
    learner_a: User
    learner_a2: User
    learner_b: User
    manager_a: User
    manager_b: User
    admin: User
    course: Course


def _with_second_factor(user: User) -> User:
    # Managers and admins must have two-factor sign-in set up; these tests are about managing, not signing in.
    if hasattr(user, "totp_enabled_at"):
        user.totp_enabled_at = now_utc()
        db.session.commit()
    return user


@pytest.fixture
def cast(make) -> Cast:  # type: ignore[no-untyped-def]
    """The personas of the access matrix, in organisations A and B."""
    org_a, org_b = make.org(name="Alder Primary"), make.org(name="Birch Academy")
    return Cast(
        org_a=org_a, org_b=org_b,
        learner_a=make.user(name="Ann Learner", org=org_a),
        learner_a2=make.user(name="Abe Learner", org=org_a),
        learner_b=make.user(name="Bea Learner", org=org_b),
        manager_a=_with_second_factor(make.user(name="Mo Manager", role=Role.MANAGER, org=org_a)),
        manager_b=_with_second_factor(make.user(name="Max Manager", role=Role.MANAGER, org=org_b)),
        admin=_with_second_factor(make.user(name="Ada Admin", role=Role.ADMIN)),
        course=make.course(),
    )

