"""`flask reminders send`: today's scheduled reminder emails and the weekly manager digests (the scheduler runs it daily)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from elearn.compliance.reminders import send_reminders

reminders_cli = AppGroup("reminders", help="Reminder emails about training that is due, overdue or expiring.")


@reminders_cli.command("send")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Act as if today were this day (UK date); for testing.")
def send_command(on: click.DateTime | None) -> None:
    """Send today's scheduled reminders and this week's manager digests not sent yet; running it twice sends nothing twice."""
    today: date | None = on.date() if on is not None else None  # type: ignore[attr-defined]
    summary = send_reminders(today=today)
    click.echo(summary.text())
    if summary.failed:
        raise SystemExit(1)  # cron mails the output: some emails could not be sent and will be retried
