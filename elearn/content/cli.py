"""`flask courses check`, `flask courses sync` and `flask courses simulate`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from elearn.assessment import simulate
from elearn.content.item_checks import absolute_word_rule, check_items
from elearn.content.loader import ParsedCourse, load_all
from elearn.content.sync import sync_courses

courses_cli = AppGroup("courses", help="Check and load the course files in courses/.")


def _load_or_exit(folder: str | None, *, item_checks: bool = True) -> list[ParsedCourse]:
    root = Path(folder or current_app.config["COURSES_DIR"])
    courses, faults = load_all(root)
    # The release path: a bank a test-wise learner could pass without the subject never ships.
    if item_checks:
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


@courses_cli.command("simulate")
@click.argument("slug", required=False)
@click.option("--attempts", default=simulate.DEFAULT_ATTEMPTS, show_default=True, type=click.IntRange(min=1),
              help="First attempts per strategy.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the draws and the random guesses.")
@click.option("--dir", "folder", type=click.Path(), help="Courses folder (default: COURSES_DIR).")
def simulate_command(slug: str | None, attempts: int, seed: int, folder: str | None) -> None:
    """Guess each course's first attempt without knowing the subject; exit 1 when a strategy passes 2% or more."""
    # The item checks are `check`'s gate; this one measures any bank the loader can read, so it can
    # give the figures of a bank those checks refuse (the "before" of a rewrite).
    courses = [c for c in _load_or_exit(folder, item_checks=False) if slug is None or c.slug == slug]
    if not courses:
        click.echo(f"no course with the slug '{slug}'", err=True)
        sys.exit(1)
    root = Path(folder or current_app.config["COURSES_DIR"])
    problems = []
    for course in courses:
        figures = simulate.simulate(course, absolute_word_rule, attempts, seed)
        click.echo(f"{course.slug}: {attempts} first attempts per strategy, pass mark {course.pass_mark}%")
        for figure in figures:
            low, high = figure.interval()
            detail = f"   ({figure.detail})" if figure.detail else ""
            click.echo(f"  {figure.strategy:<30} {figure.probability:7.2%}   95% CI {low:6.2%} to {high:6.2%}"
                       f"   right per question {float(figure.mean_mark):4.0%}{detail}")
        problems += [f"{root / course.slug / 'questions.yaml'}:1: guessing by '{f.strategy}' passes a first attempt "
                     f"{f.probability:.2%} of the time; the limit is under {float(simulate.PASS_LIMIT):.0%}"
                     for f in figures if f.too_guessable]
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
