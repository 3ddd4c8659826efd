"""`flask courses check` and `flask courses sync`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from elearn.content.item_checks import check_items
from elearn.content.loader import ParsedCourse, load_all
from elearn.content.sync import sync_courses

courses_cli = AppGroup("courses", help="Check and load the course files in courses/.")


def _load_or_exit(folder: str | None) -> list[ParsedCourse]:
    root = Path(folder or current_app.config["COURSES_DIR"])
    courses, faults = load_all(root)
    # The release path: a bank a test-wise learner could pass without the subject never ships.
    faults += [fault for course in courses for fault in check_items(course, root / course.slug)]
    for fault in faults:
        click.echo(str(fault), err=True)
    if faults:
        click.echo(f"{len(faults)} problem(s) found; nothing was loaded.", err=True)
        sys.exit(1)
    return courses


@courses_cli.command("check")
@click.option("--dir", "folder", type=click.Path(), help="Courses folder (default: COURSES_DIR).")
def check_command(folder: str | None) -> None:
    """Validate every course; print path:line: problem for each fault and exit 1 if any."""
    courses = _load_or_exit(folder)
    for course in courses:
        click.echo(
            f"ok  {course.slug}: {len(course.lessons)} lessons, {course.total_minutes} min, "
            f"{len(course.questions)} questions"
        )


@courses_cli.command("sync")
@click.option("--dir", "folder", type=click.Path(), help="Courses folder (default: COURSES_DIR).")
def sync_command(folder: str | None) -> None:
    """Load the courses; a new version is created only for a course whose files changed."""
    for outcome in sync_courses(_load_or_exit(folder)):
        state = "new version" if outcome.created else "unchanged"
        click.echo(f"{outcome.slug}: version {outcome.version_number} ({state})")
