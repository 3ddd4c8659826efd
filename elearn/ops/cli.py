"""`flask backup`: a consistent snapshot of the SQLite database."""

from __future__ import annotations

import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import click
from flask.cli import with_appcontext

from elearn.db import now_utc
from elearn.extensions import db


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False), help="File to write (default: instance/backups/elearn-<time>.db).")
@with_appcontext
def backup_command(output: str | None) -> None:
    """Write a consistent copy of the SQLite database while the app keeps running (online backup API)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        click.echo("backup: this database is not a SQLite file. For PostgreSQL use pg_dump, e.g.\n"
                   "  pg_dump --format=custom --file=elearn.dump \"$DATABASE_URL\"\n"
                   "(see README: Backups).", err=True)
        sys.exit(1)
    target = Path(output or Path(url.database).parent / "backups" / f"elearn-{now_utc():%Y%m%dT%H%M%SZ}.db")
    if target.exists():
        click.echo(f"backup: {target} already exists; choose another --output", err=True)
        sys.exit(1)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    with closing(sqlite3.connect(url.database)) as source, closing(sqlite3.connect(partial)) as copy:
        source.backup(copy)  # page-by-page copy that sees one consistent state
    partial.rename(target)  # never leave a half-written file under the final name
    click.echo(f"backup written to {target}")
