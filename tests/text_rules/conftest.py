"""One organisation with a learner and a manager, and a platform admin."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from elearn.db import now_utc
from elearn.extensions import db
from elearn.models import Organisation, Role, User


@dataclass
class Cast:
    org: Organisation
    learner: User
    manager: User
    admin: User


@pytest.fixture
def cast(make) -> Cast:  # type: ignore[no-untyped-def]
    """A learner and a manager of one organisation, and an admin; both staff have two-factor sign-in set up."""
    org = make.org(name="Alder Primary")
    people = Cast(org, make.user(name="Alice Able", org=org), make.user(name="Mo Manager", role=Role.MANAGER, org=org),
                  make.user(name="Ada Admin", role=Role.ADMIN))
    people.manager.totp_enabled_at = people.admin.totp_enabled_at = now_utc()
    db.session.commit()
    return people
