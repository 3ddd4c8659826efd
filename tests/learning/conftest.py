"""The lesson timer's clock, which a test moves by hand."""

from __future__ import annotations

import pytest

from tests.learning.clock import MovableClock, stop_lesson_clock


@pytest.fixture
def lesson_clock(monkeypatch: pytest.MonkeyPatch) -> MovableClock:
    """The learning service's clock, standing still at the real time until the test moves it."""
    return stop_lesson_clock(monkeypatch)
