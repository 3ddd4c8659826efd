"""The evidence tests' course: the sample course with a knowledge check."""

from __future__ import annotations

import pytest

from elearn.models import Course


@pytest.fixture
def course(make) -> Course:  # type: ignore[no-untyped-def]
    """The sample course (6 questions, 4 per attempt) with a 2-question knowledge check."""
    return make.course(options={"precheck_questions": 2})
