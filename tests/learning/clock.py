"""A clock that stands still until a test moves it, for the lesson timer (elearn/learning/service.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from elearn.db import now_utc
from elearn.learning import service


@dataclass
class MovableClock:
    """Stands still until `advance` moves it."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def stop_lesson_clock(monkeypatch: pytest.MonkeyPatch) -> MovableClock:
    """Replace the learning service's clock with one standing at the real time until the test moves it."""
    clock = MovableClock(now_utc())
    monkeypatch.setattr(service, "now_utc", clock)
    return clock
