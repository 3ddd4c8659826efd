"""`flask audit prune` and `flask users anonymise`: the retention jobs, for cron; `flask text check`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from elearn.admin.service import DEFAULT_AUDIT_RETENTION_DAYS, MIN_RETENTION_DAYS, prune_audit_events
from elearn.admin.text_check import find_text_problems
from elearn.errors import InvalidInput
from elearn.privacy.service import anonymise_leavers

audit_cli = AppGroup("audit", help="The audit log.")
users_cli = AppGroup("users", help="User accounts and personal data.")
text_cli = AppGroup("text", help="Names, emails and free text.")


@audit_cli.command("prune")
@click.option("--older-than-days", "days", type=int, default=DEFAULT_AUDIT_RETENTION_DAYS, show_default=True,
              help=f"Remove audit events older than this many days (at least {MIN_RETENTION_DAYS}).")
def prune_command(days: int) -> None:
    """Remove audit events older than the retention period and print how many went."""
    try:
        removed = prune_audit_events(days)
    except InvalidInput as error:
        click.echo(f"error: {error.message} (got --older-than-days {days})", err=True)
        sys.exit(1)
    click.echo(f"removed {removed} audit event(s) older than {days} days")


@users_cli.command("anonymise")
@click.option("--dry-run", is_flag=True, help="Only list the accounts that would be anonymised.")
def anonymise_command(dry_run: bool) -> None:
    """Anonymise leavers (deactivated accounts) whose organisation's retention period has passed; safe to re-run."""
    ids = anonymise_leavers(dry_run=dry_run)
    listed = ", ".join(str(user_id) for user_id in ids)
    if dry_run:
        click.echo(f"would anonymise {len(ids)} account(s){': user ids ' + listed if ids else ''}")
    else:
        click.echo(f"anonymised {len(ids)} account(s){': user ids ' + listed if ids else ''}")


@text_cli.command("check")
def check_command() -> None:
    """Print each stored name, email or free text that breaks its text rule (table:id: field: problem); exit 1 if any."""
    report = find_text_problems()
    for problem in report.problems:
        click.echo(str(problem), err=True)
    if report.problems:
        click.echo(f"{len(report.problems)} stored value(s) break the text rules", err=True)
        sys.exit(1)
    click.echo(f"checked {report.values_checked} value(s) in {report.tables_checked} tables: all follow the text rules")
