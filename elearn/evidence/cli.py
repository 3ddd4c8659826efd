"""`flask statistics recount`: rebuild the question statistics' running sums from the attempts themselves."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from elearn.evidence import tallies
from elearn.extensions import db
from elearn.models import CourseVersion

statistics_cli = AppGroup("statistics", help="Question statistics.")


@statistics_cli.command("recount")
@click.option("--version", "version_id", type=int, help="Only this course version (its id); default: every version.")
def recount_command(version_id: int | None) -> None:
    """Forget the running sums and count every submitted final attempt again, e.g. after restoring attempts by hand."""
    query = select(CourseVersion.id).order_by(CourseVersion.id)
    if version_id is not None:
        query = query.where(CourseVersion.id == version_id)
    ids = list(db.session.scalars(query))
    if not ids:
        raise click.ClickException(f"there is no course version {version_id}")
    for each in ids:
        click.echo(f"course version {each}: counted {tallies.recount(each)} submitted final attempt(s)")
