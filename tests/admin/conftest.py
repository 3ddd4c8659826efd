"""An admin, and a second browser for the people they act on."""

from __future__ import annotations

import pytest

from elearn.models import Role


@pytest.fixture
def admin(make, login_as):  # type: ignore[no-untyped-def]
    """A platform admin, logged in on the test client (two-factor sign-in done)."""
    return login_as(make.user(name="Ada Admin", email="ada.admin@example.org", role=Role.ADMIN))


@pytest.fixture
def other_browser(app):  # type: ignore[no-untyped-def]
    """A second test client with its own cookies."""
    return app.test_client()
