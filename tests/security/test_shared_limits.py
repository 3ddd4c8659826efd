"""Limits shared by all workers: production refuses per-process (memory://) rate-limit counters unless it runs as one process.

The probe: five gunicorn workers with the default memory:// store allowed 150 failed sign-ins a minute per
address instead of 30, because each worker counted on its own.
"""

from __future__ import annotations

import pytest

from config import ConfigError, ProductionConfig
from elearn import create_app
from tests.ops.gunicorn_settings import load_gunicorn_config

REQUIRED = {"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://", "PUBLIC_BASE_URL": "https://training.northfield.sch.uk",
            "MAIL_SENDER": "Training <training@northfield.sch.uk>", "CELERY_BROKER_URL": "redis://redis.internal:6379/1"}


def _production(**settings: object) -> ProductionConfig:
    config = ProductionConfig()
    for name, value in {**REQUIRED, **settings}.items():
        setattr(config, name, value)
    return config


@pytest.mark.parametrize("storage", ["memory://", "MEMORY://", "memory:///"])
def test_production_refuses_per_process_rate_limits(storage):
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI .* each process"):
        _production(RATELIMIT_STORAGE_URI=storage, SINGLE_PROCESS=False).validate()


def test_a_production_app_with_in_memory_limits_does_not_start(monkeypatch):
    monkeypatch.delenv("SINGLE_PROCESS", raising=False)
    with pytest.raises(ConfigError, match="set SINGLE_PROCESS=1"):
        create_app("production", **REQUIRED, RATELIMIT_STORAGE_URI="memory://", SINGLE_PROCESS=False)


def test_production_reads_single_process_from_the_environment(monkeypatch):
    monkeypatch.setenv("SINGLE_PROCESS", "1")
    assert ProductionConfig().SINGLE_PROCESS is True
    monkeypatch.setenv("SINGLE_PROCESS", "yes")  # only 1 says so: anything else keeps the refusal
    assert ProductionConfig().SINGLE_PROCESS is False


@pytest.mark.parametrize(("storage", "single_process"), [
    ("memory://", True),                           # told it runs one process
    ("redis://redis.internal:6379/0", False),      # shared by every worker and server
    ("rediss://redis.internal:6380/0", False),
    ("redis+sentinel://sentinel.internal:26379/elearn", False),
    ("memcached://memcached.internal:11211", False),
])
def test_production_accepts_a_shared_store_or_a_single_process(storage, single_process):
    _production(RATELIMIT_STORAGE_URI=storage, SINGLE_PROCESS=single_process).validate()


def test_development_and_tests_keep_memory_storage(make_app):
    assert make_app().config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_gunicorn_runs_one_worker_that_is_never_recycled_when_single_process(monkeypatch):
    """One worker holds the only counters; recycling it every ~2,000 requests would reset them."""
    config = load_gunicorn_config(monkeypatch, SINGLE_PROCESS="1")
    assert config.workers == 1 and config.max_requests == 0
    several = load_gunicorn_config(monkeypatch)
    assert several.workers > 1 and several.max_requests == 2000


class _Arbiter:
    def __init__(self, cfg) -> None:  # type: ignore[no-untyped-def]
        self.cfg = cfg


@pytest.mark.parametrize("workers", [2, 5])
def test_gunicorn_refuses_more_workers_than_single_process_allows(monkeypatch, workers):
    """GUNICORN_WORKERS or `gunicorn -w` may ask for more after the file is read: the start hook sees the final value."""
    config = load_gunicorn_config(monkeypatch, SINGLE_PROCESS="1")
    config.set("workers", workers)
    with pytest.raises(RuntimeError, match="SINGLE_PROCESS=1"):
        config.on_starting(_Arbiter(config))


def test_gunicorn_starts_one_single_process_worker_or_many_shared_ones(monkeypatch):
    single = load_gunicorn_config(monkeypatch, SINGLE_PROCESS="1")
    single.on_starting(_Arbiter(single))
    shared = load_gunicorn_config(monkeypatch, GUNICORN_WORKERS="5")
    shared.on_starting(_Arbiter(shared))


def test_gunicorn_loads_the_app_once_and_forks_workers_from_it(monkeypatch):
    """A worker recycled every ~2,000 requests is a fork of the loaded app, not 1.5 s of CPU importing it again
    while requests wait (bench/load)."""
    assert load_gunicorn_config(monkeypatch).preload_app is True


class _Server:
    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app


class _Loaded:
    def __init__(self, callable_) -> None:  # type: ignore[no-untyped-def]
        self.callable = callable_


def test_a_forked_worker_opens_its_own_database_connections(monkeypatch, make_app):
    """Connections the master opened while loading the app are never used by two processes: each worker's pool
    starts empty (a socket or SQLite file handle shared across fork corrupts both sides)."""
    from elearn.extensions import db

    config = load_gunicorn_config(monkeypatch)
    app = make_app()
    with app.app_context():
        inherited = db.engine.pool
    config.post_fork(_Server(_Loaded(app)), object())
    with app.app_context():
        assert db.engine.pool is not inherited


def test_post_fork_does_nothing_when_the_worker_loads_the_app_itself(monkeypatch):
    config = load_gunicorn_config(monkeypatch)
    config.post_fork(_Server(_Loaded(None)), object())  # GUNICORN_PRELOAD=0: nothing was loaded before the fork


def test_post_fork_leaves_another_apps_database_alone(monkeypatch):
    """The same settings serve the benches' bare page (no database) and floor page (its own SQLAlchemy)."""
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    config = load_gunicorn_config(monkeypatch)
    config.post_fork(_Server(_Loaded(Flask("bare"))), object())
    other = Flask("floor")
    other.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    SQLAlchemy().init_app(other)
    config.post_fork(_Server(_Loaded(other)), object())
