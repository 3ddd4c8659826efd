from __future__ import annotations

import pytest

from tests.makers import Makers
from tests.updates.helpers import TwoVersions


@pytest.fixture
def two_versions(make: Makers) -> TwoVersions:
    """The sample course at version 1, ready to publish version 2 with a what-changed update."""
    return TwoVersions(make)
