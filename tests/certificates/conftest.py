"""Personas in two organisations, and a sign-in that does not depend on the login form's steps."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import Role, User
from tests.makers import Makers


@dataclass
class Personas:
    learner_a1: User
    learner_a2: User
    learner_b1: User
    manager_a: User
    manager_b: User
    admin: User

    def get(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


def _as_if_two_factor_set_up(user: User) -> None:
    # Managers and admins must set up two-factor sign-in before anything else (auth feature);
    # these tests are about certificates, so their personas have done so.
    if hasattr(User, "totp_enabled_at"):
        user.totp_enabled_at = now_utc()


@pytest.fixture
def people(make: Makers) -> Personas:
    """learner_a1, learner_a2 and manager_a in org A; learner_b1 and manager_b in org B; a platform admin."""
    org_a, org_b = make.org(name="Org A"), make.org(name="Org B")
    personas = Personas(
        learner_a1=make.user(name="Alice Able", org=org_a),
        learner_a2=make.user(name="Amir Ahmed", org=org_a),
        learner_b1=make.user(name="Bea Brown", org=org_b),
        manager_a=make.user(name="Manny A", role=Role.MANAGER, org=org_a),
        manager_b=make.user(name="Manny B", role=Role.MANAGER, org=org_b),
        admin=make.user(name="Ada Admin", role=Role.ADMIN),
    )
    for user in (personas.manager_a, personas.manager_b, personas.admin):
        _as_if_two_factor_set_up(user)
    db.session.commit()
    return personas

