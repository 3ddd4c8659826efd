"""SQLite as a real database: foreign keys enforced as on PostgreSQL, WAL, and the app's busy timeout."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from elearn.extensions import db
from elearn.models import Group, GroupMembership, Organisation
from tests.conftest import ON_POSTGRES

ROOT = Path(__file__).resolve().parent.parent
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite connection settings")


def test_an_orphan_row_is_refused(app):
    """On both databases: a membership of a group and a user that do not exist is never stored."""
    with pytest.raises(IntegrityError):
        db.session.execute(insert(GroupMembership).values(group_id=987654, user_id=876543))
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(GroupMembership)) == 0


def test_deleting_a_parent_cascades_as_the_schema_says(make):
    """ON DELETE CASCADE works on SQLite too: an organisation's groups go with it, as on PostgreSQL."""
    org = make.org()
    db.session.add(Group(organisation_id=org.id, name="Teaching staff"))
    db.session.commit()
    db.session.execute(Organisation.__table__.delete().where(Organisation.id == org.id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Group)) == 0


@sqlite_only
def test_every_sqlite_connection_enforces_foreign_keys_and_waits_when_busy(app):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]


@sqlite_only
def test_the_busy_timeout_comes_from_the_settings(make_app):
    other = make_app(SQLITE_BUSY_TIMEOUT_MS=1234)
    with other.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234


def test_an_in_memory_sqlite_database_gets_foreign_keys_without_wal(make_app):
    other = make_app(SQLALCHEMY_DATABASE_URI="sqlite://")
    with other.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "memory"


def _flask(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"ELEARN_CONFIG": "development", "DATABASE_URL": f"sqlite:///{database}", "PATH": "/usr/bin:/bin",
           "SECRET_KEY": "migration-test-key"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "elearn", "db", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@sqlite_only
def test_the_migrations_run_down_and_up_again_on_a_sqlite_file_with_foreign_keys_on(tmp_path):
    """Batch mode recreates tables; migrations/env.py switches foreign keys off for the run and checks them after."""
    database = tmp_path / "fresh.db"
    for step in (("upgrade",), ("downgrade", "base"), ("upgrade",)):
        result = _flask(database, *step)
        assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)


ROWS = {
    "organisations": "INSERT INTO organisations (id, name, slug, created_at) VALUES (1, 'Alder', 'alder', '2026-01-01')",
    # As `users` was at revision eeb016ee0b21, where the rows go in (session_version was dropped later).
    "users": "INSERT INTO users (id, email, display_name, role, organisation_id, is_active, session_version, created_at)"
             " VALUES (1, 'ann@alder.sch.uk', 'Ann', 'learner', 1, 1, 1, '2026-01-01')",
    "groups": "INSERT INTO groups (id, organisation_id, name, created_at) VALUES (1, 1, 'Staff', '2026-01-01')",
    "group_memberships": "INSERT INTO group_memberships (id, group_id, user_id, added_at) VALUES (1, 1, 1, '2026-01-01')",
}


@sqlite_only
def test_rebuilding_a_table_others_refer_to_keeps_their_rows(tmp_path):
    """Later revisions rebuild `organisations` and `users` (batch mode: copy, drop, rename). Dropping a parent with
    foreign keys on would delete its groups and memberships (ON DELETE CASCADE): the rows must all survive."""
    database = tmp_path / "with-data.db"
    assert _flask(database, "upgrade", "eeb016ee0b21").returncode == 0  # organisations, groups and memberships
    with sqlite3.connect(database) as connection:
        for statement in ROWS.values():
            connection.execute(statement)
    for step in (("upgrade",), ("downgrade", "eeb016ee0b21"), ("upgrade",)):
        result = _flask(database, *step)
        assert result.returncode == 0, result.stderr
        with sqlite3.connect(database) as connection:
            counts = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ROWS}  # noqa: S608
        assert counts == dict.fromkeys(ROWS, 1), step


@sqlite_only
def test_a_migration_leaves_the_app_connections_with_foreign_keys_on(app):
    """The pool hands the migration's connection back to the app: it must come back with foreign keys on."""
    from flask_migrate import upgrade

    upgrade()  # already at head: opens, switches off, and hands back a connection
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
