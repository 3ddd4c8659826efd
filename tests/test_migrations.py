"""The schema comes only from the migrations, and they agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from elearn.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_create_every_table_of_the_models(app):
    tables = set(inspect(db.engine).get_table_names())
    assert {table.name for table in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_migration_files_sort_in_chain_order():
    """`ls migrations/versions` reads as the history: each file name sorts after the revision it follows."""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    folder = Path(__file__).resolve().parent.parent / "migrations"
    config = Config(str(folder / "alembic.ini"))
    config.set_main_option("script_location", str(folder))
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1, "the migrations must form one chain"
    oldest_first = [Path(revision.path).name for revision in reversed(list(scripts.walk_revisions()))]
    assert oldest_first == sorted(oldest_first)
    assert oldest_first == sorted(p.name for p in (folder / "versions").glob("*.py"))
