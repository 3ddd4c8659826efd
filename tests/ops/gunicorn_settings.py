"""gunicorn.conf.py loaded the way gunicorn loads it: gunicorn's own reader and validators, with a chosen environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from gunicorn.app.base import Application
from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
# Every variable gunicorn.conf.py reads, so a developer's own environment does not leak into the tests.
READ = ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT",
        "GUNICORN_MAX_REQUESTS", "GUNICORN_PRELOAD", "GUNICORN_ACCESS_LOG", "FORWARDED_ALLOW_IPS", "TRUSTED_PROXIES", "SINGLE_PROCESS",
        "ELEARN_CONFIG")


class _ConfigOnly(Application):  # type: ignore[misc]
    def load_config(self) -> None:
        self.load_config_from_file(str(CONF))

    def load(self) -> None:
        raise AssertionError("the tests never start the app through gunicorn")


def load_gunicorn_config(monkeypatch: pytest.MonkeyPatch, **env: str) -> Config:
    """gunicorn's settings after reading gunicorn.conf.py with exactly these environment variables set."""
    for name in READ:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return _ConfigOnly().cfg
